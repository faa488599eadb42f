import Foundation
import Testing
@testable import ForeshockSupport

@Suite("Finding bytes in a recording")
struct ByteSearchTests {
    @Test("The first occurrence at or after an index, in data and in a slice of it (whose indices do not start at 0); none past the end")
    func firstIndex() {
        let data = Data(([#"{"type":"post"}"#, #"{"type":"answer"}"#, #"{"text":"no answer yet"}"#]).joined(separator: "\n").utf8)
        let word = Array("answer".utf8)
        let first = data.firstIndex(of: word, from: data.startIndex)
        #expect(first == 25)
        let second = data.firstIndex(of: word, from: first! + 1)
        #expect(second.map { String(decoding: data[$0..<($0 + 6)], as: UTF8.self) } == "answer" && second! > 40)
        #expect(data.firstIndex(of: word, from: second! + 1) == nil)
        #expect(data.firstIndex(of: word, from: data.endIndex) == nil && data.firstIndex(of: [], from: 0) == nil)
        let slice = data[20...]
        #expect(slice.startIndex == 20 && slice.firstIndex(of: word, from: slice.startIndex) == 25)
        #expect(slice.firstIndex(of: Array("post".utf8), from: slice.startIndex) == nil)
        #expect(data.firstIndex(of: Array("\n".utf8), from: 0) == 15)
    }
}
