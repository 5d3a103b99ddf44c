/// The longest value, in UTF-8 bytes, of each free-form field the engine records.
///
/// The writer refuses longer values before anything is committed, and the decoder accepts
/// every value within them, so every record that is written can be read back: a record the
/// decoder refused would stop every later start-up. Documented in `docs/EVENTS.md`.
public enum FieldLimits {
    /// A user id (the log's record header holds its length in one byte).
    public static let user = RecordLayout.maxUserLength
    /// A device's label, e.g. "Chrome on macOS".
    public static let deviceLabel = 256
    /// A device's user agent.
    public static let userAgent = 1_024
    /// Who ended a session or banned a user, e.g. "admin:jo".
    public static let actor = 256
    /// Why a user was banned.
    public static let banReason = 1_024
    /// A suspicious-activity flag's detail (written by the engine from the fields above).
    public static let detail = 2_048
    /// A signing key's id.
    public static let kid = 128
    /// The custom claims of one access token, serialised as JSON.
    public static let customClaims = 4_096
    /// A whole stored record: header, user id, payload and chain hash.
    public static let record = RecordLayout.maxRecordSize
}
