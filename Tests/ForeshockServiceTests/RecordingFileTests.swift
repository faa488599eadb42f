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
        // After it, the brand's answer and the counter as last polled before the rotation, each
        // carried with when the watch wrote it.
        let head = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").prefix(3).map { try reader.observed(ArraySlice(Array($0.utf8)), number: 0) }
        guard head.count == 3, head.allSatisfy({ $0?.carried == true }), case .answer(busy, start + 30, "acme")? = head[1]?.observation,
              case .counts(busy, let polled, let reshares?, _, _, _)? = head[2]?.observation else {
            Issue.record("\(head)")
            return
        }
        #expect(head[1]!.seen == start + 30 && head[2]!.seen == polled && reshares == Int((polled - start) / 60) * 3, "\(head)")
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

    @Test("A rotated file replayed alone pages for a post carried into it when, and at the size, the unrotated recording does: a post with its resharers, and one with only a counter polled every minute")
    func rotatedFileAlonePagesAsTheWatchDid() throws {
        let rows = try loadCascade("seismic_tweet.csv"), start = 1_700_000_000.0, key = PostKey(source: "s", id: "p")
        // A complaint that spreads slowly and is not answered: paged an hour after it was posted,
        // on the clock, not on a line of its own (files carrying it after that must page then too).
        let complaint = PostKey(source: "s", id: "c")
        let config = try ConfigLoader.embeddedDefault(query: "acme").0
        // The post's notifications: rule, why, when, at what size.
        func notes(_ file: String, countsOnly: Bool) throws -> [String] {
            var notes: [String] = []
            let replay = Replay(config: config) { note in
                if case .post(let about, let snapshot) = note.subject, about == key || about == complaint {
                    // And what it predicted and reached, where the post's own lines decide them (a
                    // counter's assumed audience is the source's typical resharer, learned from
                    // other posts' resharers, which a file alone may not carry).
                    let figures = about == key || countsOnly ? " \(snapshot.predicted.map { Int($0) } ?? -1) \(Int(snapshot.reach))" : ""
                    notes.append("\(about.id) \(note.rule) \(note.reason) \(note.time - start) \(snapshot.reshares)" + figures)
                }
            }
            replay.play(try Data(contentsOf: URL(fileURLWithPath: file)), name: file) { Issue.record("\($0)") }
            _ = replay.finish()
            return notes
        }
        for countsOnly in [true, false] {
            let folder = try makeTemporaryDirectory()
            let path = folder.appendingPathComponent("traffic.jsonl").path, whole = folder.appendingPathComponent("whole.jsonl").path
            let recording = try Both(RecordingFile(path: path, maxBytes: 64_000, keep: 100), RecordingFile(path: whole))
            var lines: [Observation] = [.post(key: key, time: start, createdAt: start, author: "dana", followers: rows[0].followers, text: "@acme lost my bag", url: nil)]
            if countsOnly {
                lines += (1...90).map { minute in
                    .counts(key: key, time: start + Double(minute) * 60, reshares: rows.dropFirst().filter { $0.time <= Double(minute) * 60 }.count, replies: nil, likes: nil, quotes: nil)
                }
            } else {
                lines += rows.dropFirst().prefix(60).map { .reshare(key: key, time: start + $0.time, user: nil, followers: $0.followers) }
            }
            lines.append(.post(key: complaint, time: start + 60, createdAt: start, author: "sam", followers: 200, text: "@acme lost my bag again, still waiting", url: nil))
            lines += (1...90).map { .counts(key: complaint, time: start + Double($0) * 60 + 30, reshares: 10 + $0 / 6, replies: nil, likes: nil, quotes: nil) }
            // Other traffic, a post every 2 s, so that the files rotate every few minutes.
            lines += (0..<2_700).map { index in
                let t = start + Double(index) * 2
                return .post(key: PostKey(source: "s", id: "bg\(index)"), time: t, createdAt: t, author: "sam\(index)", followers: 100, text: "nice weather today", url: nil)
            }
            // Written as the watch learns of them: resharers from a list fetched each minute, so
            // dated before they were seen (replay plays them then, carried or not).
            func seen(_ line: Observation) -> Double {
                if case .reshare = line { return start + ((line.time - start) / 60).rounded(.up) * 60 }
                return line.time
            }
            for line in lines.sorted(by: { (seen($0), $0.time) < (seen($1), $1.time) }) { recording.append([line], seen: seen(line)) }
            recording.close()
            let live = try notes(whole, countsOnly: countsOnly)
            #expect(live.contains { $0.hasPrefix("p going-viral") } && live.contains { $0.hasPrefix("c unanswered-complaint started 3600") }, "\(live)")
            // Every file the posts are carried into, replayed alone, pages as the whole recording did.
            let files = (1...100).map { "\(path).\($0)" }.filter { FileManager.default.fileExists(atPath: $0) } + [path]
            // A post carried with all its lines (where they no longer fit, its post line and latest
            // counter, which do not say when it paged) pages alone as it did, up to the file's end.
            var carrying: [String: Int] = [:], afterTheHour = 0
            for file in files {
                let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n")
                let carried = lines.filter { $0.contains(#""carried":true"#) }
                let alone = try notes(file, countsOnly: countsOnly)
                for id in ["p", "c"] where carried.filter({ $0.contains(#""id":"\#(id)""#) || $0.contains(#""post":"\#(id)""#) }).count > 3 {
                    carrying[id, default: 0] += 1
                    let mine = alone.filter { $0.hasPrefix(id + " ") }
                    #expect(!mine.isEmpty && live.filter { $0.hasPrefix(id + " ") }.starts(with: mine), "countsOnly \(countsOnly), \(file): \(mine), not \(live)")
                    if id == "c", let own = lines.first(where: { !$0.contains(#""carried":true"#) }),
                       let rotated = try RecordingReader().observed(ArraySlice(Array(own.utf8)), number: 1)?.seen, rotated > start + 3_600 { afterTheHour += 1 }
                }
            }
            #expect(carrying["p", default: 0] >= 3 && carrying["c", default: 0] >= 3, "\(carrying) of \(files.count) files")
            #expect(afterTheHour >= 1, "no file carrying the complaint begins after it paged")
        }
    }

    @Test("A batch that rotates the file still fits in it after the carried lines: they give way, and the file stays within the limit")
    func batchAfterCarriedLinesFits() throws {
        let path = try makeTemporaryDirectory().appendingPathComponent("traffic.jsonl").path
        let recording = try RecordingFile(path: path, maxBytes: 3_000, keep: 1)
        let start = 1_700_000_000.0
        // Posts enough to fill half the limit with carried lines, not enough to rotate.
        for index in 0..<10 {
            recording.append([.post(key: PostKey(source: "s", id: "p\(index)"), time: start + Double(index), createdAt: start, author: "a\(index)", followers: 10, text: "@acme hello", url: nil)], seen: start + Double(index))
        }
        // One poll's lines, 2,700 bytes or so: with 1,500 bytes carried ahead of them, 4,200.
        let batch = (0..<16).map { Observation.counts(key: PostKey(source: "s", id: "p\($0)"), time: start + 60, reshares: 10 + $0, replies: 1, likes: 2, quotes: 0) }
        recording.append(batch, seen: start + 60)
        recording.close()
        let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(FileManager.default.fileExists(atPath: path + ".1") && size <= 3_000, "\(size) bytes")
        #expect(lines.contains { $0.contains(#""carried":true"#) } && lines.filter { $0.contains(#""type":"counts""#) && !$0.contains("carried") }.count == 16, "\(lines.count) lines, \(size) bytes")
    }

    @Test("A restart's carried posts: one too large for the limit is thinned to its counter's corners (without its resharers where they do not fit), one that does not fit at all is left out, and the posts after them are carried all the same; every carried line says when it was written")
    func restartCarriesWhatFits() throws {
        let path = try makeTemporaryDirectory().appendingPathComponent("traffic.jsonl").path
        let recording = try RecordingFile(path: path, maxBytes: 8_192)
        let start = 1_700_000_000.0, big = PostKey(source: "s", id: "big"), small = PostKey(source: "s", id: "small")
        // The journal's posts, the latest active first: a complaint with a long history, then a quiet post.
        var lines: [Observation] = [.post(key: big, time: start, createdAt: start, author: "dana", followers: 300, text: "@acme lost my bag", url: nil),
                                    .answer(key: big, time: start + 30, author: "acme")]
        lines += (1...90).map { .counts(key: big, time: start + Double($0) * 60, reshares: $0 * 2, replies: nil, likes: nil, quotes: nil) }
        // Its first 30 resharers, fetched: 4 KB of their own, more than the 4,096 bytes the carry has.
        lines += (1...30).map { .reshare(key: big, time: start + Double($0) * 4, user: "fan\($0)", followers: 100) }
        // A post line longer than the budget: left out, and not the end of the list.
        lines.append(.post(key: PostKey(source: "s", id: "long"), time: start + 5, createdAt: start, author: "lee", followers: 5, text: String(repeating: "long ", count: 1_000), url: nil))
        lines += [.post(key: small, time: start + 10, createdAt: start, author: "sam", followers: 20, text: "hello", url: nil),
                  .counts(key: small, time: start + 5_000, reshares: 1, replies: nil, likes: nil, quotes: nil)]
        // As the watch hands them over: a post's lines each, learned 5 s after they happened.
        var posts: [CarriedPost] = []
        for line in lines {
            if line.isPost { posts.append(CarriedPost()) }
            posts[posts.count - 1].add(line, seen: line.time + 5)
        }
        recording.write(.carried(posts))
        recording.close()
        let written = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        let bigLines = written.filter { $0.contains(#""id":"big""#) || $0.contains(#""post":"big""#) }
        // The complaint's 122 lines thinned: its post line, answer and counter's corners to the
        // latest, without the resharers, which do not fit with them.
        #expect((4...20).contains(bigLines.count) && bigLines[0].contains(#""type":"post""#) && bigLines.contains { $0.contains(#""type":"answer""#) }
                && !bigLines.contains { $0.contains(#""type":"reshare""#) } && bigLines.last?.contains(#""reshares":180"#) == true, "\(bigLines)")
        #expect(written.filter { $0.contains(#""small""#) }.count == 2 && !written.contains { $0.contains(#""long""#) }, "\(written)")
        // Each says when the watch learned of it, and they come in that order.
        #expect(written.allSatisfy { $0.contains(#""carried":true,"seen":"#) }, "\(written)")
        let seen = try written.map { try RecordingReader().observed(ArraySlice(Array($0.utf8)), number: 1)!.seen }
        #expect(seen == seen.sorted() && seen.first == start + 5, "\(seen)")
    }

    @Test("Two restarts into one recording, the journal holding a post's resharers before its post line: each carried block in the order the watch learned of its lines, and replayed without a line skipped")
    func carriedBlocksReplayWhole() throws {
        let path = try makeTemporaryDirectory().appendingPathComponent("traffic.jsonl").path
        let recording = try RecordingFile(path: path, maxBytes: 1 << 20)
        let start = 1_700_000_000.0, key = PostKey(source: "s", id: "p")
        func restart(at: Double) {
            var post = CarriedPost()
            // Resharers fetched before the post line was written, as the journal may hold them.
            for index in 0..<3 { post.add(.reshare(key: key, time: start + Double(index), user: "u\(index)", followers: 10), seen: start + 5) }
            post.add(.post(key: key, time: start + 200, createdAt: start - 60, author: "dana", followers: 300, text: "@acme lost my bag", url: nil), seen: start + 200)
            post.add(.counts(key: key, time: start + 260, reshares: 3, replies: nil, likes: nil, quotes: nil), seen: start + 260)
            recording.write(.carried([post]))
            recording.append([.counts(key: key, time: at, reshares: 4, replies: nil, likes: nil, quotes: nil)], seen: at)
        }
        restart(at: start + 600)
        restart(at: start + 900)
        recording.close()
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2 * (5 + 1) && lines[0].contains(#""type":"reshare""#) && lines[3].contains(#""type":"post""#), "\(lines)")
        var problems: [String] = []
        let replay = Replay(config: Config()) { _ in }
        replay.play(try Data(contentsOf: URL(fileURLWithPath: path)), name: path) { problems.append($0) }
        let backtest = replay.finish()
        #expect(problems.isEmpty && backtest.malformed == 0 && backtest.postsWithoutLine == 0 && backtest.outcomes[key]?.createdAt == start - 60, "\(problems)")
    }

    @Test("A replay that does not track outcomes (the report's second pass) drops the carried lines of posts it has heard firsthand, as one that tracks them does, and a sweep does: resharers carried again are not counted twice")
    func untrackedReplayDropsKnownCarriedLines() throws {
        let start = 1_700_000_000
        let key = PostKey(source: "s", id: "p")
        // File 1: the post and 20 resharers. File 2: those carried, then 30 more of its own.
        var first = [#"{"type":"post","time":\#(start),"created_at":\#(start),"source":"s","id":"p","author":"dana","followers":300,"text":"hi"}"#]
        first += (1...20).map { #"{"type":"reshare","time":\#(start + $0 * 10),"source":"s","post":"p","user":"u\#($0)","followers":100}"# }
        var second = [#"{"type":"post","time":\#(start),"carried":true,"seen":\#(start),"created_at":\#(start),"source":"s","id":"p","author":"dana","followers":300,"text":"hi"}"#]
        second += (1...20).map { #"{"type":"reshare","time":\#(start + $0 * 10),"carried":true,"seen":\#(start + $0 * 10),"source":"s","post":"p","user":"u\#($0)","followers":100}"# }
        second += (21...50).map { #"{"type":"reshare","time":\#(start + $0 * 10),"source":"s","post":"p","user":"u\#($0)","followers":100}"# }
        let recording = Recording(parts: [Recording.Part(name: "traffic.jsonl.1", data: Data(first.joined(separator: "\n").utf8)),
                                          Recording.Part(name: "traffic.jsonl", data: Data(second.joined(separator: "\n").utf8))])
        // Pages at 60 reshares: only if the 20 carried ones count again.
        let config = scoringConfig([rule("many", .critical) { $0.minReshares = 60 }])
        func notes(tracking: Bool) -> [String] {
            var notes: [String] = []
            let replay = Replay(config: config, sample: [key], tracksOutcomes: tracking) { notes.append($0.jsonLine) }
            replay.play(recording) { Issue.record("\($0)") }
            _ = replay.finish()
            return notes
        }
        let tracked = notes(tracking: true)
        #expect(tracked.isEmpty && notes(tracking: false) == tracked, "\(notes(tracking: false))")
        // A sweep drops them once, before its replays: at 60 nothing, at 40 the 50 reshares page.
        let spec = SweepSpec(rule: "many", condition: "min_reshares", kind: .whole, values: [40, 60])
        let table = SweepRun.table(recording, config: config, specs: [spec], target: 1000)
        #expect(table.lines.map { [$0.values, [Double($0.figures.notifications)]] } == [[[40], [1]], [[60], [0]]], "\(table.lines.map(\.figures))")
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
        // The posts active last are taken, written in time order: the last post written before
        // the rotation ends them.
        #expect(carried.last?.contains(#""id":"p\#(index - 2)""#) == true, "\(carried.last ?? "")")
        let reader = RecordingReader()
        let times = try carried.map { try reader.observation(ArraySlice(Array($0.utf8)), number: 0)?.time ?? 0 }
        #expect(times == times.sorted())
    }
}
