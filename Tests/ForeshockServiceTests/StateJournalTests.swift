import Foundation
import Synchronization
import Testing
@testable import ForeshockCore
@testable import ForeshockConfig
@testable import ForeshockService
@testable import ForeshockSupport
@testable import ForeshockTestSupport

/// What the state directory keeps between runs of `watch`, read back by the next run.
@Suite("State that survives restarts")
struct StateJournalTests {
    /// A JSON feed answering with one complaint at `reshares`, and a file sink to count alerts.
    static func setUp(reshares: Int) async throws -> (api: ScriptedAPI, config: String, alerts: String) {
        let api = try await ScriptedAPI([
            "/feed.json": [["body": #"{"items": [{"id": "j1", "text": "acme lost my bag", "who": "dana", "shares": \#(reshares)}]}"#]],
        ])
        let alerts = try makeTemporaryDirectory().appendingPathComponent("alerts.jsonl").path
        let config = try writeTemporaryFile("""
        { sources: [{ name: "custom", kind: "json", url: "\(api.base)/feed.json", items: "items", fields: { id: "id", text: "text", author: "who", reshares: "shares" } }],
          alerting: { group_wait: "0s" },
          sinks: [{ name: "log", kind: "file", path: "\(alerts)" }],
          rules: [{ name: "going-viral", severity: "critical", when: { min_reshares: 10 } }] }
        """)
        return (api, config, alerts)
    }

    static func lines(_ path: String) -> [Substring] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n")
    }

    @Test("A second run takes no mention twice and sends no alert again: posts, alerts and seen ids come back from the journal")
    func restartResumes() async throws {
        let (api, config, alerts) = try await Self.setUp(reshares: 50)
        defer { api.stop() }
        let state = try makeTemporaryDirectory().path
        let (first, _, err1) = await runForeshock(["watch", "--config", config, "--state-dir", state, "--once", "--mentions", "none"])
        #expect(first == .success, "\(err1)")
        #expect(Self.lines(alerts).count == 1)
        let (second, out2, err2) = await runForeshock(["watch", "--config", config, "--state-dir", state, "--once"])
        #expect(second == .success, "\(err2)")
        #expect(err2.contains("msg=\"state restored\"") && err2.contains("posts=1"), "\(err2)")
        #expect(!out2.contains("acme lost my bag"), "the feed's same answer is not news the second time")
        #expect(Self.lines(alerts).count == 1, "the alert firing before the restart is not sent again")
        let journal = Self.lines(state + "/journal.jsonl")
        #expect(journal.filter { $0.contains(#""type":"post""#) }.count == 1)
        #expect(journal.contains { $0.contains(#""type":"polled""#) && $0.contains(#""j1""#) })
        // The journal is itself a recording: replay reads it and finds the same alert.
        let (replayed, text, _) = await runForeshock(["replay", state + "/journal.jsonl", "--config", config, "--format", "json"])
        #expect(replayed == .success)
        #expect(text.contains(#""rule":"going-viral""#) && text.contains(#""skipped_lines":0"#), "\(text)")
    }

    @Test("A recording begun at a restart starts with the post line and latest counter of each post the journal restored, so it replays alone with their ages, authors and sizes")
    func recordingAfterRestart() async throws {
        let (api, config, _) = try await Self.setUp(reshares: 50)
        defer { api.stop() }
        let state = try makeTemporaryDirectory().path
        let (first, _, err1) = await runForeshock(["watch", "--config", config, "--state-dir", state, "--once", "--mentions", "none"])
        #expect(first == .success, "\(err1)")
        let traffic = try makeTemporaryDirectory().appendingPathComponent("traffic.jsonl").path
        let (second, _, err2) = await runForeshock(["watch", "--config", config, "--state-dir", state, "--once", "--mentions", "none", "--record", traffic])
        #expect(second == .success, "\(err2)")
        let recorded = Self.lines(traffic)
        #expect(recorded.first?.contains(#""type":"post""#) == true && recorded.first?.contains(#""id":"j1""#) == true
                && recorded.first?.contains(#""author":"dana""#) == true, "\(recorded)")
        // Then its counter as last polled: the post's size when the recording began.
        #expect(recorded.count > 1 && recorded[1].contains(#""type":"counts""#) && recorded[1].contains(#""reshares":50"#), "\(recorded)")
        let (replayed, text, err) = await runForeshock(["replay", traffic, "--config", config])
        #expect(replayed == .success && text.contains("1 post over") && !text.contains("no post line"), "\(text)\n\(err)")
    }

    @Test("A garbage line in the journal: one warning naming it, a copy of the file as it was, every other line restored")
    func damagedLine() async throws {
        let (api, config, alerts) = try await Self.setUp(reshares: 50)
        defer { api.stop() }
        let state = try makeTemporaryDirectory().path
        try "{\"type\":\"tick\",\"time\":1}\n\u{0}\u{1}garbage{{\n{\"type\":\"tick\",\"time\":2}\n".write(toFile: state + "/journal.jsonl", atomically: true, encoding: .utf8)
        let (status, _, err) = await runForeshock(["watch", "--config", config, "--state-dir", state, "--once", "--mentions", "none"])
        #expect(status == .success, "\(err)")
        let complaint = err.split(separator: "\n").filter { $0.contains("state journal") }
        #expect(complaint.count == 1 && complaint[0].contains("lines=1") && complaint[0].contains("line 2"), "\(err)")
        #expect(err.contains("journal_lines=3"), "the readable lines were not restored: \(err)")
        let files = try FileManager.default.contentsOfDirectory(atPath: state)
        #expect(files.contains { $0.hasPrefix("journal.jsonl.damaged-") }, "\(files)")
        #expect(!files.contains { $0.hasPrefix("journal.jsonl.corrupt-") }, "\(files)")
        #expect(Self.lines(alerts).count == 1, "it still scores and alerts")
    }

    @Test("A journal of which no line can be read: one error line, the file moved aside with a timestamp, a fresh start")
    func corruptJournal() async throws {
        let (api, config, alerts) = try await Self.setUp(reshares: 50)
        defer { api.stop() }
        let state = try makeTemporaryDirectory().path
        try "\u{0}\u{1}garbage{{\nnot a journal\n".write(toFile: state + "/journal.jsonl", atomically: true, encoding: .utf8)
        let (status, _, err) = await runForeshock(["watch", "--config", config, "--state-dir", state, "--once", "--mentions", "none"])
        #expect(status == .success, "\(err)")
        let complaint = err.split(separator: "\n").filter { $0.contains("state journal could not be read") }
        #expect(complaint.count == 1 && complaint[0].contains("line 1"), "\(err)")
        let files = try FileManager.default.contentsOfDirectory(atPath: state)
        #expect(files.contains { $0.hasPrefix("journal.jsonl.corrupt-") }, "\(files)")
        #expect(Self.lines(alerts).count == 1, "the fresh start still scores and alerts")
    }

    @Test("A half-written last line (a crash mid-write) is dropped and the rest restored")
    func tornTail() throws {
        let directory = try makeTemporaryDirectory().path
        let journal = StateJournal(directory: directory)
        let observations: [Observation] = [
            .post(key: PostKey(source: "s", id: "p"), time: 1_700_000_000, createdAt: 1_700_000_000, author: "dana", followers: 10, text: "hi", url: nil),
            .counts(key: PostKey(source: "s", id: "p"), time: 1_700_000_060, reshares: 5, replies: nil, likes: nil, quotes: nil),
        ]
        let written = try journal.append(observations, then: [.polled(source: "s", cursor: "c1", ids: ["p"], readsFrom: "0a1b"), .tick(1_700_000_061.25)])
        #expect(written == observations)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: journal.path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(#"{"type":"reshare","time":17000"#.utf8))
        try handle.close()
        let loaded = journal.load()
        #expect(loaded.tornTail && loaded.movedAside == nil)
        #expect(loaded.entries == [.observations(observations), .polled(source: "s", cursor: "c1", ids: ["p"], readsFrom: "0a1b"), .tick(1_700_000_061.25)])
    }

    @Test("The journal replays as a recording of what the watch scored: an answer read from a thread, older than the lines before it, keeps when it was seen, appended and compacted")
    func journalReplaysAnswersSeenLate() throws {
        let directory = try makeTemporaryDirectory().path
        let journal = StateJournal(directory: directory)
        let key = PostKey(source: "s", id: "p"), start = 1_700_000_000.0
        let complaint = Observation.post(key: key, time: start, createdAt: start, author: "dana", followers: 300, text: "@acme lost my bag, worst airline", url: nil)
        var observations: [Observation] = [complaint]
        observations += (1...12).map { .reshare(key: key, time: start + Double($0) * 30, user: "u\($0)", followers: 300) }
        _ = try journal.append(observations, seen: start + 400)
        _ = try journal.append([.counts(key: key, time: start + 1200, reshares: 12, replies: 1, likes: nil, quotes: nil)], then: [.tick(start + 1200)], seen: start + 1200)
        // Read from the thread at 1,200 s, written at 600 s: answered well before the hour.
        _ = try journal.append([.answer(key: key, time: start + 600, author: "acme")], seen: start + 1200)
        _ = try journal.append([.counts(key: key, time: start + 5000, reshares: 14, replies: 1, likes: nil, quotes: nil)], then: [.tick(start + 5000)], seen: start + 5000)
        var config = Config()
        config.rules = [rule("unanswered", .critical) { $0.unansweredForAtLeast = 3600; $0.minReshares = 5 }]
        func replayed() throws -> (alerts: Int, skipped: Int) {
            var alerts = 0
            let replay = Replay(config: config) { if $0.reason == .started { alerts += 1 } }
            replay.play(try Data(contentsOf: URL(fileURLWithPath: journal.path)), name: "journal.jsonl") { _ in }
            return (alerts, replay.finish().malformed)
        }
        let appended = try replayed()
        #expect(appended.alerts == 0 && appended.skipped == 0, "\(appended)")
        try journal.rewrite(journal.load().entries)
        let text = try String(contentsOfFile: journal.path, encoding: .utf8)
        #expect(text.split(separator: "\n").first { $0.contains(#""type":"answer""#) }?.contains(#""seen":"#) == true, "\(text)")
        let compacted = try replayed()
        #expect(compacted.alerts == 0 && compacted.skipped == 0, "\(compacted)")
        // Without the answer it pages: the test can fail.
        try journal.rewrite(journal.load().entries.map { entry in
            guard case .observations(let observations) = entry else { return entry }
            return .observations(observations.filter { if case .answer = $0 { false } else { true } })
        })
        #expect(try replayed().alerts == 1)
    }

    @Test("--record-max-size rotates the recording: FILE.1, FILE.2 …, none over the limit")
    func rotation() throws {
        let path = try makeTemporaryDirectory().appendingPathComponent("traffic.jsonl").path
        let events = Mutex<[RecordingFile.Event]>([])
        let recording = try RecordingFile(path: path, maxBytes: 1_000, keep: 2) { event in events.withLock { $0.append(event) } }
        for index in 0..<40 {
            recording.append([.counts(key: PostKey(source: "s", id: "p\(index)"), time: 1_700_000_000 + Double(index), reshares: index, replies: nil, likes: nil, quotes: nil)])
        }
        recording.close()
        // Each rotation said; once two old files are kept, the one removed named.
        let said = events.withLock { $0 }
        #expect(said.count >= 3 && said.prefix(2) == [.rotated(removed: nil, carriedPosts: 0), .rotated(removed: nil, carriedPosts: 0)]
                && said.dropFirst(2).allSatisfy { $0 == .rotated(removed: path + ".2", carriedPosts: 0) }, "\(said)")
        let manager = FileManager.default
        #expect(manager.fileExists(atPath: path + ".1") && manager.fileExists(atPath: path + ".2") && !manager.fileExists(atPath: path + ".3"))
        for file in [path, path + ".1", path + ".2"] {
            let size = (try manager.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
            #expect(size > 0 && size <= 1_000, "\(file): \(size) bytes")
        }
        #expect(ByteSize.parse("500MB") == 500 << 20 && ByteSize.parse("2g") == 2 << 30 && ByteSize.parse("lots") == nil)
        #expect(ByteSize.parse("4096") == 4096 && ByteSize.parse("1.5k") == 1536)
        // Nothing that Int64(_:) would trap on, and nothing that rotates at every line.
        for absurd in ["1e400MB", "1e20MB", "1e19B", "9223372036854775807B", "inf", "nan MB", "0.5B", "1e-5MB", "-5MB", "0", "MB"] {
            #expect(ByteSize.parse(absurd) == nil, "\(absurd)")
        }
    }

    @Test("A recording that cannot be written says so once, with the system's reason, and loses only the lines it could not write")
    func recordingWriteFails() throws {
        // /dev/full takes the file open and refuses every write: a full disk, for real.
        let events = Mutex<[RecordingFile.Event]>([])
        let recording = try RecordingFile(path: "/dev/full") { event in events.withLock { $0.append(event) } }
        for index in 0..<3 {
            recording.append([.counts(key: PostKey(source: "s", id: "p"), time: 1_700_000_000 + Double(index), reshares: index, replies: nil, likes: nil, quotes: nil)])
        }
        recording.close()
        let said = events.withLock { $0 }
        guard said.count == 1, case .writeFailed(let reason) = said[0] else {
            Issue.record("\(said)")
            return
        }
        #expect(reason.lowercased().contains("space"), "\(reason)")

        // Its folder removed under it: the rotation cannot open a new file, the lines after it
        // are lost until the folder is back, and then the recording goes on and says how many.
        let folder = try makeTemporaryDirectory().appendingPathComponent("records")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("traffic.jsonl").path
        let later = Mutex<[RecordingFile.Event]>([])
        let rotating = try RecordingFile(path: path, maxBytes: 1_000) { event in later.withLock { $0.append(event) } }
        func line(_ index: Int) { rotating.append([.counts(key: PostKey(source: "s", id: "p"), time: 1_700_000_000 + Double(index), reshares: index, replies: nil, likes: nil, quotes: nil)]) }
        for index in 0..<5 { line(index) }
        try FileManager.default.removeItem(at: folder)
        for index in 5..<20 { line(index) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        line(20)
        rotating.close()
        let afterwards = later.withLock { $0 }
        // Lines 5 on went to the removed file until the rotation, the rest of them were lost.
        let failures = afterwards.filter { if case .writeFailed = $0 { true } else { false } }
        guard failures.count == 1, case .writingAgain(let lost)? = afterwards.last else {
            Issue.record("\(afterwards)")
            return
        }
        #expect(afterwards.contains(.rotated(removed: nil, carriedPosts: 0)) && (1...15).contains(lost), "\(afterwards)")
        #expect(Self.lines(path).count == 1 && Self.lines(path)[0].contains(#""reshares":20"#))
    }

    @Test("watch logs each rotation of its recording, and the file it removed")
    func rotationIsLogged() async throws {
        let (api, config, _) = try await Self.setUp(reshares: 50)
        defer { api.stop() }
        let folder = try makeTemporaryDirectory()
        let traffic = folder.appendingPathComponent("traffic.jsonl").path
        // A recording already past the limit: the first write rotates it.
        try String(repeating: #"{"type":"post","time":1700000000,"source":"custom","id":"old","text":"an older line"}"# + "\n", count: 20)
            .write(toFile: traffic, atomically: true, encoding: .utf8)
        let (status, _, err) = await runForeshock(["watch", "--config", config, "--state-dir", folder.appendingPathComponent("state").path, "--once",
                                                   "--mentions", "none", "--record", traffic, "--record-max-size", "1KB"])
        #expect(status == .success, "\(err)")
        #expect(err.contains(#"msg="recording rotated""#) && err.contains("removed=none"), "\(err)")
        #expect(FileManager.default.fileExists(atPath: traffic + ".1") && Self.lines(traffic).contains { $0.contains(#""id":"j1""#) })
    }
}

@Suite("foreshock status")
struct StatusCommandTests {
    @Test("A silenced alert is still tracked and shown by status, marked as held; its notification is not sent")
    func silencedShown() async throws {
        let (api, config, alerts) = try await StateJournalTests.setUp(reshares: 50)
        defer { api.stop() }
        let state = try makeTemporaryDirectory().path
        let (added, _, addErr) = await runForeshock(["silence", "add", "--post", "j1", "--for", "2h", "--comment", "handled by Dana", "--state-dir", state])
        #expect(added == .success, "\(addErr)")
        let (watched, _, err) = await runForeshock(["watch", "--config", config, "--state-dir", state, "--once", "--mentions", "none"])
        #expect(watched == .success, "\(err)")
        #expect(StateJournalTests.lines(alerts).isEmpty, "a silenced alert sends nothing")
        let (shown, text, _) = await runForeshock(["status", "--state-dir", state])
        #expect(shown == .success)
        let row = text.split(separator: "\n").first { $0.contains("custom:j1") && $0.contains("going-viral") }
        #expect(row?.contains("held by silence") == true && row?.contains("handled by Dana") == true, "\(text)")
        // Its time column counts the notice the silence held back, so it does not say "sent".
        let header = text.split(separator: "\n").first { $0.contains("SEVERITY") }
        #expect(header?.contains("LAST NOTICE") == true && header?.contains("SENT") == false, "\(text)")
        #expect(text.contains("NOT running") && text.contains("custom") && text.contains("acme lost my bag"))
        let (json, raw, _) = await runForeshock(["status", "--state-dir", state, "--format", "json"])
        #expect(json == .success)
        let parsed = try WatchStatus.read(stateDir: state)
        #expect(parsed.hottest.first?.reshares == 50 && parsed.alerts.first?.silencedBy != nil && raw.contains("\"silenced_by\""))
        // A watch killed leaves `running: true` in its file; no process holds its lock now.
        var killed = parsed
        killed.running = true
        killed.pid = 2_147_483_000
        try killed.json.write(to: URL(fileURLWithPath: WatchStatus.path(stateDir: state)))
        let (_, killedRaw, _) = await runForeshock(["status", "--state-dir", state, "--format", "json"])
        #expect(try WatchStatus.decode(Data(killedRaw.utf8)).running == false, "\(killedRaw.prefix(300))")
        // A silences file it cannot read is said, and left for the watch, which keeps what it read.
        let silences = state + "/silences.json"
        let kept = try? String(contentsOfFile: silences, encoding: .utf8)
        try "{not json".write(toFile: silences, atomically: true, encoding: .utf8)
        let (withBad, _, badErr) = await runForeshock(["status", "--state-dir", state])
        #expect(withBad == .success && badErr.contains("is not a silences file") && badErr.split(separator: "\n").count == 1, "\(badErr)")
        #expect(try String(contentsOfFile: silences, encoding: .utf8) == "{not json")
        if let kept { try kept.write(toFile: silences, atomically: true, encoding: .utf8) } else { try FileManager.default.removeItem(atPath: silences) }
        #expect(parsed.hottest.first?.counters?.last?.reshares == 50, "the polled counters, over time")
        // A damaged status file's absurd prediction is shown, not trapped on (Int(_:) past Int.max).
        var damaged = parsed
        damaged.hottest[0].predicted = 9.3e18
        damaged.hottest[0].supercritical = false
        try damaged.json.write(to: URL(fileURLWithPath: WatchStatus.path(stateDir: state)))
        let (again, againText, _) = await runForeshock(["status", "--state-dir", state])
        #expect(again == .success && againText.contains("9300000000000000000"), "\(againText)")
    }

    @Test("status without a status file, and with an unreadable silences file at start: one clear line each")
    func problems() async throws {
        let state = try makeTemporaryDirectory().path
        let (missing, _, err) = await runForeshock(["status", "--state-dir", state])
        #expect(missing == .failure && err.split(separator: "\n").count == 1 && err.contains("no status in \(state)"), "\(err)")
        // A damaged one names its key, not Foundation's "the data isn't in the correct format".
        for (body, said) in [("{}", #"(no "written_at")"#), (#"{"written_at": "x", "pid": "abc"}"#, #"("pid" is not a number)"#), ("{trunc", "(it is not JSON)")] {
            try body.write(toFile: WatchStatus.path(stateDir: state), atomically: true, encoding: .utf8)
            let (damaged, _, damagedErr) = await runForeshock(["status", "--state-dir", state])
            #expect(damaged == .failure && damagedErr.contains("it could not be read \(said)"), "\(damagedErr)")
        }
        try FileManager.default.removeItem(atPath: WatchStatus.path(stateDir: state))
        try "{not json".write(toFile: state + "/silences.json", atomically: true, encoding: .utf8)
        let (api, config, _) = try await StateJournalTests.setUp(reshares: 1)
        defer { api.stop() }
        let (watched, _, log) = await runForeshock(["watch", "--config", config, "--state-dir", state, "--once", "--mentions", "none"])
        #expect(watched == .success, "\(log)")
        #expect(log.split(separator: "\n").filter { $0.contains("silences file could not be read") }.count == 1, "\(log)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: state).contains { $0.hasPrefix("silences.json.corrupt-") })
    }
}
