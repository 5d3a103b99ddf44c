/// Why a proof, a bundle or a checkpoint does not prove what it claims. Match on ``kind``.
public struct ProofError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Not in the expected layout (tlog-proof, checkpoint, verifier key, base64).
        case malformed
        /// The checkpoint's signature does not verify under the log's key, or it is by
        /// another key or for another origin.
        case badSignature
        /// The record is not the one at that index of the signed tree: it was changed,
        /// removed, moved, or belongs to another log.
        case notIncluded
        /// The newer tree does not extend the older one: the log was rewritten or forked.
        case inconsistent
        /// The newer checkpoint is smaller than the older one: the log was rolled back.
        case rolledBack
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
