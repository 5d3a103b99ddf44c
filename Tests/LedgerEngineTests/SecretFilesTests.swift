import Glibc
@testable import LedgerEngine
import LedgerTesting
import Testing

@Suite("Secret files")
struct SecretFilesTests {
    @Test("writing over a planted link replaces the link and never writes through it; the file is owner-only")
    func linkIsReplaced() throws {
        let dir = TemporaryDirectory()
        let outside = dir.appending("precious"), path = dir.appending("refresh-1.key")
        try SecretFiles.write(Array("precious".utf8), to: outside)
        symlink(outside, path)
        try SecretFiles.write([UInt8](repeating: 7, count: 32), to: path)
        #expect(try SecretFiles.read(outside) == Array("precious".utf8))
        var st = stat()
        #expect(lstat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFREG && st.st_mode & 0o777 == 0o600)
        #expect(try SecretFiles.read(path) == [UInt8](repeating: 7, count: 32))
        // Only the two files: no temporary file left behind.
        #expect(SecretFiles.list(dir.path) == ["precious", "refresh-1.key"])
    }
}
