import Foundation
import Testing
@testable import ForeshockCore
@testable import ForeshockService
@testable import ForeshockSupport

@Suite("Decoding a recording on every core")
struct RecordingDecoderTests {
    /// A recording of 2,000 lines: posts, reshares with `seen`, counts, a carried block, bad
    /// lines, blank lines and the reader's test lines, the last line without its newline.
    static let text: String = {
        var lines: [String] = []
        for index in 0..<2_000 {
            let time = 1_700_000_000 + Double(index)
            let key = PostKey(source: "m", id: String(index % 37))
            switch index % 11 {
            case 0: lines.append(RecordingWriter.line(.post(key: key, time: time, createdAt: time - 5, author: "a\(index)", followers: 300, text: "t", url: nil)))
            case 1: lines.append(RecordingWriter.line(.counts(key: key, time: time, reshares: index, replies: nil, likes: 1, quotes: nil)))
            case 2: lines.append("{bad \(index)")
            case 3: lines.append(index % 2 == 0 ? "" : "  ")
            case 4: lines.append(RecordingWriter.line(.reshare(key: key, time: time - 30, user: "u", followers: 12), seen: time))
            case 5: lines.append(RecordingReaderTests.lines[index % RecordingReaderTests.lines.count])
            default: lines.append(RecordingWriter.line(.reshare(key: key, time: time, user: nil, followers: Double(index))))
            }
        }
        return lines.joined(separator: "\n")
    }()

    /// What each line says, read one by one on this thread: the reference. Split on bytes: as
    /// characters, a line ending in a carriage return would join the next ("\r\n" is one).
    static func oneByOne(_ text: String) -> [String] {
        let reader = RecordingReader()
        return Array(text.utf8).split(separator: 0x0A, omittingEmptySubsequences: false).enumerated().compactMap { offset, line -> String? in
            do throws(RecordingReader.Problem) {
                return try reader.observed(line, number: offset + 1).map { "\(offset + 1) \($0.observation) \($0.seen) \($0.carried)" }
            } catch {
                return error.description
            }
        }
    }

    static func decoded(_ text: String, chunkLines: Int, parts: Int) -> (lines: [String], lastLines: [Int]) {
        var decoder = RecordingDecoder()
        decoder.chunkLines = chunkLines
        decoder.parts = parts
        var lines: [String] = [], lastLines: [Int] = []
        decoder.decode(Data(text.utf8)) { chunk, lastLine in
            lastLines.append(lastLine)
            for line in chunk.joined() {
                switch line {
                case .observation(let observation, let number, let seen, let carried): lines.append("\(number) \(observation) \(seen) \(carried)")
                case .problem(let problem): lines.append(problem.description)
                }
            }
        }
        return (lines, lastLines)
    }

    @Test("Chunks read ahead on other threads come back whole and in file order, each line with its number, whatever the chunk and part sizes",
          arguments: [(1, 1), (7, 3), (500, 8), (1_999, 2), (2_000, 5), (16_384, 8)])
    func chunksInOrder(chunkLines: Int, parts: Int) {
        let reference = Self.oneByOne(Self.text)
        #expect(reference.count > 1_500 && reference.contains { $0.hasPrefix("line 3: ") })
        let (lines, lastLines) = Self.decoded(Self.text, chunkLines: chunkLines, parts: parts)
        let differs = zip(lines, reference).enumerated().first { $0.element.0 != $0.element.1 }
        #expect(lines.count == reference.count && differs == nil, "\(lines.count) lines against \(reference.count); first differing: \(String(describing: differs))")
        // Each chunk's last line number: chunkLines on from the one before, the last the file's.
        #expect(lastLines == Array(stride(from: chunkLines, to: 2_000, by: chunkLines)) + [2_000])
    }

    @Test("An empty recording hands nothing over; blank lines are counted but hand no line; a final line break adds no line")
    func edges() {
        #expect(Self.decoded("", chunkLines: 3, parts: 2).lastLines.isEmpty)
        let blank = Self.decoded("\n  \n\n\t\n\n", chunkLines: 3, parts: 2)
        #expect(blank.lines.isEmpty && blank.lastLines == [3, 5])
        let line = RecordingWriter.line(.reshare(key: PostKey(source: "m", id: "1"), time: 1_700_000_000, user: nil, followers: nil))
        let ended = Self.decoded(line + "\n" + line + "\n", chunkLines: 1, parts: 1)
        #expect(ended.lines.count == 2 && ended.lastLines == [1, 2])
    }

    @Test("Recordings decoded at once, on threads of their own, each blocking while the chunk ahead is read, all come back whole and in order")
    func manyAtOnce() async throws {
        let reference = Self.oneByOne(Self.text)
        let results = IndexedResults<Bool>(count: 16)
        // Threads of their own: this test is about decodes sharing the process, not about the
        // global pool, which the other tests running beside it keep busy. (A read-ahead queued
        // on that pool rather than the decoder's own queue waited for it to add threads: 8
        // decodes blocking it took 7 s against 0.6 s, run alone.)
        for index in 0..<16 {
            Thread { results.set(index, Self.decoded(Self.text, chunkLines: 50 + index, parts: 3).lines == reference) }.start()
        }
        // Waited for without blocking this test's thread; given up on after two minutes.
        let began = ContinuousClock.now
        while results.values.count < 16, ContinuousClock.now - began < .seconds(120) {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(results.values == Array(repeating: true, count: 16), "\(results.values.count) of 16 finished")
    }
}
