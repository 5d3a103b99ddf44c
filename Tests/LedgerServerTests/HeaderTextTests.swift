@testable import LedgerServer
import Testing

@Suite("Header values compared as HTTP compares them")
struct HeaderTextTests {
    @Test("ASCII case and surrounding spaces or tabs do not matter; anything else does")
    func equals() {
        for value in ["bearer", "Bearer", "BEARER", " bEaReR\t", "\tbearer  "] {
            #expect(HeaderText.equals(value.utf8, "bearer"), "\(value)")
        }
        for value in ["", " ", "bear", "bearers", "bea rer", "xbearer", "béarer", "bearer\n", "Bearer,"] {
            #expect(!HeaderText.equals(value.utf8, "bearer"), "\(value)")
        }
        // Only ASCII letters fold: "K" (U+212A KELVIN SIGN) is not "k".
        #expect(!HeaderText.equals("\u{212A}ey".utf8, "key"))
    }

    @Test("a Content-Type's media type is what comes before its parameters")
    func mediaType() {
        for value in ["application/json", "Application/JSON", "application/json; charset=utf-8", " application/json ;charset=UTF-8", "application/json;"] {
            #expect(HeaderText.mediaType(of: value, is: "application/json"), "\(value)")
        }
        for value in ["", "application/jsonx", "application/json-patch+json", "text/json", "application/ json", "; application/json"] {
            #expect(!HeaderText.mediaType(of: value, is: "application/json"), "\(value)")
        }
    }
}
