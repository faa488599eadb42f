import Foundation
import Testing
@testable import ForeshockService
@testable import ForeshockSupport
@testable import ForeshockTestSupport

/// The state directory damaged between runs, as disks, editors and crashes damage it: a
/// garbage line in the journal, a journal or outbox cut to zero bytes, a first write torn
/// mid-line. Whatever it holds, no alert is announced twice under a new id and no queued
/// message is lost without a word.
@Suite("Damaged state")
struct DamagedStateTests {
    static func config(api: String, hook: String) -> String {
        """
        { sources: [{ name: "toots", kind: "mastodon", query: "acme", base_url: "\(api)", interval: "1s", fetch_resharers_at: 1000000 }],
          scoring: { evaluation_interval: "1s" }, alerting: { group_wait: "0s" }, shutdown_timeout: "3s",
          sinks: [{ name: "hook", kind: "webhook", url: "\(hook)" }],
          rules: [{ name: "going-viral", severity: "critical", when: { min_reshares: 100 } }] }
        """
    }

    /// A timeline (and its count refresh) that keeps returning `count` posts already past the rule.
    static func viralAPI(count: Int, first: Int) async throws -> ScriptedAPI {
        let posts = (0..<count).map { HostileSourceTests.status("\(first + $0)", reblogs: 150) }.joined(separator: ",")
        return try await ScriptedAPI([
            "/api/v1/timelines/tag/acme": [["body": "[\(posts)]"]],
            "/api/v1/statuses": [["body": "[\(posts)]"]],
        ])
    }

    static func webhookIDs(_ server: FixtureServer, path: String) async throws -> Set<String> {
        Set(try await NotifierFixtures.requests(server, path: path).compactMap { $0.headers["webhook-id"] })
    }

    /// Runs the watch until `until` holds, gives it `linger` more seconds, then stops it with SIGTERM.
    static func run(_ config: String, state: String, linger: Double, until: (ChildProcess) async throws -> Bool) async throws -> ChildProcess {
        let child = try ChildProcess(["watch", "--config", config, "--state-dir", state, "--mentions", "none"])
        let reached = try await eventually(timeout: 40) { try await until(child) }
        #expect(reached, "\(child.stderr)")
        try await Task.sleep(nanoseconds: UInt64(linger * 1e9))
        child.signal(SIGTERM)
        #expect(await child.waitForExit(timeout: 15) == 0, "\(child.stderr)")
        return child
    }

    @Test("A garbage line in the journal costs that line only, and a journal cut to zero bytes re-announces nothing: no webhook under a new id")
    func damagedJournal() async throws {
        let api = try await Self.viralAPI(count: 6, first: 4001)
        defer { api.stop() }
        let hook = try await FixtureServer.start("http_server.py", ["--script", try NotifierFixtures.script(["/hook": #"[{"status": 200}]"#])])
        defer { hook.stop() }
        let state = try makeTemporaryDirectory().path
        let config = try writeTemporaryFile(Self.config(api: api.base, hook: hook.base + "/hook"))
        _ = try await Self.run(config, state: state, linger: 1) { _ in try await Self.webhookIDs(hook, path: "/hook").count >= 6 }
        let first = try await Self.webhookIDs(hook, path: "/hook")
        #expect(first.count == 6)

        let journal = state + "/journal.jsonl"
        let handle = try #require(FileHandle(forWritingAtPath: journal))
        handle.seekToEndOfFile()
        handle.write(Data("this line is garbage\n".utf8))
        try handle.close()
        // Long enough to have polled the timeline twice after restoring: twice it could have sent.
        let before = try await api.requests(to: "/api/v1/timelines/tag/acme").count
        let second = try await Self.run(config, state: state, linger: 1) { _ in try await api.requests(to: "/api/v1/timelines/tag/acme").count >= before + 2 }
        #expect(try await Self.webhookIDs(hook, path: "/hook") == first, "the restart sent again: \(second.stderr)")
        let damage = second.stderr.split(separator: "\n").filter { $0.contains("journal") && ($0.contains("level=warning") || $0.contains("level=error")) }
        #expect(damage.count == 1 && damage[0].contains("line"), "\(damage)")
        #expect(second.stderr.contains("msg=\"state restored\""), "\(second.stderr)")
        #expect(second.stderr.contains("posts=6"), "the other lines were not kept: \(second.stderr)")

        try Data().write(to: URL(fileURLWithPath: journal))
        // With the journal gone the six posts are new to the core and fire again: wait until the
        // notifier has said, six times, that the receivers were already told.
        let third = try await Self.run(config, state: state, linger: 1) { child in
            child.stderr.components(separatedBy: "receivers were already told").count - 1 >= 6
        }
        #expect(try await Self.webhookIDs(hook, path: "/hook") == first, "the restart on an empty journal sent again: \(third.stderr)")
        let metrics = try String(contentsOfFile: state + "/foreshock.prom", encoding: .utf8)
        #expect(metrics.contains("foreshock_notifications_already_announced_total 6"), "\(metrics)")
    }

    @Test("A first journal write torn mid-line survives two restarts without the journal being moved aside")
    func tornFirstWrite() async throws {
        let api = try await Self.viralAPI(count: 1, first: 5001)
        defer { api.stop() }
        let hook = try await FixtureServer.start("http_server.py", ["--script", try NotifierFixtures.script(["/hook": #"[{"status": 200}]"#])])
        defer { hook.stop() }
        let state = try makeTemporaryDirectory().path
        try Data(#"{"type":"post","time":17"#.utf8).write(to: URL(fileURLWithPath: state + "/journal.jsonl"))
        let config = try writeTemporaryFile(Self.config(api: api.base, hook: hook.base + "/hook"))
        let first = try await Self.run(config, state: state, linger: 1) { _ in try await Self.webhookIDs(hook, path: "/hook").count >= 1 }
        #expect(first.stderr.contains("half a line"), "\(first.stderr)")
        let second = try await Self.run(config, state: state, linger: 1) { $0.stderr.contains("state restored") }
        let third = try await Self.run(config, state: state, linger: 1) { $0.stderr.contains("state restored") }
        for run in [second, third] {
            #expect(!run.stderr.contains("moved"), "\(run.stderr)")
            #expect(run.stderr.contains("posts=1"), "\(run.stderr)")
        }
        #expect(try await Self.webhookIDs(hook, path: "/hook").count == 1)
    }

    @Test("An outbox cut to zero bytes is said in one line with what it lost, and its messages go out again under the ids they had, in their order")
    func outboxCutToZero() async throws {
        let api = try await Self.viralAPI(count: 6, first: 6001)
        defer { api.stop() }
        let down = try await FixtureServer.start("http_server.py", ["--script", try NotifierFixtures.script(["/hook": #"[{"status": 503}]"#])])
        defer { down.stop() }
        let up = try await FixtureServer.start("http_server.py", ["--script", try NotifierFixtures.script(["/hook": #"[{"status": 200}]"#])])
        defer { up.stop() }
        let state = try makeTemporaryDirectory().path
        let config = try writeTemporaryFile(Self.config(api: api.base, hook: down.base + "/hook"))
        // One sink delivers in order: the first message is retried while the other two wait.
        _ = try await Self.run(config, state: state, linger: 2) { _ in try await Self.webhookIDs(down, path: "/hook").count >= 1 }
        let outbox = try String(contentsOfFile: state + "/outbox.jsonl", encoding: .utf8)
        let queued = outbox.split(separator: "\n").compactMap { try? JSONValue.parse(Data($0.utf8)) }
            .filter { $0["op"]?.stringValue == "add" }.compactMap { $0["id"]?.stringValue }
        #expect(queued.count == 6 && Set(queued).count == 6, "\(outbox)")
        #expect(try await Self.webhookIDs(down, path: "/hook").isSubset(of: Set(queued)))

        try Data().write(to: URL(fileURLWithPath: state + "/outbox.jsonl"))
        try Self.config(api: api.base, hook: up.base + "/hook").write(toFile: config, atomically: true, encoding: .utf8)
        let second = try await Self.run(config, state: state, linger: 3) { _ in try await Self.webhookIDs(up, path: "/hook").count >= 6 }
        // Queued again in the order they were first queued (the log's), as one sink delivers:
        // a lost trigger goes before its resolve.
        let delivered = try await NotifierFixtures.requests(up, path: "/hook").compactMap { $0.headers["webhook-id"] }
        #expect(delivered == queued, "\(second.stderr)")
        let said = second.stderr.split(separator: "\n").filter { $0.contains("level=error") && $0.contains("outbox") }
        #expect(said.count == 1 && said[0].contains("lost=6"), "\(said)")
    }

    @Test("A state directory that is a file is said as such, and a second process on one directory is refused")
    func stateDirectoryLock() throws {
        let file = try writeTemporaryFile("not a directory")
        #expect(throws: StateLock.Error.self) { try StateLock(directory: file) }
        do { _ = try StateLock(directory: file) } catch { #expect(error.description == "the state directory \(file) is a file, not a directory") }
        let directory = try makeTemporaryDirectory().path
        let first = try StateLock(directory: directory)
        defer { first.release() }
        do { _ = try StateLock(directory: directory); Issue.record("taken twice") } catch { #expect(error.code == .held && error.description.contains("(pid \(getpid()))")) }
    }
}
