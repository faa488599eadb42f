import Foundation
import Testing
@testable import ForeshockSupport
@testable import ForeshockTestSupport

@Suite("The JSON parser")
struct JSONParserTests {
    @Test("Escapes, surrogate pairs, numbers and nesting read as Foundation reads them")
    func agreesWithFoundation() throws {
        let text = #"{"a":"x\"y\\z\/\n\t\u00e9\ud83d\ude00","b":[1,-2.5,3e2,0.1,12345678901234567,true,false,null],"c":{"d":[]},"e":""}"#
        let ours = try JSONValue.parse(Data(text.utf8))
        let theirs = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect(ours == theirs)
        #expect(ours["a"]?.stringValue == "x\"y\\z/\n\té😀")
    }

    @Test("A UTF-8 byte order mark before the text is ignored, as RFC 8259 allows; one anywhere else is not")
    func byteOrderMark() throws {
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        #expect(try JSONValue.parse(Data(bom + Array(#"{"a": 1}"#.utf8)))["a"]?.intValue == 1)
        #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(Data(Array("[1,".utf8) + bom + Array("2]".utf8))) }
    }

    @Test("Malformed text is refused with a located reason", arguments: [
        "{\"a\":1,}", "[1 2]", "{\"a\" 1}", "\"unterminated", "01", "1.", "-", "tru", "[\"\u{01}\"]", "{} {}", "\"\\x\"", "",
    ])
    func refuses(_ text: String) {
        #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(Data(text.utf8)) }
    }

    @Test("NaN and Infinity, which JSON has not, are refused at their place (Double(_:) reads them, and the reason was none)", arguments: ["NaN", "Infinity", "-inf", "nan"])
    func refusesNonNumbers(_ word: String) throws {
        let error = try #require(throws: JSONSyntaxError.self) { try JSONValue.parse(Data(#"{"reshares": \#(word)}"#.utf8)) }
        #expect(error.reason == "line 1, column 14: expected a value, found '\(word.first!)'", "\(error.reason)")
    }

    @Test("A count sent as text is read as JSON reads a number: not hexadecimal, not inf or nan, not past what a Double holds")
    func numbersAsText() {
        #expect(JSONValue.string("412").intValue == 412 && JSONValue.string("-3.5e2").doubleValue == -350 && JSONValue.string("1764000000.5").doubleValue == 1_764_000_000.5)
        for text in ["0x10", "inf", "nan", "infinity", "1e400", " 5", "5 ", "", "+5", "1_000"] { #expect(JSONValue.string(text).doubleValue == nil, "\(text)") }
    }

    @Test("A control byte where a value should be is named by its code, never written raw", arguments: [[0x00], [0x1B, 0x5B, 0x33, 0x31, 0x6D]])
    func controlByteNamed(_ bytes: [UInt8]) {
        for json5 in [false, true] {
            do {
                _ = try JSONValue.parse(Data(bytes), json5: json5)
                Issue.record("accepted \(bytes)")
            } catch {
                #expect(error.reason.contains(String(format: "found byte 0x%02x", bytes[0])), "\(error.reason)")
                #expect(!error.reason.unicodeScalars.contains { $0.value < 0x20 })
            }
        }
    }

    @Test("Hostile nesting is refused, not a stack overflow")
    func deepNesting() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(Data(deep.utf8)) }
    }
}
