import Foundation
import Testing
@testable import ForeshockService
@testable import ForeshockSupport
@testable import ForeshockTestSupport

/// The watch process as a service runs it: a child process against loopback feeds, a loopback
/// SMTP server and a loopback webhook receiver, killed, restarted, reloaded and stopped.
@Suite("The watch process end to end")
struct WatchProcessTests {
    /// A Mastodon status as `GET /api/v1/statuses` and the tag timeline return it.
    static func status(_ id: String, reblogs: Int, createdAt: Date) -> String {
        """
        {"id": "\(id)", "created_at": "\(Timestamp.format(createdAt))", "url": "https://mastodon.example/@dana/\(id)",
         "content": "<p>@acme you lost my bag and nobody answers. Worst airline ever.</p>",
         "account": {"id": "7", "acct": "dana", "followers_count": 2290},
         "reblogs_count": \(reblogs), "replies_count": 3, "favourites_count": 12}
        """
    }

    static func config(api: String, hook: String, smtpPort: Int, interval: String = "1s", extra: String = "") -> String {
        """
        {
          sources: [{ name: "toots", kind: "mastodon", query: "acme", base_url: "\(api)", interval: "\(interval)", fetch_resharers_at: 1000000 }],
          scoring: { evaluation_interval: "1s" },
          alerting: { group_wait: "0s" },
          shutdown_timeout: "3s",
          \(extra)
          sinks: [
            { name: "hook", kind: "webhook", url: "\(hook)/hook", secret_env: "WHSEC" },
            { name: "mail", kind: "email", smtp_url: "smtp://127.0.0.1:\(smtpPort)", starttls: "off", from: "foreshock@example.org", to: ["oncall@example.org"] },
          ],
          rules: [{ name: "going-viral", severity: "critical", sinks: ["hook", "mail"], when: { min_reshares: 100 } }],
        }
        """
    }

    static func messageIDs(_ inbox: URL) -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: inbox.path)) ?? []
        return files.filter { $0.hasSuffix(".eml") }.compactMap { name in
            let text = (try? String(contentsOf: inbox.appendingPathComponent(name), encoding: .utf8)) ?? ""
            return text.split(separator: "\r\n").first { $0.lowercased().hasPrefix("message-id:") }.map(String.init)
        }
    }

    @Test("A complaint going viral reaches webhook and email soon after the crossing poll; SIGKILL mid-delivery, restart: once per sink, no mention scored twice")
    func endToEnd() async throws {
        let created = Date().addingTimeInterval(-120)
        let post = Self.status("1001", reblogs: 0, createdAt: created)
        // The timeline keeps returning the post (as a server ignoring min_id would): the seen
        // set, restored from the journal after the restart, must drop it every time.
        let api = try await ScriptedAPI([
            "/api/v1/timelines/tag/acme": [["body": "[\(post)]"]],
            "/api/v1/statuses": [10, 40, 150].map { ["body": "[\(Self.status("1001", reblogs: $0, createdAt: created))]"] },
        ])
        defer { api.stop() }
        let hook = try await FixtureServer.start("http_server.py", ["--script", try NotifierFixtures.script(["/hook": #"[{"status": 200, "delay": 60}, {"status": 200}]"#])])
        defer { hook.stop() }
        let inbox = try makeTemporaryDirectory()
        let smtp = try await FixtureServer.start("smtp_server.py", ["--outdir", inbox.path])
        defer { smtp.stop() }
        let state = try makeTemporaryDirectory().path
        let configText = Self.config(api: api.base, hook: hook.base, smtpPort: smtp.port)
        let config = try writeTemporaryFile(configText)
        let arguments = ["watch", "--config", config, "--state-dir", state, "--mentions", "none"]
        let environment = ["WHSEC": NotifierFixtures.secret]

        let first = try ChildProcess(arguments, environment: environment)
        let hookSeen = try await eventually(timeout: 30) { try await NotifierFixtures.requests(hook, path: "/hook").count == 1 }
        #expect(hookSeen, "no webhook request; the watch said: \(first.stderr)")
        let mailed = await eventually(timeout: 15) { Self.messageIDs(inbox).count == 1 }
        #expect(mailed, "no mail; the watch said: \(first.stderr)")
        // Latency: from the poll whose answer crossed the threshold to the webhook's arrival.
        let refreshes = try await NotifierFixtures.requests(api.server, path: "/api/v1/statuses")
        let arrived = try await NotifierFixtures.requests(hook, path: "/hook").first
        let latency = (arrived?.at ?? 0) - (refreshes.dropFirst(2).first?.at ?? .infinity)
        #expect(latency >= 0 && latency <= 1 + 5, "latency \(latency) s; refreshes at \(refreshes.map(\.at)), webhook at \(arrived?.at ?? 0)")
        // The receiver holds the request: the message is in the outbox, not marked done.
        first.signal(SIGKILL)
        _ = await first.waitForExit(timeout: 10)

        let second = try ChildProcess(arguments, environment: environment)
        let redelivered = try await eventually(timeout: 30) { try await NotifierFixtures.requests(hook, path: "/hook").count == 2 }
        #expect(redelivered, "the restart did not deliver; it said: \(second.stderr)")
        // Give the restarted watch a few polls and ticks in which it could wrongly send again.
        try await Task.sleep(nanoseconds: 3_000_000_000)
        let hooks = try await NotifierFixtures.requests(hook, path: "/hook")
        #expect(hooks.count == 2)
        #expect(Set(hooks.map { $0.headers["webhook-id"] ?? "" }).count == 1)
        #expect(hooks.last?.json?["alerts"]?.arrayValue?.first?["alert_key"]?.stringValue == "toots:1001")
        let ids = Self.messageIDs(inbox)
        #expect(ids.count == 1 && Set(ids).count == 1, "mail: \(ids)")
        #expect(second.stderr.contains("state restored"))

        // A second process on the same state directory is refused with one sentence.
        let (refused, _, refusal) = await runForeshock(["watch", "--config", config, "--state-dir", state, "--once"], environment: environment)
        #expect(refused == .failure)
        #expect(refusal.contains("another foreshock process (pid \(second.pid)) is using the state directory"), "\(refusal)")

        // SIGHUP with a broken config: every problem logged, the old config keeps running.
        try "{ sources: [{ name: \"toots\", kind: \"mastodn\" }] }".write(toFile: config, atomically: true, encoding: .utf8)
        second.signal(SIGHUP)
        let refusedReload = await eventually(timeout: 10) { second.stderr.contains("config reload refused") }
        #expect(refusedReload, "\(second.stderr)")
        #expect(second.stderr.contains("the previous config keeps running"))
        #expect(second.process.isRunning)
        // Fixed, and its state_dir changed: taken at the next start, and said so.
        let opening = try #require(configText.range(of: "{"))
        try configText.replacingCharacters(in: opening, with: "{ state_dir: \"\(state)-elsewhere\",").write(toFile: config, atomically: true, encoding: .utf8)
        second.signal(SIGHUP)
        let reloaded = await eventually(timeout: 10) { second.stderr.contains("msg=\"config reloaded\"") }
        #expect(reloaded, "\(second.stderr)")
        #expect(second.stderr.contains("state_dir changed in the config; the watch keeps its state in the directory it started with"), "\(second.stderr)")
        // The reloaded config's sources poll again: the old ones ended, new ones started.
        let pollsAtReload = try await NotifierFixtures.requests(api.server, path: "/api/v1/timelines/tag/acme").count
        let pollsAgain = try await eventually(timeout: 15) {
            try await NotifierFixtures.requests(api.server, path: "/api/v1/timelines/tag/acme").count > pollsAtReload
        }
        #expect(pollsAgain, "no poll after the reload: \(second.stderr)")

        // SIGTERM: stops polling, writes its state, exits 0.
        second.signal(SIGTERM)
        let exit = await second.waitForExit(timeout: 15)
        #expect(exit == 0, "\(second.stderr)")
        #expect(second.stderr.contains("msg=stopping signal=SIGTERM"))

        // Every mention was scored once: one post line in the journal for the post the
        // timeline returned on every poll of both runs.
        let journal = try String(contentsOfFile: state + "/journal.jsonl", encoding: .utf8)
        #expect(journal.split(separator: "\n").filter { $0.contains(#""type":"post""#) && $0.contains(#""id":"1001""#) }.count == 1)
        let metrics = try String(contentsOfFile: state + "/foreshock.prom", encoding: .utf8)
        #expect(metrics.contains(#"foreshock_deliveries_total{sink="mail",outcome="ok"}"#))
        #expect(metrics.contains("foreshock_posts_tracked 1"))
        let (shown, text, _) = await runForeshock(["status", "--state-dir", state])
        #expect(shown == .success)
        #expect(text.contains("NOT running") && text.contains("going-viral") && text.contains("toots:1001"), "\(text)")
        #expect(text.contains("toots") && text.contains("mastodon"))
    }

    @Test("A source failing longer than source_down_after raises its own alert to the critical sinks, and resolves when it recovers")
    func sourceDown() async throws {
        let api = try await ScriptedAPI([
            "/api/v1/timelines/tag/acme": [["status": 401, "body": #"{"error": "The access token is invalid"}"#],
                                           ["status": 401, "body": #"{"error": "The access token is invalid"}"#], ["body": "[]"]],
        ])
        defer { api.stop() }
        let hook = try await FixtureServer.start("http_server.py", ["--script", try NotifierFixtures.script(["/hook": #"[{"status": 200}]"#])])
        defer { hook.stop() }
        let inbox = try makeTemporaryDirectory()
        let smtp = try await FixtureServer.start("smtp_server.py", ["--outdir", inbox.path])
        defer { smtp.stop() }
        let state = try makeTemporaryDirectory().path
        let config = try writeTemporaryFile(Self.config(api: api.base, hook: hook.base, smtpPort: smtp.port, extra: #"source_down_after: "2s","#))
        let child = try ChildProcess(["watch", "--config", config, "--state-dir", state, "--mentions", "none"], environment: ["WHSEC": NotifierFixtures.secret])
        let raised = try await eventually(timeout: 30) {
            try await NotifierFixtures.requests(hook, path: "/hook").contains { $0.json?["alerts"]?.arrayValue?.first?["state"]?.stringValue == "firing" }
        }
        #expect(raised, "\(child.stderr)")
        let resolved = try await eventually(timeout: 40) {
            try await NotifierFixtures.requests(hook, path: "/hook").contains { $0.json?["alerts"]?.arrayValue?.first?["state"]?.stringValue == "resolved" }
        }
        #expect(resolved, "\(child.stderr)")
        let alerts = try await NotifierFixtures.requests(hook, path: "/hook").compactMap { $0.json?["alerts"]?.arrayValue?.first }
        #expect(alerts.allSatisfy { $0["alert_key"]?.stringValue == "foreshock:source-down/toots" && $0["rule"]?.stringValue == "source-down" })
        #expect(alerts.first?["text"]?.stringValue?.contains("access token is invalid") == true, "\(alerts)")
        // Fired source_down_after into the failure, which is its first_seen; both notifications say so.
        let times = alerts.map { ($0["first_seen"]?.stringValue.flatMap(Timestamp.parse), $0["fired_at"]?.stringValue.flatMap(Timestamp.parse)) }
        #expect(!times.isEmpty && times.allSatisfy { seen, fired in seen != nil && fired != nil && fired! >= seen! + 1.9 } && Set(times.map { $0.1 }).count == 1, "\(times)")
        #expect(child.stderr.contains("msg=\"source down\"") && child.stderr.contains("msg=\"source recovered\""))
        child.signal(SIGTERM)
        #expect(await child.waitForExit(timeout: 15) == 0)
    }

    @Test("status gives a source-down alert the time it fired, source_down_after into the failure, not the failure's start")
    func sourceDownInStatus() async throws {
        let state = try makeTemporaryDirectory().path
        let config = try writeTemporaryFile(#"{ sources: [{ name: "dead", kind: "json", url: "http://127.0.0.1:9/x", items: "items", fields: { id: "id" }, interval: "1s" }], source_down_after: "3s", sinks: [{ name: "log", kind: "console" }] }"#)
        let child = try ChildProcess(["watch", "--config", config, "--state-dir", state, "--mentions", "none"])
        defer { child.signal(SIGKILL) }
        #expect(await eventually(timeout: 30) { child.stderr.contains("msg=\"source down\"") }, "\(child.stderr)")
        child.signal(SIGTERM)
        #expect(await child.waitForExit(timeout: 15) == 0, "\(child.stderr)")
        let status = try WatchStatus.read(stateDir: state)
        let since = try #require(status.alerts.first { $0.rule == "source-down" }.flatMap { Timestamp.parse($0.since) })
        let down = try #require(status.sources.first?.downSince.flatMap(Timestamp.parse))
        #expect(since >= down + 2.9, "alert since \(since), source down since \(down)")
        // What its receivers were told, as for any alert.
        #expect(status.alerts.first { $0.rule == "source-down" }?.notifications == "sent to log", "\(status.alerts)")
    }

    @Test("A reload while a webhook hangs mid-delivery holds back neither the reload nor the polling: the send under way ends in its time, and the new config's sink delivers after it")
    func reloadWhileReceiverHangs() async throws {
        let posts = (0..<2).map { HostileSourceTests.status("\(700 + $0)", reblogs: 150) }
        let api = try await ScriptedAPI([
            "/api/v1/timelines/tag/acme": [["body": "[\(posts[0])]"], ["body": "[]"], ["body": "[]"], ["body": "[]"], ["body": "[\(posts[1])]"], ["body": "[]"]],
            "/api/v1/statuses": [["body": "[]"]],
            // The first message hangs for 12 s; the ones after it are answered at once.
            "/hook": [["delay": 12, "body": "ok"], ["body": "ok"]],
        ])
        defer { api.stop() }
        let state = try makeTemporaryDirectory()
        let config = try writeTemporaryFile(DamagedStateTests.config(api: api.base, hook: "\(api.base)/hook")
            .replacingOccurrences(of: #"shutdown_timeout: "3s""#, with: #"shutdown_timeout: "20s""#)
            .replacingOccurrences(of: #"url: "\#(api.base)/hook" }"#, with: #"url: "\#(api.base)/hook", timeout: "30s" }"#))
        let child = try ChildProcess(["watch", "--config", config, "--state-dir", state.path, "--mentions", "none"])
        defer { child.signal(SIGKILL) }
        #expect(try await eventually(timeout: 30) { try await !api.requests(to: "/hook").isEmpty }, "\(child.stderr)")
        let pollsBefore = try await api.requests(to: "/api/v1/timelines/tag/acme").count
        let hup = Date()
        child.signal(SIGHUP)
        #expect(await eventually(timeout: 8) { child.stderr.contains("msg=\"config reloaded\"") }, "\(child.stderr)")
        #expect(Date().timeIntervalSince(hup) < 8, "the reload waited for the hanging receiver")
        // Polling goes on while the first send hangs: the second post is found and alerts.
        #expect(try await eventually(timeout: 8) { try await api.requests(to: "/api/v1/timelines/tag/acme").count >= pollsBefore + 3 }, "\(child.stderr)")
        // Both messages arrive, the second after the first has ended, and nothing twice.
        #expect(try await eventually(timeout: 30) { try await api.requests(to: "/hook").count >= 2 }, "\(child.stderr)")
        try await Task.sleep(nanoseconds: 1_500_000_000)
        let hooks = try await api.requests(to: "/hook")
        #expect(hooks.count == 2 && Set(hooks.compactMap { $0.headers["webhook-id"] }).count == 2, "\(hooks.map(\.headers))")
        child.signal(SIGTERM)
        #expect(await child.waitForExit(timeout: 30) == 0, "\(child.stderr)")
        #expect(child.stderr.contains("every notification was delivered"), "\(child.stderr)")
    }

    @Test("A SIGHUP while a long journal is restored (systemctl reload as the service starts) waits its turn: the watch reloads after, and stops cleanly on SIGTERM")
    func signalsDuringRestore() async throws {
        let state = try makeTemporaryDirectory()
        // 400,000 ticks: a couple of seconds to restore in a debug build.
        let ticks = (0..<400_000).map { "{\"type\":\"tick\",\"time\":\(1_790_000_000 + $0).5}\n" }.joined()
        try Data(ticks.utf8).write(to: state.appendingPathComponent("journal.jsonl"))
        let config = try writeTemporaryFile(#"{ sources: [{ name: "dead", kind: "json", url: "http://127.0.0.1:9/x", items: "items", fields: { id: "id" }, interval: "60s" }], web: { listen: "127.0.0.1:0" } }"#)
        let child = try ChildProcess(["watch", "--config", config, "--state-dir", state.path, "--mentions", "none"])
        // The web server starts before the state is restored.
        #expect(await eventually(timeout: 30) { child.stderr.contains("msg=\"web server listening\"") }, "\(child.stderr)")
        child.signal(SIGHUP)
        let reloaded = await eventually(timeout: 60) { child.stderr.contains("msg=\"config reloaded\"") }
        #expect(reloaded, "\(child.stderr)")
        #expect(await child.waitForExit(timeout: 1) == nil, "the watch ended: \(child.stderr)")
        let log = child.stderr
        let restored = try #require(log.range(of: "msg=\"state restored\""))
        #expect(restored.lowerBound < log.range(of: "msg=\"config reloaded\"")!.lowerBound, "the reload came before the state was restored: \(log)")
        child.signal(SIGTERM)
        #expect(await child.waitForExit(timeout: 30) == 0, "\(child.stderr)")
    }

    @Test("A journal write cut short (a file size limit here, a full disk in life) is cut back off: once there is room again, every line reads, and a second run of failures is said again")
    func journalWriteCutShort() async throws {
        // One post at the first poll, so the journal has a line to size the limit by; 40 posts at
        // the second, 8 s later, once the limit is set. (A first poll that found nothing wrote
        // nothing, and under load the second poll's lines could come before the limit.)
        // Then 40 more at the fourth and at the fifth poll, for a second run of failures.
        let batch = { (ids: ClosedRange<Int>) throws -> String in "[" + (try ids.map { try mastodonStatus(id: String($0), reblogs: 3) }).joined(separator: ",") + "]" }
        let first = try mastodonStatus(id: "1000", reblogs: 3)
        let api = try await ScriptedAPI(["/api/v1/timelines/tag/acme": [["body": "[" + first + "]"], ["body": try batch(1001...1040)], ["body": "[]"],
                                                                        ["body": try batch(1041...1080)], ["body": try batch(1081...1120)], ["body": "[]"]]])
        defer { api.stop() }
        let state = try makeTemporaryDirectory()
        let config = try writeTemporaryFile(#"{ sources: [{ name: "toots", kind: "mastodon", query: "acme", base_url: "\#(api.base)", interval: "8s", fetch_resharers_at: 1000000 }], scoring: { evaluation_interval: "1s" }, rules: [{ name: "r", severity: "critical", when: { min_reshares: 1000 } }], sinks: [{ name: "log", kind: "console" }] }"#)
        let child = try ChildProcess(["watch", "--config", config, "--state-dir", state.path, "--mentions", "none"])
        defer { child.signal(SIGKILL) }
        let journal = state.appendingPathComponent("journal.jsonl").path
        func size() -> Int { ((try? FileManager.default.attributesOfItem(atPath: journal))?[.size] as? Int) ?? 0 }
        #expect(await eventually(timeout: 30) { size() > 0 }, "\(child.stderr)")
        // The soft limit only: raising it again needs no privilege. It holds for every file the
        // process writes, its stderr too: room for the ticks and the log, not for the 40 posts.
        func limit(_ bytes: String) throws { #expect(try runProgramNow("/usr/bin/prlimit", ["--pid", "\(child.pid)", "--fsize=\(bytes):"]).status == 0) }
        try limit("\(max(size(), child.stderrBytes.count) + 2000)")
        #expect(await eventually(timeout: 30) { child.stderr.contains("cannot write the state journal") }, "\(child.stderr)")
        try limit("unlimited")
        let cut = size()
        #expect(await eventually(timeout: 30) { size() > cut + 100 }, "\(child.stderr)")
        // A second run of failures, after writes that worked, is said at its first too, not at
        // the hundredth failure counted since the process started. Room for a few lines only:
        // on a loaded machine the 40-post polls may have come already, and the ticks (a line a
        // second) must fill it within the wait.
        try limit("\(max(size(), child.stderrBytes.count) + 600)")
        func said() -> Int { child.stderr.components(separatedBy: "cannot write the state journal").count - 1 }
        #expect(await eventually(timeout: 40) { said() == 2 }, "\(child.stderr)")
        try limit("unlimited")
        child.signal(SIGTERM)
        #expect(await child.waitForExit(timeout: 30) == 0, "\(child.stderr)")
        let lines = try String(contentsOfFile: journal, encoding: .utf8).split(separator: "\n")
        let unreadable = lines.filter { (try? JSONValue.parse(Data($0.utf8))) == nil }
        #expect(unreadable.isEmpty, "\(unreadable.prefix(2))")
        #expect(child.stderr.contains("error=\"file too large\""), "\(child.stderr)")
    }
}
