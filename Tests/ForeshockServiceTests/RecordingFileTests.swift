import Foundation
import Testing
@testable import ForeshockConfig
@testable import ForeshockCore
@testable import ForeshockService
@testable import ForeshockTestSupport

@Suite("The recording watch --record writes")
struct RecordingFileTests {
    @Test("A rotated file starts with the post line, latest counter and answer of each post active in the one before, so it replays alone with their ages, sizes and answers; a post idle for a whole file is not carried on")
    func rotationCarriesPostLines() throws {
        let folder = try makeTemporaryDirectory()
        let path = folder.appendingPathComponent("traffic.jsonl").path, whole = folder.appendingPathComponent("whole.jsonl").path
        // The same traffic into a file that never rotates, to replay against the rotated files.
        let recording = try Both(RecordingFile(path: path, maxBytes: 3_000, keep: 5), RecordingFile(path: whole))
        let start = 1_700_000_000.0
        let busy = PostKey(source: "s", id: "busy"), idle = PostKey(source: "s", id: "idle")
        recording.append([.post(key: busy, time: start, createdAt: start - 600, author: "dana", followers: 300, text: "@acme lost my bag", url: nil),
                          .post(key: idle, time: start, createdAt: start - 60, author: "sam", followers: 20, text: "hello", url: nil)], seen: start)
        recording.append([.answer(key: busy, time: start + 30, author: "acme")], seen: start + 30)
        for minute in 1...60 {
            let t = start + Double(minute) * 60
            recording.append([.counts(key: busy, time: t, reshares: minute * 3, replies: nil, likes: nil, quotes: nil)], seen: t)
        }
        recording.close()
        let manager = FileManager.default
        #expect(manager.fileExists(atPath: path + ".2"), "too few rotations for the test to mean anything")
        let reader = RecordingReader()
        func postLines(_ file: String) throws -> [Observation] {
            try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").compactMap { line in
                let observation = try reader.observation(ArraySlice(Array(line.utf8)), number: 0)
                return observation?.isPost == true ? observation : nil
            }
        }
        // The newest file: the busy post carried (with when it was created), the idle one not.
        let newest = try postLines(path)
        #expect(newest.map(\.key) == [busy], "\(newest)")
        if case .post(_, _, let createdAt, let author, _, _, _)? = newest.first {
            #expect(createdAt == start - 600 && author == "dana")
        }
        // After it, the brand's answer and the counter as last polled before the rotation, marked seen then.
        let head = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").prefix(3).map { try reader.observed(ArraySlice(Array($0.utf8)), number: 0) }
        guard head.count == 3, case .answer(busy, start + 30, "acme")? = head[1]?.observation,
              case .counts(busy, let polled, let reshares?, _, _, _)? = head[2]?.observation else {
            Issue.record("\(head)")
            return
        }
        #expect(head[2]!.seen > polled && head[1]!.seen == head[2]!.seen && reshares == Int((polled - start) / 60) * 3, "\(head)")
        // The file after the first: both were active in the first, so both are carried.
        let oldest = (1...5).map { "\(path).\($0)" }.last { manager.fileExists(atPath: $0) }!
        let second = (1...5).map { "\(path).\($0)" }.filter { manager.fileExists(atPath: $0) }.dropLast().last!
        #expect(Set(try postLines(second).map(\.key)) == [busy, idle], "\(second)")
        #expect(try postLines(oldest).count == 2)
        for file in (1...5).map({ "\(path).\($0)" }).filter({ manager.fileExists(atPath: $0) }) + [path] {
            let size = (try manager.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
            #expect(size > 0 && size <= 3_000, "\(file): \(size) bytes")
        }
        // Alone, the newest file knows its post; played after the others, in order, nothing is skipped.
        let alone = Replay(config: Config()) { _ in }
        alone.play(try Data(contentsOf: URL(fileURLWithPath: path)), name: path) { Issue.record("\($0)") }
        let backtest = alone.finish()
        #expect(backtest.postsWithoutLine == 0 && backtest.outcomes.posts.first { $0.key == busy }?.createdAt == start - 600)
        let files = (1...5).reversed().map { "\(path).\($0)" }.filter { manager.fileExists(atPath: $0) } + [path]
        let config = try ConfigLoader.embeddedDefault(query: "acme").0
        var joinedNotes: [String] = [], wholeNotes: [String] = []
        let joined = Replay(config: config) { joinedNotes.append($0.jsonLine) }
        joined.play(Recording(parts: try files.map { Recording.Part(name: $0, data: try Data(contentsOf: URL(fileURLWithPath: $0))) })) { Issue.record("\($0)") }
        let joinedBacktest = joined.finish()
        let unrotated = Replay(config: config) { wholeNotes.append($0.jsonLine) }
        unrotated.play(try Data(contentsOf: URL(fileURLWithPath: whole)), name: whole) { Issue.record("\($0)") }
        let wholeBacktest = unrotated.finish()
        #expect(!wholeNotes.isEmpty && joinedNotes == wholeNotes, "\(joinedNotes)\n\(wholeNotes)")
        // Every carried line of a known post dropped, but those the oldest file kept starts with
        // (rotated more often than it keeps files): its posts are known from those lines alone.
        let oldestCarried = try String(contentsOfFile: files[0], encoding: .utf8).split(separator: "\n").first!.contains(#""carried":true"#)
        #expect(joinedBacktest.malformed == 0 && joinedBacktest.postsCarriedIn == (oldestCarried ? 1 : 0)
                && joinedBacktest.outcomes[busy]?.reshares == wholeBacktest.outcomes[busy]?.reshares, "\(joinedBacktest.observations) \(wholeBacktest.observations)")
    }

    /// Two recordings written together.
    struct Both {
        let rotated: RecordingFile, whole: RecordingFile
        init(_ rotated: RecordingFile, _ whole: RecordingFile) {
            self.rotated = rotated
            self.whole = whole
        }
        func append(_ observations: [Observation], seen: Double) {
            rotated.append(observations, seen: seen)
            whole.append(observations, seen: seen)
        }
        func close() {
            rotated.close()
            whole.close()
        }
    }

    @Test("A busy recording carries at most carryLimit bytes of post lines, of the posts active last, into its next file")
    func carryIsBounded() throws {
        let path = try makeTemporaryDirectory().appendingPathComponent("busy.jsonl").path
        let recording = try RecordingFile(path: path, maxBytes: 10 << 20, keep: 1)
        let text = String(repeating: "@acme my parcel never came ", count: 20)
        var index = 0
        while FileManager.default.fileExists(atPath: path + ".1") == false && index < 40_000 {
            let t = 1_700_000_000 + Double(index)
            recording.append([.post(key: PostKey(source: "s", id: "p\(index)"), time: t, createdAt: t, author: "a\(index)", followers: 10, text: text, url: nil)], seen: t)
            index += 1
        }
        recording.close()
        #expect(FileManager.default.fileExists(atPath: path + ".1"), "no rotation after \(index) posts")
        // The new file: the carried lines, then the post whose line rotated it.
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.last?.contains(#""id":"p\#(index - 1)""#) == true)
        let carried = lines.dropLast()
        let bytes = carried.reduce(0) { $0 + $1.utf8.count + 1 }
        #expect(!carried.isEmpty && bytes <= Int(RecordingFile.carryLimit) && bytes > Int(RecordingFile.carryLimit) - 2_000, "\(carried.count) lines, \(bytes) bytes")
        // The latest first: the last post written before the rotation leads.
        #expect(carried.first?.contains(#""id":"p\#(index - 2)""#) == true, "\(carried.first ?? "")")
    }
}
