import Foundation
import Testing
@testable import ForeshockConfig
@testable import ForeshockCore
@testable import ForeshockDelivery
@testable import ForeshockSupport
@testable import ForeshockService
@testable import ForeshockTestSupport

/// Notifications to real receivers on loopback: the fixture HTTP server scripted per path.
@Suite("Delivery: webhooks, retries, dead letters, grouping, silences, restart")
struct NotifierTests {
    @Test("Webhook: signed as Standard Webhooks says, retried through 500 and 429 + Retry-After under one webhook-id")
    func webhookRetries() async throws {
        let server = try await FixtureServer.start("http_server.py", ["--script", try NotifierFixtures.script([
            "/hook": #"[{"status": 500}, {"status": 429, "headers": {"Retry-After": "1"}}, {"status": 200}]"#,
        ])])
        defer { server.stop() }
        let notifier = try NotifierFixtures.notifier(try NotifierFixtures.config(sinks: #"{ name: "hook", kind: "webhook", url: "\#(server.base)/hook", secret_env: "WHSEC" }"#,
                                                          extra: #"alerting: { group_wait: "0s" }"#))
        defer { notifier.stop() }
        let started = Date()
        notifier.submit([NotifierFixtures.note("1")])
        #expect(await notifier.drain(timeout: 30))
        let seen = try await NotifierFixtures.requests(server, path: "/hook")
        #expect(seen.count == 3)
        #expect(Date().timeIntervalSince(started) >= 1) // waited for Retry-After
        #expect(Set(seen.map { $0.headers["webhook-id"] ?? "" }).count == 1)
        let key = try #require(SinkConfig.signingKey(NotifierFixtures.secret))
        for request in seen {
            // Verified as a receiver would: HMAC over id.timestamp.body, timestamp recent.
            let id = try #require(request.headers["webhook-id"]), timestamp = try #require(request.headers["webhook-timestamp"].flatMap { Int($0) })
            #expect(abs(Double(timestamp) - Date().timeIntervalSince1970) < 300)
            #expect(request.headers["webhook-signature"] == WebhookSink.signature(key: key, id: id, timestamp: timestamp, body: Data(request.body.utf8)))
        }
        let alert = try #require(seen.last?.json?["alerts"]?.arrayValue?.first)
        #expect(alert["alert_key"]?.stringValue == "mastodon:1")
        #expect(alert["counts"]?["reshares"]?.intValue == 412)
        #expect(alert["predicted"]?.doubleValue == 2350)
        #expect(notifier.stats.delivered["hook"] == 1 && notifier.stats.retried["hook"] == 2 && notifier.outbox.depth == 0)
    }

    @Test("A 410 is not retried: the message goes to the dead letters with the reason")
    func deadLetter() async throws {
        let server = try await FixtureServer.start("http_server.py", ["--script", try NotifierFixtures.script(["/gone": #"[{"status": 410, "body": "gone"}]"#])])
        defer { server.stop() }
        let state = try makeTemporaryDirectory().path
        let notifier = try NotifierFixtures.notifier(try NotifierFixtures.config(sinks: #"{ name: "hook", kind: "webhook", url: "\#(server.base)/gone" }"#), stateDir: state)
        defer { notifier.stop() }
        notifier.submit([NotifierFixtures.note("1")])
        #expect(await notifier.drain(timeout: 30))
        #expect(try await NotifierFixtures.requests(server, path: "/gone").count == 1)
        let dead = try String(contentsOfFile: state + "/dead-letter.jsonl", encoding: .utf8)
        #expect(dead.contains("HTTP 410") && dead.contains("mastodon:1"))
        #expect(notifier.outbox.depth == 0 && notifier.stats.dead["hook"] == 1)
        // status shows it beside the alert, not "sent".
        #expect(notifier.stats.givenUp["hook"] == ["mastodon:1"])
    }

    @Test("A receiver down past the give-up time: what queued behind its pause goes to the dead letters when its time is up, untried, not when the pause ends")
    func untriedMessagesRunOut() async throws {
        let server = try await FixtureServer.start("http_server.py", ["--script", try NotifierFixtures.script(["/down": #"[{"status": 503}]"#])])
        defer { server.stop() }
        let state = try makeTemporaryDirectory().path
        // A back-off far past the give-up time: after two failures the sink is left alone for
        // minutes. Each message has 30 s from its writing to its first try: the full suite's
        // heavy tests keep both cores (and Swift's two threads) busy, and 10 s once ran out
        // before the second message's first try.
        let notifier = try NotifierFixtures.notifier(try NotifierFixtures.config(sinks: #"{ name: "hook", kind: "webhook", url: "\#(server.base)/down" }"#,
                                                                                 extra: #"alerting: { group_wait: "0s" }"#),
                                                     stateDir: state, policy: RetryPolicy(initial: 300, maximum: 600, giveUpAfter: 30))
        defer { notifier.stop() }
        notifier.submit([NotifierFixtures.note("1")])
        notifier.submit([NotifierFixtures.note("2")])
        for _ in 0..<3000 where (notifier.stats.retried["hook"] ?? 0) < 2 { try await Task.sleep(nanoseconds: 20_000_000) }
        #expect(notifier.stats.retried["hook"] == 2)
        notifier.submit([NotifierFixtures.note("3")])
        notifier.submit([NotifierFixtures.note("4")])
        #expect(await notifier.drain(timeout: 120))
        #expect(try await NotifierFixtures.requests(server, path: "/down").count == 2)
        let dead = try String(contentsOfFile: state + "/dead-letter.jsonl", encoding: .utf8).split(separator: "\n")
        let untried = dead.filter { $0.contains("without a try: the receiver failed for every message") }
        #expect(dead.count == 4 && untried.count == 2 && untried.allSatisfy { $0.contains("mastodon:3") || $0.contains("mastodon:4") }, "\(dead)")
        #expect(notifier.stats.dead["hook"] == 4 && notifier.outbox.depth == 0)
    }

    @Test("At a start, what the outbox kept for longer than the give-up time goes to the dead letters unsent: a page a day late is noise")
    func staleOutboxIsNotSent() async throws {
        let server = try await FixtureServer.start("http_server.py", ["--script", try NotifierFixtures.script(["/hook": #"[{"status": 200}]"#])])
        defer { server.stop() }
        let state = try makeTemporaryDirectory().path
        let config = try NotifierFixtures.config(sinks: #"{ name: "hook", kind: "webhook", url: "\#(server.base)/hook" }"#, extra: #"alerting: { group_wait: "0s" }"#)
        // Written two days ago by a run that could not deliver them, and one written just now.
        let now = Date().timeIntervalSince1970, body = Data(#"{"text":"old page"}"#.utf8).base64EncodedString()
        let lines = [("msg_old1", now - 2 * 86_400), ("msg_old2", now - 2 * 86_400 + 60), ("msg_new", now - 10)].map { id, created in
            #"{"op":"add","id":"\#(id)","sink":"hook","created":\#(created),"keys":["mastodon:\#(id)"],"rules":["going-viral"],"body":"\#(body)"}"#
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: state + "/outbox.jsonl", atomically: true, encoding: .utf8)
        let notifier = try NotifierFixtures.notifier(config, stateDir: state, policy: RetryPolicy(initial: 0.2, maximum: 1, giveUpAfter: 86_400))
        defer { notifier.stop() }
        #expect(await notifier.drain(timeout: 30))
        let sent = try await NotifierFixtures.requests(server, path: "/hook")
        #expect(sent.map { $0.headers["webhook-id"] ?? "" } == ["msg_new"], "\(sent.map(\.headers))")
        let dead = try String(contentsOfFile: state + "/dead-letter.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(dead.count == 2 && dead.allSatisfy { $0.contains("msg_old") && $0.contains("without a try: it had waited that long when this run took it up") }, "\(dead)")
        #expect(notifier.outbox.depth == 0)
    }

    @Test("A hanging sink does not hold back another; it times out and is retried")
    func hangingSink() async throws {
        let server = try await FixtureServer.start("http_server.py", ["--script", try NotifierFixtures.script([
            "/slow": #"[{"status": 200, "delay": 4}, {"status": 200}]"#, "/fast": #"[{"status": 200}]"#,
        ])])
        defer { server.stop() }
        let notifier = try NotifierFixtures.notifier(try NotifierFixtures.config(sinks: #"""
            { name: "slow", kind: "webhook", url: "\#(server.base)/slow", timeout: "1s" },
            { name: "fast", kind: "webhook", url: "\#(server.base)/fast" }
            """#))
        defer { notifier.stop() }
        notifier.submit([NotifierFixtures.note("1")])
        // The fast sink is done while the slow one still hangs on its first attempt.
        let fast = try await NotifierFixtures.requests(server, path: "/fast", atLeast: 1).count
        #expect(fast == 1)
        #expect(notifier.stats.delivered["slow"] == 0)
        #expect(await notifier.drain(timeout: 30))
        let slow = try await NotifierFixtures.requests(server, path: "/slow")
        #expect(slow.count == 2 && slow[0].headers["webhook-id"] == slow[1].headers["webhook-id"])
        #expect(notifier.stats.delivered["slow"] == 1)
    }

    @Test("A message the receiver refuses for now holds back only later messages about its own alert: another alert's page goes at once, its resolve waits behind it")
    func failingMessageHoldsBackOnlyItsAlert() async throws {
        // The first request fails; every one after it is answered.
        let server = try await FixtureServer.start("http_server.py", ["--script", try NotifierFixtures.script(["/hook": #"[{"status": 503}, {"status": 200}]"#])])
        defer { server.stop() }
        let notifier = try NotifierFixtures.notifier(try NotifierFixtures.config(sinks: #"{ name: "hook", kind: "webhook", url: "\#(server.base)/hook" }"#,
                                                                                extra: #"alerting: { group_wait: "0s" }"#))
        defer { notifier.stop() }
        // Handed over together, before the first answer: the first one's retry (0.2 s later) must
        // not come before the others are queued, whatever the machine's load.
        notifier.submit([NotifierFixtures.note("1")])
        notifier.submit([NotifierFixtures.note("2")])
        notifier.submit([NotifierFixtures.note("1", reason: .resolved, after: 60)])
        #expect(await notifier.drain(timeout: 30))
        let seen = try await NotifierFixtures.requests(server, path: "/hook")
        let order = seen.compactMap { request in request.json?["alerts"]?.arrayValue?.first.flatMap { alert in
            "\(alert["alert_key"]?.stringValue ?? "?") \(request.json?["status"]?.stringValue ?? alert["state"]?.stringValue ?? "?")"
        } }
        // Alert 2 went while alert 1's first message waited for its retry; alert 1's resolve
        // came only after its trigger.
        #expect(seen.count == 4, "\(order)")
        #expect(order.first == order.dropFirst(2).first && order[1].hasPrefix("mastodon:2") && order.last?.hasPrefix("mastodon:1") == true, "\(order)")
        #expect(Set(seen.map { $0.headers["webhook-id"] ?? "" }).count == 3)
    }

    @Test("A receiver that is down is not asked once per queued message: after two failures in a row the sink waits on one back-off; max_per_minute counts failed attempts too")
    func downReceiverNotHammered() async throws {
        let server = try await FixtureServer.start("http_server.py", ["--script", try NotifierFixtures.script(["/down": #"[{"status": 503}]"#, "/limited": #"[{"status": 503}]"#])])
        defer { server.stop() }
        let notifier = try NotifierFixtures.notifier(try NotifierFixtures.config(sinks: #"""
            { name: "down", kind: "webhook", url: "\#(server.base)/down" },
            { name: "limited", kind: "webhook", url: "\#(server.base)/limited", max_per_minute: 3 }
            """#, extra: #"alerting: { group_wait: "0s" }"#))
        defer { notifier.stop() }
        for post in 0..<20 { notifier.submit([NotifierFixtures.note("\(post)")]) }
        let first = try #require(try await NotifierFixtures.requests(server, path: "/down", atLeast: 2, tries: 1000).first?.at)
        try await Task.sleep(nanoseconds: 3_500_000_000)
        // Back-off 0.2 s doubling to 1 s (the tests' policy): at most a handful of attempts in the
        // 3 s after the first (by the server's clock, whatever the load), where each of the 20
        // messages on its own back-off made over 60. (That it retries at all, the wait for two
        // attempts above holds: under load the second may come past those 3 s.)
        let down = try await NotifierFixtures.requests(server, path: "/down").filter { $0.at <= first + 3 }.count
        #expect(down <= 10, "\(down) attempts")
        #expect(try await NotifierFixtures.requests(server, path: "/limited").count <= 3)
        #expect(notifier.outbox.depth == 40)
    }

    @Test("A retry that came due goes before a message written after it: new messages arriving at the rate limit do not hold it back for good")
    func retryNotStarvedByNewMessages() async throws {
        let server = try await FixtureServer.start("http_server.py", ["--script", try NotifierFixtures.script(["/hook": #"[{"status": 503}, {"status": 200}]"#])])
        defer { server.stop() }
        // One attempt each half second (the limit's window shortened).
        let notifier = try NotifierFixtures.notifier(try NotifierFixtures.config(sinks: #"{ name: "hook", kind: "webhook", url: "\#(server.base)/hook", max_per_minute: 1 }"#,
                                                                                extra: #"alerting: { group_wait: "0s" }"#), rateWindow: 0.5)
        defer { notifier.stop() }
        notifier.submit([NotifierFixtures.note("1")])
        _ = try await NotifierFixtures.requests(server, path: "/hook", atLeast: 1)
        // Four written before alert 1's retry comes due (0.2 s), four after it: the four before
        // go first, then the retry, then the rest.
        for post in 2...5 { notifier.submit([NotifierFixtures.note("\(post)")]) }
        try await Task.sleep(nanoseconds: 1_000_000_000)
        for post in 6...9 { notifier.submit([NotifierFixtures.note("\(post)")]) }
        let seen = try await NotifierFixtures.requests(server, path: "/hook", atLeast: 10, tries: 500)
        let posts = seen.map { $0.json?["alerts"]?.arrayValue?.first?["post"]?.stringValue ?? "?" }
        // However late this test queued them, alert 1's retry comes before every alert written
        // a second after its failure.
        let retry = posts.indices.filter { posts[$0] == "1" }.dropFirst().first
        let later = posts.firstIndex { ["6", "7", "8", "9"].contains($0) }
        #expect(retry != nil && later != nil && retry! < later!, "\(posts)")
    }

    /// A webhook sink on a loopback server that answers 200, grouping for `groupWait`.
    static func hook(groupWait: String) async throws -> (FixtureServer, Notifier) {
        let server = try await FixtureServer.start("http_server.py", ["--script", try NotifierFixtures.script(["/hook": #"[{"status": 200}]"#])])
        do {
            let config = try NotifierFixtures.config(sinks: #"{ name: "hook", kind: "webhook", url: "\#(server.base)/hook" }"#,
                                                     extra: #"alerting: { group_wait: "\#(groupWait)" }"#)
            return (server, try NotifierFixtures.notifier(config))
        } catch {
            server.stop()
            throw error
        }
    }

    @Test("Grouping: the first goes at once, those within group_wait go together after it")
    func grouping() async throws {
        let (server, notifier) = try await Self.hook(groupWait: "1s")
        defer { notifier.stop(); server.stop() }
        // An escalation raises the severity (AlertLifecycle): the alert starts as a warning.
        notifier.submit([NotifierFixtures.note("1", severity: .warning)])
        notifier.submit([NotifierFixtures.note("2"), NotifierFixtures.note("1", reason: .escalated)])
        _ = try await NotifierFixtures.requests(server, path: "/hook", atLeast: 2, tries: 500)
        #expect(await notifier.drain(timeout: 30))
        let all = try await NotifierFixtures.requests(server, path: "/hook")
        #expect(all.count == 2)
        #expect(all.first?.json?["alerts"]?.arrayValue?.count == 1)
        #expect(all.last?.json?["alerts"]?.arrayValue?.map { $0["reason"]?.stringValue ?? "" } == ["started", "escalated"])
        // The window ran from the first: by the server's clock, whatever the load on the test
        // (the window's second, less what the first delivery took more than the second).
        if all.count == 2 { #expect(all[1].at - all[0].at >= 0.5, "\(all[1].at - all[0].at) s apart") }
    }

    @Test("Grouping goes by the notifications' own times: a replay's, hours apart but a moment apart on the wall clock, go out one by one")
    func groupingByNotificationTime() async throws {
        let (server, notifier) = try await Self.hook(groupWait: "30s")
        defer { notifier.stop(); server.stop() }
        notifier.submit([NotifierFixtures.note("1", severity: .warning)])
        notifier.submit([NotifierFixtures.note("1", reason: .escalated, after: 10)])
        notifier.submit([NotifierFixtures.note("1", reason: .repeated, after: 4 * 3600 + 10)])
        // No window has to end on the wall clock: the repeat four hours on ends the escalation's.
        let sent = try await NotifierFixtures.requests(server, path: "/hook", atLeast: 3, tries: 250)
        #expect(sent.map { $0.json?["alerts"]?.arrayValue?.map { $0["reason"]?.stringValue ?? "" } ?? [] } == [["started"], ["escalated"], ["repeated"]])
    }

    @Test("Silences from the config and from `silence add` hold notifications back")
    func silences() async throws {
        let server = try await FixtureServer.start("http_server.py", ["--script", try NotifierFixtures.script(["/hook": #"[{"status": 200}]"#])])
        defer { server.stop() }
        let state = try makeTemporaryDirectory().path
        let config = try NotifierFixtures.config(sinks: #"{ name: "hook", kind: "webhook", url: "\#(server.base)/hook" }"#,
                                     extra: #"alerting: { group_wait: "0s" }, silences: [{ match: { post: "mastodon:7" }, for: "1h", comment: "handled" }]"#)
        let (status, out, _) = await runForeshock(["silence", "add", "--author", "carol@example.social", "--for", "2h", "--comment", "a friend", "--state-dir", state])
        #expect(status == .success && out.hasPrefix("s1 silences author=carol@example.social until"), "\(out)")
        let notifier = try NotifierFixtures.notifier(config, stateDir: state)
        defer { notifier.stop() }
        var carol = NotifierFixtures.note("8")
        carol.post?.author = "carol@example.social"
        notifier.submit([NotifierFixtures.note("7"), carol, NotifierFixtures.note("9")])
        #expect(await notifier.drain(timeout: 30))
        let sent = try await NotifierFixtures.requests(server, path: "/hook").compactMap { $0.json?["alerts"]?.arrayValue?.first?["post"]?.stringValue }
        #expect(sent == ["9"])
        #expect(notifier.stats.silenced == 2)
        let listed = await runForeshock(["silence", "list", "--state-dir", state]).out
        #expect(listed.contains("s1  author=carol@example.social  active until"))
        #expect(await runForeshock(["silence", "expire", "s1", "--state-dir", state]).0 == .success)
        #expect(await runForeshock(["silence", "list", "--state-dir", state]).out.hasPrefix("no silences in "))
        #expect(await runForeshock(["silence", "list", "--expired", "--state-dir", state]).out.contains("s1  author=carol@example.social  ended "))
    }

    /// A webhook sink "hook" on a loopback server that answers 200, no group window: the
    /// server, the state directory, the config and its notifier (the caller stops both).
    static func oneHook() async throws -> (FixtureServer, String, Config, Notifier) {
        let server = try await FixtureServer.start("http_server.py", ["--script", try NotifierFixtures.script(["/hook": #"[{"status": 200}]"#])])
        let state = try makeTemporaryDirectory().path
        let config = try NotifierFixtures.config(sinks: #"{ name: "hook", kind: "webhook", url: "\#(server.base)/hook" }"#, extra: #"alerting: { group_wait: "0s" }"#)
        do {
            return (server, state, config, try NotifierFixtures.notifier(config, stateDir: state))
        } catch {
            server.stop()
            throw error
        }
    }

    /// Webhook sinks named `names`, each at `/NAME` on one loopback server that answers 200, no
    /// group window: the server and the notifier (the caller stops both), its config and state
    /// directory (for a restart).
    static func hooks(_ names: [String]) async throws -> (FixtureServer, Notifier, Config, String) {
        let server = try await FixtureServer.start("http_server.py", ["--script", try NotifierFixtures.script(Dictionary(uniqueKeysWithValues: names.map { ("/" + $0, #"[{"status": 200}]"#) }))])
        do {
            let sinks = names.map { #"{ name: "\#($0)", kind: "webhook", url: "\#(server.base)/\#($0)" }"# }.joined(separator: ", ")
            let config = try NotifierFixtures.config(sinks: sinks, extra: #"alerting: { group_wait: "0s" }"#)
            let state = try makeTemporaryDirectory().path
            return (server, try NotifierFixtures.notifier(config, stateDir: state), config, state)
        } catch {
            server.stop()
            throw error
        }
    }

    /// What the fixture server received at `/NAME`, in order: the `fields` of each message's
    /// first alert, joined by spaces ("7 started").
    static func received(_ server: FixtureServer, _ name: String, _ fields: String...) async throws -> [String] {
        try await NotifierFixtures.requests(server, path: "/" + name).compactMap { $0.json?["alerts"]?.arrayValue?.first }
            .map { alert in fields.map { alert[$0]?.stringValue ?? "?" }.joined(separator: " ") }
    }

    @Test("A silenced alert's resolution is not sent (receivers never heard it fire); a silence that ends first hands the alert back to be told")
    func silenceLifecycle() async throws {
        let (server, state, config, notifier) = try await Self.oneHook()
        defer { server.stop(); notifier.stop() }
        let store = SilenceStore(configured: [], stateDir: state)
        _ = try store.add(SilenceConfig(matchers: [SilenceMatcher(.post, .equal, "mastodon:7")], until: Date().addingTimeInterval(3600)))
        // Ends in a minute (a short one would end under a loaded machine before the alert came).
        let eight = try store.add(SilenceConfig(matchers: [SilenceMatcher(.post, .equal, "mastodon:8")], until: Date().addingTimeInterval(60)))
        notifier.submit([NotifierFixtures.note("7"), NotifierFixtures.note("8")])
        notifier.submit([NotifierFixtures.note("7", reason: .resolved, after: 60)])
        #expect(notifier.lapsedSilences(now: Date()).isEmpty)
        let lapsed = notifier.lapsedSilences(now: Date().addingTimeInterval(90))
        #expect(lapsed.map(\.alertKey) == ["mastodon:8"]) // 7 resolved: nothing to tell
        #expect(notifier.lapsedSilences(now: Date().addingTimeInterval(90)).isEmpty) // handed out once
        #expect(await notifier.drain(timeout: 30))
        #expect(try await NotifierFixtures.requests(server, path: "/hook").isEmpty)
        #expect(notifier.stats.silenced == 2 && notifier.stats.alreadyAnnounced == 1)
        // Told once the silence is over, with the alert's numbers then: as the page the sink
        // never had, not as "still firing".
        _ = try notifier.silences.expire(eight) // ended early, as `foreshock silence expire` ends one
        notifier.submit([lapsed[0].reminder(at: lapsed[0].time + 120, features: nil)])
        let sent = try await NotifierFixtures.requests(server, path: "/hook", atLeast: 1)
        #expect(sent.map { $0.json?["alerts"]?.arrayValue?.first?["reason"]?.stringValue } == ["started"])
        // An alert receivers were told of, then silenced: its resolution still reaches them,
        // or their incident would stay open for good.
        notifier.submit([NotifierFixtures.note("9")])
        _ = try notifier.silences.add(SilenceConfig(matchers: [SilenceMatcher(.post, .equal, "mastodon:9")], until: Date().addingTimeInterval(3600)))
        notifier.submit([NotifierFixtures.note("9", reason: .repeated, after: 60)])
        notifier.submit([NotifierFixtures.note("9", reason: .resolved, after: 120)])
        let nine = try await NotifierFixtures.requests(server, path: "/hook", atLeast: 3).compactMap { $0.json?["alerts"]?.arrayValue?.first }
            .filter { $0["post"]?.stringValue == "9" }.map { $0["reason"]?.stringValue ?? "" }
        #expect(nine == ["started", "resolved"])
        // After a restart, the replay's firing alerts that no sink was told of (7: silenced; 9
        // was told, and resolved) are told once no silence holds them.
        let restarted = try NotifierFixtures.notifier(config, stateDir: state)
        defer { restarted.stop() }
        restarted.rememberSilenced([NotifierFixtures.note("7"), NotifierFixtures.note("9"), NotifierFixtures.note("7", reason: .repeated, after: 60),
                                    NotifierFixtures.note("9", reason: .resolved, after: 120)])
        #expect(restarted.lapsedSilences(now: Date()).isEmpty)
        #expect(restarted.lapsedSilences(now: Date().addingTimeInterval(7200)).map { "\($0.alertKey) \($0.reason)" } == ["mastodon:7 repeated"])
    }

    @Test("A silence on the rule an alert fired under stops holding it once the alert is another rule's; a sink never told it fires then gets the page, not a reminder")
    func silenceOnALeftRule() async throws {
        let (server, _, _, notifier) = try await Self.oneHook()
        defer { server.stop(); notifier.stop() }
        _ = try notifier.silences.add(SilenceConfig(matchers: [SilenceMatcher(.rule, .equal, "going-viral")], until: Date().addingTimeInterval(3600)))
        var told = NotifierFixtures.note("8")
        told.rule = "unanswered-complaint"
        notifier.submit([NotifierFixtures.note("7"), told])
        #expect(notifier.lapsedSilences(now: Date()).isEmpty, "still under the silenced rule")
        // Since, 7 is held under another rule as severe: no silence holds it as it is now.
        let handedOver = notifier.lapsedSilences(now: Date()) { held in
            var now = held.reminder(at: held.time + 600, features: nil)
            now.rule = "unanswered-complaint"
            return .tell(now)
        }
        #expect(handedOver.map { "\($0.alertKey) \($0.rule)" } == ["mastodon:7 unanswered-complaint"])
        #expect(notifier.lapsedSilences(now: Date()).isEmpty, "handed out once")
        notifier.submit(handedOver + [told.reminder(at: told.time + 4 * 3600, features: nil)])
        #expect(await notifier.drain(timeout: 30))
        let sent = try await Self.received(server, "hook", "post", "reason")
        #expect(sent.sorted() == ["7 started", "8 repeated", "8 started"], "\(sent)")
        #expect(notifier.stats.silenced == 1)
    }

    @Test("What a silence held back from one sink stays owed to it while another sink hears of the alert; a sink's first page keeps the core's id, so it is taken once")
    func heldPerSink() async throws {
        let (server, notifier, _, _) = try await Self.hooks(["a", "b"])
        defer { server.stop(); notifier.stop() }
        _ = try notifier.silences.add(SilenceConfig(matchers: [SilenceMatcher(.rule, .equal, "going-viral")], until: Date().addingTimeInterval(3600)))
        // 7 fires under going-viral to a (held back); then a rule of its own brings b, unsilenced.
        var toA = NotifierFixtures.note("7")
        toA.sinks = ["a"]
        var toB = NotifierFixtures.note("7", after: 60)
        toB.rule = "unanswered-complaint"
        toB.sinks = ["b"]
        notifier.submit([toA, toB])
        // The alert is unanswered-complaint's now: a is still owed its page, b is not.
        let owed = notifier.lapsedSilences(now: Date()) { held in
            var now = held.reminder(at: held.time + 600, features: nil)
            now.rule = "unanswered-complaint"
            return .tell(now)
        }
        #expect(owed.map { "\($0.alertKey) \($0.sinks)" } == ["mastodon:7 [\"a\"]"], "\(owed.map(\.sinks))")
        notifier.submit(owed)
        notifier.submit(owed) // as a restart would hand it again: taken once
        #expect(owed.allSatisfy { notifier.hasTaken($0) })
        #expect(await notifier.drain(timeout: 30))
        #expect(try await Self.received(server, "a", "reason") == ["started"])
        #expect(try await Self.received(server, "b", "reason") == ["started"])
    }

    @Test("After a restart, a sink a silence kept an escalation from is still owed it though another sink was told of the alert")
    func owedPerSinkAcrossRestart() async throws {
        let (server, notifier, config, state) = try await Self.hooks(["pager", "slack"])
        defer { server.stop() }
        // Still holding at the restart, however long the machine's load makes the steps to it.
        _ = try notifier.silences.add(SilenceConfig(matchers: [SilenceMatcher(.rule, .equal, "going-viral")], until: Date().addingTimeInterval(60)))
        var warned = NotifierFixtures.note("7", severity: .warning)
        warned.rule = "heating-up"
        warned.sinks = ["slack"]
        var escalated = NotifierFixtures.note("7", reason: .escalated, after: 60)
        escalated.sinks = ["slack", "pager"]
        notifier.submit([warned, escalated])
        #expect(await notifier.drain(timeout: 30))
        notifier.stop()
        let restarted = try NotifierFixtures.notifier(config, stateDir: state)
        defer { restarted.stop() }
        restarted.rememberSilenced([warned, escalated])
        let owed = restarted.lapsedSilences(now: Date().addingTimeInterval(90))
        #expect(owed.map { "\($0.alertKey) \($0.sinks)" } == ["mastodon:7 [\"pager\", \"slack\"]"], "\(owed.map(\.sinks))")
    }

    @Test("How a sink reads a notification, from what it was last told")
    func readings() {
        func reads(_ reason: AlertNotification.Reason, _ severity: Severity, told: (Severity, Double)?, at time: Double = 1000, firedAt: Double? = nil) -> AlertNotification.Reason {
            var note = NotifierFixtures.note("1", reason: reason, severity: severity)
            note.time = time
            note.firedAt = firedAt ?? time
            return Notifier.reads(note, told: told.map { (severity: $0.0, time: $0.1) }, repeatInterval: 3600)
        }
        #expect(reads(.repeated, .critical, told: nil) == .started)
        #expect(reads(.repeated, .critical, told: (.critical, 0)) == .repeated)
        #expect(reads(.repeated, .warning, told: (.critical, 0)) == .deescalated)
        #expect(reads(.repeated, .critical, told: (.warning, 0)) == .escalated)
        #expect(reads(.escalated, .critical, told: nil) == .started)
        #expect(reads(.escalated, .critical, told: (.warning, 0)) == .escalated)
        #expect(reads(.started, .warning, told: (.critical, 500)) == .deescalated)
        #expect(reads(.started, .warning, told: (.critical, 500), at: 500 + 3600) == .started, "past repeat_interval: news again")
        #expect(reads(.started, .warning, told: (.critical, 2000)) == .started, "an older recording replayed is no de-escalation")
        #expect(reads(.started, .critical, told: (.warning, 500)) == .started)
        #expect(reads(.started, .warning, told: (.critical, 500), firedAt: 500) == .started, "an alert that fired when the sink was paged: a rule of its own brought another sink")
        #expect(reads(.deescalated, .warning, told: nil) == .deescalated)
        // A volume alert says not when it fired: its start is never read as a lost journal's.
        var volume = AlertNotification(.volume(source: "hn", ratio: 4, z: 5), time: 1000, rule: "volume", severity: .warning, reason: .started, sinks: ["slack"])
        volume.firedAt = nil
        #expect(Notifier.reads(volume, told: (severity: .critical, time: 500), repeatInterval: 3600) == .started)
    }

    @Test("After a restart that lost the journal, an alert paged as critical that only a warning rule holds now reaches the pager as a de-escalation, not as nothing; as severe, it is not news")
    func lostJournalDeescalates() async throws {
        let (server, state, config, notifier) = try await Self.oneHook()
        defer { server.stop() }
        notifier.submit([NotifierFixtures.note("7"), NotifierFixtures.note("8")])
        #expect(await notifier.drain(timeout: 30))
        notifier.stop()
        // The core saw both posts anew: 7 under a warning rule, 8 still critical; both as starts.
        let restarted = try NotifierFixtures.notifier(config, stateDir: state)
        defer { restarted.stop() }
        var warned = NotifierFixtures.note("7", after: 600, severity: .warning)
        warned.rule = "heating-up"
        warned.firedAt = warned.time
        restarted.submit([warned, NotifierFixtures.note("8", after: 600)])
        #expect(await restarted.drain(timeout: 30))
        let sent = try await Self.received(server, "hook", "post", "reason", "severity")
        #expect(sent.sorted() == ["7 deescalated warning", "7 started critical", "8 started critical"], "\(sent)")
        #expect(restarted.stats.alreadyAnnounced == 1)
    }

    @Test("An alert seen anew at a lower severity, routed away from the pager that was paged, de-escalates to the pager too; a sink a warning rule brings to a critical alert says nothing to the pager")
    func routedAwayDeescalation() async throws {
        let (server, notifier, _, _) = try await Self.hooks(["pager", "slack"])
        defer { server.stop(); notifier.stop() }
        func note(_ id: String, after: Double, severity: Severity, to sinks: [String], firedAfter: Double) -> AlertNotification {
            var note = NotifierFixtures.note(id, after: after, severity: severity)
            note.rule = severity == .critical ? "going-viral" : "heating-up"
            note.sinks = sinks
            note.firedAt = note.time - after + firedAfter
            return note
        }
        notifier.submit([note("7", after: 0, severity: .critical, to: ["pager"], firedAfter: 0), note("8", after: 0, severity: .critical, to: ["pager"], firedAfter: 0)])
        // 7 still critical, a warning rule of its own brings slack; 8 seen anew after a lost journal.
        notifier.submit([note("7", after: 60, severity: .warning, to: ["slack"], firedAfter: 0), note("8", after: 600, severity: .warning, to: ["slack"], firedAfter: 600)])
        #expect(await notifier.drain(timeout: 30))
        let pager = try await Self.received(server, "pager", "post", "reason"), slack = try await Self.received(server, "slack", "post", "reason")
        #expect(pager == ["7 started", "8 started", "8 deescalated"], "\(pager)")
        #expect(slack.sorted() == ["7 started", "8 started"], "\(slack)")
    }

    @Test("A resolution reaches every sink told the alert fires, also one the alert is no longer routed to (after a restart that lost the journal, the core routed it anew)")
    func resolutionToEveryoneTold() async throws {
        let (server, notifier, _, _) = try await Self.hooks(["pager", "slack"])
        defer { server.stop(); notifier.stop() }
        var paged = NotifierFixtures.note("7")
        paged.sinks = ["pager"]
        // Seen anew past repeat_interval (no de-escalation to the pager then): a warning to
        // slack only, which then resolves (to slack, as the core knows it).
        var warned = NotifierFixtures.note("7", after: 5 * 3600, severity: .warning)
        warned.rule = "heating-up"
        warned.sinks = ["slack"]
        var resolved = warned
        resolved.reason = .resolved
        resolved.time += 600
        notifier.submit([paged, warned, resolved])
        #expect(await notifier.drain(timeout: 30))
        #expect(try await Self.received(server, "pager", "reason") == ["started", "resolved"])
        #expect(try await Self.received(server, "slack", "reason") == ["started", "resolved"])
    }

    @Test("A de-escalation reaches only the sinks last told the alert fires at a higher severity: not one a silence kept the page from, nor one told only the lower severity")
    func deescalationOnlyToThosePaged() async throws {
        let (server, _, _, notifier) = try await Self.oneHook()
        defer { server.stop(); notifier.stop() }
        func down(_ id: String) -> AlertNotification {
            var note = NotifierFixtures.note(id, reason: .deescalated, after: 1800, severity: .warning)
            note.rule = "heating-up"
            return note
        }
        var warned = NotifierFixtures.note("9", severity: .warning)
        warned.rule = "heating-up"
        // 8 is paged as critical, 9 told as a warning; then 7's critical page is silenced (by
        // its rule, which the warning it comes down to is not under).
        notifier.submit([NotifierFixtures.note("8"), warned])
        _ = try notifier.silences.add(SilenceConfig(matchers: [SilenceMatcher(.rule, .equal, "going-viral")], until: Date().addingTimeInterval(3600)))
        notifier.submit([NotifierFixtures.note("7")])
        notifier.submit([down("7"), down("8"), down("9")])
        #expect(await notifier.drain(timeout: 30))
        let sent = try await Self.received(server, "hook", "post", "reason")
        #expect(sent.sorted() == ["8 deescalated", "8 started", "9 started"], "\(sent)")
        #expect(notifier.stats.alreadyAnnounced == 2 && notifier.stats.silenced == 1)
    }

    @Test("What a stopped process left in the outbox (a send cut off at the stop) is delivered by the next one, under the same id, once")
    func restart() async throws {
        let server = try await FixtureServer.start("http_server.py", ["--script", try NotifierFixtures.script(["/hook": #"[{"status": 200, "delay": 30}, {"status": 200}]"#])])
        defer { server.stop() }
        let state = try makeTemporaryDirectory().path
        let config = try NotifierFixtures.config(sinks: #"{ name: "hook", kind: "webhook", url: "\#(server.base)/hook", secret_env: "WHSEC" }"#)
        let first = try NotifierFixtures.notifier(config, stateDir: state)
        first.submit([NotifierFixtures.note("1")])
        // The receiver has it but hangs: the process stops as the watch does, the send cut off
        // (not waited out: the receiver hangs 30 s), before it can mark it done.
        _ = try await NotifierFixtures.requests(server, path: "/hook", atLeast: 1)
        let stopping = Date()
        await first.stopAndWait()
        #expect(Date().timeIntervalSince(stopping) < 20)
        #expect(first.outbox.depth == 1)
        let second = try NotifierFixtures.notifier(config, stateDir: state)
        defer { second.stop() }
        #expect(await second.drain(timeout: 30))
        let seen = try await NotifierFixtures.requests(server, path: "/hook")
        #expect(seen.count == 2)
        #expect(Set(seen.map { $0.headers["webhook-id"] ?? "" }).count == 1)
        #expect(second.stats.delivered["hook"] == 1 && second.outbox.depth == 0)
        // And a third start finds nothing left to send.
        let third = try NotifierFixtures.notifier(config, stateDir: state)
        defer { third.stop() }
        #expect(third.outbox.depth == 0)
    }

    @Test("A first page a sink read from the core's reminder, lost with the outbox, goes out again as that page under its id, not as the reminder")
    func lostOutboxKeepsHowTheSinkReadIt() async throws {
        let server = try await FixtureServer.start("http_server.py", ["--script", try NotifierFixtures.script(["/hook": #"[{"status": 200, "delay": 30}, {"status": 200}]"#])])
        defer { server.stop() }
        let state = try makeTemporaryDirectory().path
        let config = try NotifierFixtures.config(sinks: #"{ name: "hook", kind: "webhook", url: "\#(server.base)/hook" }"#)
        let first = try NotifierFixtures.notifier(config, stateDir: state)
        // A reminder of an alert this sink was never told of: its first page.
        let reminder = NotifierFixtures.note("7", reason: .repeated, after: 600)
        first.submit([reminder])
        _ = try await NotifierFixtures.requests(server, path: "/hook", atLeast: 1)
        first.stop()
        try Data().write(to: URL(fileURLWithPath: state + "/outbox.jsonl"))
        let second = try NotifierFixtures.notifier(config, stateDir: state)
        defer { second.stop() }
        #expect(second.recoverLostMessages(from: [reminder]) == (lost: 1, requeued: 1))
        #expect(await second.drain(timeout: 30))
        let seen = try await NotifierFixtures.requests(server, path: "/hook")
        #expect(seen.compactMap { $0.json?["alerts"]?.arrayValue?.first?["reason"]?.stringValue } == ["started", "started"])
        #expect(Set(seen.map { $0.headers["webhook-id"] ?? "" }).count == 1)
    }

    @Test("A message left for a sink since renamed goes to the sink that sends to the same place; with none there, to the dead letters")
    func renamedSink() async throws {
        let server = try await FixtureServer.start("http_server.py", ["--script", try NotifierFixtures.script([
            "/hook": #"[{"status": 503}, {"status": 200}]"#, "/other": #"[{"status": 200}]"#,
        ])])
        defer { server.stop() }
        let state = try makeTemporaryDirectory().path
        let ops = try NotifierFixtures.config(sinks: #"{ name: "ops", kind: "webhook", url: "\#(server.base)/hook" }"#)
        let first = try NotifierFixtures.notifier(ops, stateDir: state)
        first.submit([NotifierFixtures.note("1")])
        _ = try await NotifierFixtures.requests(server, path: "/hook", atLeast: 1)
        first.stop()
        #expect(first.outbox.depth == 1)
        // Renamed, same receiver: delivered there, under its id.
        let renamed = try NotifierFixtures.notifier(try NotifierFixtures.config(sinks: #"{ name: "pager", kind: "webhook", url: "\#(server.base)/hook" }"#), stateDir: state)
        #expect(await renamed.drain(timeout: 30))
        renamed.stop()
        let seen = try await NotifierFixtures.requests(server, path: "/hook")
        #expect(seen.count == 2 && Set(seen.map { $0.headers["webhook-id"] ?? "" }).count == 1, "\(seen.count)")
        #expect(renamed.stats.delivered["pager"] == 1 && renamed.outbox.depth == 0 && !FileManager.default.fileExists(atPath: state + "/dead-letter.jsonl"))
        // A restart under the new name: the receiver was told alert 1 fires (under the old name),
        // so it is neither a silence that lapsed nor news.
        let pagerConfig = try NotifierFixtures.config(sinks: #"{ name: "pager", kind: "webhook", url: "\#(server.base)/hook" }"#)
        let restarted = try NotifierFixtures.notifier(pagerConfig, stateDir: state)
        restarted.rememberSilenced([NotifierFixtures.note("1")])
        #expect(restarted.lapsedSilences(now: Date().addingTimeInterval(7200)).isEmpty)
        restarted.submit([NotifierFixtures.note("1", after: 30)])
        #expect(await restarted.drain(timeout: 30))
        restarted.stop()
        #expect(try await NotifierFixtures.requests(server, path: "/hook").count == 2, "alert 1 announced again under the new name")
        // Another receiver under another name is not the same sink: the message is a dead letter.
        let elsewhere = try makeTemporaryDirectory().path
        let lost = try NotifierFixtures.notifier(ops, stateDir: elsewhere)
        #expect(lost.outbox.depth == 0)
        try lost.outbox.add([Outbox.Entry(id: "msg_x", sink: "ops", created: Date().timeIntervalSince1970, keys: ["mastodon:2"], body: Data("{}".utf8),
                                          destination: "0123456789abcdef01234567")])
        lost.stop()
        let other = try NotifierFixtures.notifier(try NotifierFixtures.config(sinks: #"{ name: "pager", kind: "webhook", url: "\#(server.base)/other" }"#), stateDir: elsewhere)
        defer { other.stop() }
        #expect(other.outbox.depth == 0)
        #expect(try String(contentsOfFile: elsewhere + "/dead-letter.jsonl", encoding: .utf8).contains("sink ops is no longer in the config"))
    }

    @Test("A config reload hands over: a delivery under way is let end, what a group window held goes out through the new notifier, each once, never beside the old one")
    func reloadHandsOver() async throws {
        // The first delivery takes 10 s, every other is answered at once: the test's steps up
        // to the hand-over must come while it is under way, on a loaded machine too (with 3 s,
        // the old notifier once finished it and sent the closed window itself first).
        let server = try await FixtureServer.start("http_server.py", ["--script", try NotifierFixtures.script(["/hook": #"[{"status": 200, "delay": 10}, {"status": 200}]"#])])
        defer { server.stop() }
        let state = try makeTemporaryDirectory().path
        let config = try NotifierFixtures.config(sinks: #"{ name: "hook", kind: "webhook", url: "\#(server.base)/hook" }"#, extra: #"alerting: { group_wait: "30s" }"#)
        let old = try NotifierFixtures.notifier(config, stateDir: state)
        old.submit([NotifierFixtures.note("1")])
        old.submit([NotifierFixtures.note("2", after: 1)]) // held for the window's 30 s
        _ = try await NotifierFixtures.requests(server, path: "/hook", atLeast: 1)
        let new = try NotifierFixtures.notifier(config, stateDir: state, sharing: old)
        defer { new.stop() }
        // Built, it delivers nothing while the old one may still be delivering.
        try await Task.sleep(nanoseconds: 500_000_000)
        #expect(try await NotifierFixtures.requests(server, path: "/hook").count == 1)
        // As WatchService.apply does it: the old windows close, then the new one takes over
        // and is handed alert 2's resolution before the old one has stopped.
        old.closeWindows()
        new.submit([NotifierFixtures.note("2", reason: .resolved, after: 2)])
        await old.handOver(to: new)
        let handedOver = Date().timeIntervalSince1970
        new.resume()
        #expect(await new.drain(timeout: 30))
        let seen = try await NotifierFixtures.requests(server, path: "/hook")
        let sent = seen.map { ($0.json?["alerts"]?.arrayValue ?? []).map { "\($0["post"]?.stringValue ?? "") \($0["state"]?.stringValue ?? "")" } }
        // 1 once (its send was let end), then 2's trigger before its resolve.
        #expect(sent == [["1 firing"], ["2 firing"], ["2 resolved"]], "\(sent)")
        #expect(seen.dropFirst().allSatisfy { $0.at >= handedOver - 0.05 })
        // The counters since start go on in the new one: 1 by the old, 2 by the new.
        #expect(old.stats.delivered["hook"] == 1 && new.outbox.depth == 0 && new.stats.delivered["hook"] == 3)
        #expect(new.stats.submitted == 3)
        // A batch the old one takes after it handed over (the pipeline read it a moment before
        // the swap) goes out through the new one, not into the outbox until the next restart.
        old.submit([NotifierFixtures.note("3", after: 3600)])
        let late = try await NotifierFixtures.requests(server, path: "/hook", atLeast: 4)
        #expect(late.last?.json?["alerts"]?.arrayValue?.first?["post"]?.stringValue == "3")
        #expect(await new.drain(timeout: 30) && new.outbox.depth == 0)
    }

    @Test("A reload does not make a receiver that said Retry-After readier: the new notifier waits it out too")
    func reloadKeepsRetryAfter() async throws {
        let server = try await FixtureServer.start("http_server.py", ["--script", try NotifierFixtures.script([
            "/hook": #"[{"status": 429, "headers": {"Retry-After": "4"}}, {"status": 200}]"#,
        ])])
        defer { server.stop() }
        let state = try makeTemporaryDirectory().path
        let config = try NotifierFixtures.config(sinks: #"{ name: "hook", kind: "webhook", url: "\#(server.base)/hook" }"#, extra: #"alerting: { group_wait: "0s" }"#)
        let old = try NotifierFixtures.notifier(config, stateDir: state)
        old.submit([NotifierFixtures.note("1")])
        let refused = try #require(try await NotifierFixtures.requests(server, path: "/hook", atLeast: 1).first)
        // The refusal is counted before the reload: the old worker has its Retry-After.
        for _ in 0..<200 where old.stats.retried["hook"] != 1 { try await Task.sleep(nanoseconds: 10_000_000) }
        let new = try NotifierFixtures.notifier(config, stateDir: state, sharing: old)
        defer { new.stop() }
        old.beginHandOver(to: new)
        new.resume()
        await old.finishHandOver(to: new)
        new.submit([NotifierFixtures.note("2", after: 60)])
        #expect(await new.drain(timeout: 30))
        let seen = try await NotifierFixtures.requests(server, path: "/hook")
        // By the server's clock: nothing came before the 4 s it asked for.
        #expect(seen.count == 3 && seen[1].at - refused.at >= 3.5, "\(seen.map { $0.at - refused.at })")
    }

    @Test("A message the outbox could not write (a full disk) outlives a reload: the next notifier's worker takes it from the stopping one, ahead of a resolve written since; one given up gets its dead letter all the same")
    func unwrittenOutlivesReload() async throws {
        let server = try await FixtureServer.start("http_server.py", ["--script", try NotifierFixtures.script([
            "/hook": #"[{"status": 503, "delay": 3}, {"status": 200}]"#, "/gone": #"[{"status": 410}]"#,
        ])])
        defer { server.stop() }
        let state = try makeTemporaryDirectory().path
        let config = try NotifierFixtures.config(sinks: #"{ name: "hook", kind: "webhook", url: "\#(server.base)/hook" }, { name: "gone", kind: "webhook", url: "\#(server.base)/gone" }"#,
                                                 extra: #"alerting: { group_wait: "0s" }"#)
        let old = try NotifierFixtures.notifier(config, stateDir: state)
        // The disk fills: every append to the outbox fails from now on (/dev/full refuses writes).
        try? FileManager.default.removeItem(atPath: state + "/outbox.jsonl")
        try FileManager.default.createSymbolicLink(atPath: state + "/outbox.jsonl", withDestinationPath: "/dev/full")
        let trigger = NotifierFixtures.note("1")
        old.submit([trigger])
        // The reload comes while the first attempt hangs (3 s): the message is only in the old
        // worker, which stops once that attempt fails, without trying again.
        _ = try await NotifierFixtures.requests(server, path: "/hook", atLeast: 1)
        try FileManager.default.removeItem(atPath: state + "/outbox.jsonl")
        let new = try NotifierFixtures.notifier(config, stateDir: state, sharing: old)
        defer { new.stop() }
        old.beginHandOver(to: new)
        new.resume()
        // The alert resolves meanwhile: the new notifier writes the resolve.
        var resolve = trigger
        resolve.reason = .resolved
        resolve.time += 1
        new.submit([resolve])
        await old.finishHandOver(to: new)
        #expect(await new.drain(timeout: 20))
        let seen = try await NotifierFixtures.requests(server, path: "/hook")
        let ids = seen.map { $0.headers["webhook-id"] ?? "" }, states = seen.map { $0.json?["alerts"]?.arrayValue?.first?["state"]?.stringValue ?? "" }
        #expect(ids.count == 3 && ids[0] == ids[1] && ids[2] != ids[0] && states == ["firing", "firing", "resolved"], "\(ids) \(states)")
        #expect(new.stats.delivered["hook"] == 2)
        let dead = try String(contentsOfFile: state + "/dead-letter.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(dead.count == 2 && dead.allSatisfy { $0.contains("HTTP 410") && $0.contains("mastodon:1") }, "\(dead)")
    }

    /// Reloads `notifier` `times` times over the same config and state, each hand-over whole.
    static func reload(_ notifier: Notifier, _ config: Config, stateDir: String, rateWindow: Double, times: Int) async throws -> Notifier {
        var current = notifier
        for _ in 0..<times {
            let next = try NotifierFixtures.notifier(config, stateDir: stateDir, rateWindow: rateWindow, sharing: current)
            current.beginHandOver(to: next)
            next.resume()
            await current.finishHandOver(to: next)
            current = next
        }
        return current
    }

    @Test("A sink's max_per_minute outlives two reloads in a row, the first of them while it had nothing to send")
    func reloadsKeepRateLimit() async throws {
        let server = try await FixtureServer.start("http_server.py", ["--script", try NotifierFixtures.script(["/hook": #"[{"status": 200}]"#])])
        defer { server.stop() }
        let state = try makeTemporaryDirectory().path
        // Two sends in any 8 s (the window shortened for the test).
        let config = try NotifierFixtures.config(sinks: #"{ name: "a", kind: "webhook", url: "\#(server.base)/hook", max_per_minute: 2 }"#, extra: #"alerting: { group_wait: "0s" }"#)
        let old = try NotifierFixtures.notifier(config, stateDir: state, rateWindow: 8)
        old.submit([NotifierFixtures.note("1")])
        old.submit([NotifierFixtures.note("2", after: 1)])
        #expect(await old.drain(timeout: 30))
        let first = try await NotifierFixtures.requests(server, path: "/hook", atLeast: 2)
        let last = try await Self.reload(old, config, stateDir: state, rateWindow: 8, times: 2)
        defer { last.stop() }
        last.submit([NotifierFixtures.note("3", after: 2)])
        #expect(await last.drain(timeout: 30))
        let seen = try await NotifierFixtures.requests(server, path: "/hook")
        // By the server's clock: the third waited for the window to free a send.
        #expect(seen.count == 3 && seen[2].at - seen[0].at >= 7.5, "\(seen.map { $0.at - first[0].at })")
    }

    @Test("After a reload, a sink's max_per_minute counts its own sends, not another sink's at the same address")
    func reloadRateLimitPerSink() async throws {
        let server = try await FixtureServer.start("http_server.py", ["--script", try NotifierFixtures.script(["/hook": #"[{"status": 200}]"#])])
        defer { server.stop() }
        let state = try makeTemporaryDirectory().path
        let config = try NotifierFixtures.config(sinks: #"""
            { name: "a", kind: "webhook", url: "\#(server.base)/hook", max_per_minute: 3 },
            { name: "b", kind: "webhook", url: "\#(server.base)/hook", max_per_minute: 3 }
            """#, extra: #"alerting: { group_wait: "0s" }"#)
        // A 30-second window: a send that waits for it is told from one that goes at once by far
        // more than a loaded machine's delays (10 s of a 20-s window were once not enough).
        let old = try NotifierFixtures.notifier(config, stateDir: state, rateWindow: 30)
        old.submit([NotifierFixtures.note("1")])
        old.submit([NotifierFixtures.note("2", after: 1)])
        #expect(await old.drain(timeout: 30))
        _ = try await NotifierFixtures.requests(server, path: "/hook", atLeast: 4)
        let new = try await Self.reload(old, config, stateDir: state, rateWindow: 30, times: 1)
        defer { new.stop() }
        new.submit([NotifierFixtures.note("3", after: 2)])
        #expect(await new.drain(timeout: 30))
        let seen = try await NotifierFixtures.requests(server, path: "/hook")
        // Each sink sent two of its three: the third goes at once, not after the window (as it
        // would with the other sink's two counted).
        #expect(seen.count == 6 && seen[5].at - seen[3].at < 18, "\(seen.map { $0.at - seen[0].at })")
        // A sink new at the reload, at the same address, starts with none of theirs counted.
        let more = try NotifierFixtures.config(sinks: #"""
            { name: "a", kind: "webhook", url: "\#(server.base)/hook", max_per_minute: 3 },
            { name: "b", kind: "webhook", url: "\#(server.base)/hook", max_per_minute: 3 },
            { name: "c", kind: "webhook", url: "\#(server.base)/hook", max_per_minute: 1 }
            """#, extra: #"alerting: { group_wait: "0s" }"#)
        let third = try NotifierFixtures.notifier(more, stateDir: state, rateWindow: 30, sharing: new)
        defer { third.stop() }
        new.beginHandOver(to: third)
        third.resume()
        await new.finishHandOver(to: third)
        let before = Date().timeIntervalSince1970
        third.submit([NotifierFixtures.note("4", after: 3)])
        // a's and b's wait out their window.
        #expect(await third.drain(timeout: 60))
        let after = try await NotifierFixtures.requests(server, path: "/hook")
        // c's one send in the window is its own: at once, not after a's and b's have aged out
        // (theirs wait: each has sent its three).
        let c = try #require(after.first { $0.json?["receiver"]?.stringValue == "c" })
        #expect(after.count == 9 && c.at - before < 18, "\(after.map { ($0.json?["receiver"]?.stringValue ?? "?", $0.at - before) })")
    }

    /// Two webhook sinks, "slow" (its first answer takes `hanging` seconds) and "fast", on one
    /// loopback server, a state directory, and the config.
    static func slowAndFast(hanging: Double) async throws -> (FixtureServer, String, Config) {
        let server = try await FixtureServer.start("http_server.py", ["--script", try NotifierFixtures.script([
            "/slow": #"[{"status": 200, "delay": \#(hanging)}, {"status": 200}]"#, "/fast": #"[{"status": 200}]"#,
        ])])
        let config = try NotifierFixtures.config(sinks: #"""
            { name: "slow", kind: "webhook", url: "\#(server.base)/slow", timeout: "60s" },
            { name: "fast", kind: "webhook", url: "\#(server.base)/fast" }
            """#, extra: #"alerting: { group_wait: "0s" }"#)
        return (server, try makeTemporaryDirectory().path, config)
    }

    @Test("A reload while one receiver hangs: the other sinks deliver at once through the new notifier; the hanging sink's next message waits for its send under way, which is not repeated")
    func reloadWhileOneSinkHangs() async throws {
        // The slow receiver hangs 30 s, the fast one's bound is 22 s of it: far apart, so that a
        // loaded machine's delays do not decide (8 s of 10 failed once, then 14 of 20 once in
        // the whole suite beside the child processes of the hostile-source tests).
        let (server, state, config) = try await Self.slowAndFast(hanging: 30)
        defer { server.stop() }
        let old = try NotifierFixtures.notifier(config, stateDir: state)
        old.submit([NotifierFixtures.note("1")])
        _ = try await NotifierFixtures.requests(server, path: "/slow", atLeast: 1)
        _ = try await NotifierFixtures.requests(server, path: "/fast", atLeast: 1)
        let new = try NotifierFixtures.notifier(config, stateDir: state, sharing: old)
        defer { new.stop() }
        old.beginHandOver(to: new)
        new.resume()
        let reloaded = Date()
        new.submit([NotifierFixtures.note("2", after: 60)])
        // The fast sink has alert 2 well before the slow one's first send ends (by the server's
        // clock, whatever the machine's load).
        let fast = try await NotifierFixtures.requests(server, path: "/fast", atLeast: 2, tries: 500)
        let slowFirst = try #require(try await NotifierFixtures.requests(server, path: "/slow").first?.at)
        #expect(fast.count >= 2 && fast[1].at < slowFirst + 22, "the fast sink waited for the slow one (\(Date().timeIntervalSince(reloaded)) s)")
        await old.finishHandOver(to: new)
        #expect(await new.drain(timeout: 30))
        let slow = try await NotifierFixtures.requests(server, path: "/slow")
        let posts = slow.map { $0.json?["alerts"]?.arrayValue?.first?["post"]?.stringValue ?? "?" }
        // 1 once (its send was let end, not repeated by the new notifier), then 2.
        #expect(posts == ["1", "2"], "\(posts)")
        #expect(new.outbox.depth == 0)
    }

    @Test("A sink removed at a reload while it sends: the message it delivers is not a dead letter; one it never sent is")
    func removedSinkWhileSending() async throws {
        // Its first send hangs long enough for the reload to come while it is under way, however
        // loaded the machine (8 s fell short once in a fresh-clone CI run: the send ended before
        // the reload, and the still-configured sink rightly sent alert 2).
        let (server, state, both) = try await Self.slowAndFast(hanging: 20)
        defer { server.stop() }
        let old = try NotifierFixtures.notifier(both, stateDir: state)
        old.submit([NotifierFixtures.note("1")])
        old.submit([NotifierFixtures.note("2", after: 10)])
        _ = try await NotifierFixtures.requests(server, path: "/slow", atLeast: 1)
        let new = try NotifierFixtures.notifier(try NotifierFixtures.config(sinks: #"{ name: "fast", kind: "webhook", url: "\#(server.base)/fast" }"#,
                                                                           extra: #"alerting: { group_wait: "0s" }"#), stateDir: state, sharing: old)
        defer { new.stop() }
        old.beginHandOver(to: new)
        new.resume()
        await old.finishHandOver(to: new)
        #expect(await new.drain(timeout: 30))
        // The removed sink's worker dead-letters what it never sent once its send under way
        // ends, on its own time: waited for, not slept for (300 ms once fell short under load).
        func deadLetters() -> (text: String, posts: [String]) {
            let dead = (try? String(contentsOfFile: state + "/dead-letter.jsonl", encoding: .utf8)) ?? ""
            let lines: [JSONValue] = dead.split(separator: "\n").compactMap { try? JSONValue.parse(Data($0.utf8)) }
            return (dead, lines.flatMap { ($0["keys"]?.arrayValue ?? []).compactMap(\.stringValue) })
        }
        _ = await eventually(timeout: 60) { !deadLetters().posts.isEmpty }
        let (dead, deadPosts) = deadLetters()
        // Alert 1 reached the slow receiver; alert 2's message for it was never sent.
        #expect(try await NotifierFixtures.requests(server, path: "/slow").count == 1)
        #expect(deadPosts == ["mastodon:2"], "\(dead)")
        #expect(new.outbox.depth == 0)
    }

    @Test("Slack and PagerDuty payloads: blocks with a fallback text; trigger then resolve under one dedup_key")
    func slackAndPagerDuty() async throws {
        let server = try await FixtureServer.start("http_server.py", ["--script", try NotifierFixtures.script(["/slack": #"[{"status": 200, "body": "ok"}]"#, "/pd": #"[{"status": 202}]"#])])
        defer { server.stop() }
        let notifier = try NotifierFixtures.notifier(try NotifierFixtures.config(sinks: #"""
            { name: "slack", kind: "slack", url: "\#(server.base)/slack" },
            { name: "pd", kind: "pagerduty", url: "\#(server.base)/pd", routing_key_env: "PDKEY" }
            """#, extra: #"alerting: { group_wait: "0s" }"#))
        defer { notifier.stop() }
        notifier.submit([NotifierFixtures.note("1", text: "<!channel> & <https://evil.example|click>"), NotifierFixtures.note("1", reason: .resolved)])
        let started = Date()
        #expect(await notifier.drain(timeout: 30), "after \(Date().timeIntervalSince(started)) s; stats \(notifier.stats); log: \(NotifierFixtures.log.err)")
        let slack = try await NotifierFixtures.requests(server, path: "/slack")
        #expect(slack.count == 2)
        let message = try #require(slack.first?.json)
        #expect(message["text"]?.stringValue?.contains("spreading") == true)
        let blocks = message["blocks"]?.arrayValue ?? []
        #expect(blocks.count >= 3)
        // Slack would read <!channel> as a mention: it arrives escaped.
        #expect(slack[0].body.contains("&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;"))
        let pd = try await NotifierFixtures.requests(server, path: "/pd").compactMap(\.json)
        #expect(pd.map { $0["event_action"]?.stringValue ?? "" } == ["trigger", "resolve"])
        #expect(pd.allSatisfy { $0["dedup_key"]?.stringValue == "mastodon:1" && $0["routing_key"]?.stringValue == "R0UT1NG" })
        #expect(pd[0]["payload"]?["severity"]?.stringValue == "critical")
        #expect((pd[0]["payload"]?["summary"]?.stringValue?.count ?? 2000) <= 1024)
    }

    @Test("A post whose author and text are single letters carrying thousands of combining marks stays within PagerDuty's 1,024-unit summary and its 512 KB event")
    func combiningMarksWithinLimits() async throws {
        let server = try await FixtureServer.start("http_server.py", ["--script", try NotifierFixtures.script(["/pd": #"[{"status": 202}]"#])])
        defer { server.stop() }
        let notifier = try NotifierFixtures.notifier(try NotifierFixtures.config(sinks: #"{ name: "pd", kind: "pagerduty", url: "\#(server.base)/pd", routing_key_env: "PDKEY" }"#,
                                                                              extra: #"alerting: { group_wait: "0s" }"#))
        defer { notifier.stop() }
        var note = NotifierFixtures.note("1", text: "Z" + String(repeating: "\u{0301}", count: 300_000))
        if case .post(let key, var post) = note.subject {
            post.author = "Z" + String(repeating: "\u{0301}", count: 1_500)
            note.subject = .post(key, post)
        }
        notifier.submit([note])
        #expect(await notifier.drain(timeout: 30))
        let sent = try #require(try await NotifierFixtures.requests(server, path: "/pd").first)
        #expect(sent.body.utf8.count < 64 * 1024, "\(sent.body.utf8.count) bytes")
        let summary = try #require(sent.json?["payload"]?["summary"]?.stringValue)
        #expect(summary.utf16.count <= 1024 && summary.unicodeScalars.contains("\u{0301}"), "\(summary.utf16.count)")
    }

    @Test("A sink's rate limit queues messages rather than dropping them: all arrive, never more than the limit per window")
    func rateLimitQueues() async throws {
        let server = try await FixtureServer.start("http_server.py", ["--script", try NotifierFixtures.script(["/hook": #"[{"status": 200}]"#])])
        defer { server.stop() }
        // max_per_minute 2, counted over a 1 s window here so the test takes seconds, not minutes.
        let notifier = try NotifierFixtures.notifier(try NotifierFixtures.config(sinks: #"{ name: "hook", kind: "webhook", url: "\#(server.base)/hook", max_per_minute: 2 }"#,
                                                          extra: #"alerting: { group_wait: "0s" }"#), rateWindow: 1)
        defer { notifier.stop() }
        notifier.submit((1...5).map { NotifierFixtures.note("\($0)") })
        #expect(await notifier.drain(timeout: 30), "\(NotifierFixtures.log.err)")
        let times = try await NotifierFixtures.requests(server, path: "/hook").map(\.at).sorted()
        #expect(times.count == 5)
        // Any three consecutive sends span at least the window (a little less for clock jitter).
        for index in 2..<times.count { #expect(times[index] - times[index - 2] >= 0.9, "\(times)") }
        #expect(notifier.stats.delivered["hook"] == 5 && notifier.stats.dead["hook"] == 0)
    }

    @Test("A sink that cannot work is a config error at start, in one sentence")
    func misconfiguredSink() async throws {
        let path = try writeTemporaryFile("""
        { sources: [{ name: "hn", kind: "hackernews", query: "acme" }],
          sinks: [{ name: "pd", kind: "pagerduty", routing_key_env: "NOT_SET_ANYWHERE" }],
          rules: [{ name: "r", severity: "critical", sinks: ["pd"], when: { min_reshares: 10 } }] }
        """)
        let (status, _, err) = await runForeshock(["test-alert", "--config", path])
        #expect(status == .usage)
        #expect(err.contains("NOT_SET_ANYWHERE"))
        let templates = try makeTemporaryDirectory().path
        try #"{"text": {{author}} {{nope}}}"#.write(toFile: templates + "/slack.json", atomically: true, encoding: .utf8)
        let broken = try writeTemporaryFile("""
        { sources: [{ name: "hn", kind: "hackernews", query: "acme" }], templates_dir: "\(templates)",
          sinks: [{ name: "slack", kind: "slack", url: "http://127.0.0.1:9/x" }],
          rules: [{ name: "r", severity: "critical", when: { min_reshares: 10 } }] }
        """)
        let second = await runForeshock(["test-alert", "--config", broken])
        #expect(second.0 == .usage)
        #expect(second.err.contains("unknown placeholder {{nope}}"))
    }
}

@Suite("Delivery across a killed process")
struct KilledProcessTests {
    @Test("replay --send whose report cannot be written still delivers what it sent, the closing resolution too, and then says what went wrong")
    func replaySendReportRefused() async throws {
        let server = try await FixtureServer.start("http_server.py", ["--script", try NotifierFixtures.script(["/hook": #"[{"status": 200}]"#])])
        defer { server.stop() }
        let config = try writeTemporaryFile("""
        { sources: [{ name: "hn", kind: "hackernews", query: "acme" }], sinks: [{ name: "hook", kind: "webhook", url: "\(server.base)/hook" }],
          alerting: { group_wait: "0s" }, rules: [{ name: "going-viral", severity: "critical", when: { min_reshares: 10 } }] }
        """)
        var lines = [#"{"type":"post","time":1700000000,"source":"x","id":"p1","author":"dana","followers":2290,"text":"worst airline"}"#]
        for i in 1...12 { lines.append(#"{"type":"reshare","time":\#(1_700_000_000 + i),"source":"x","post":"p1","followers":100}"#) }
        let recording = try writeTemporaryFile(lines.joined(separator: "\n") + "\n", name: "viral.jsonl")
        // The folder is there; the file cannot be made in it: found only when the report is written.
        let (status, _, err) = await runForeshock(["replay", recording, "--config", config, "--send", "--report", "/proc/report.html"])
        #expect(status == .failure)
        #expect(err.contains("replay: 2 messages delivered, 0 dead-lettered, 0 notifications silenced"), "\(err)")
        #expect(err.contains("cannot write the report to /proc/report.html"), "\(err)")
        let alerts = try await NotifierFixtures.requests(server, path: "/hook").compactMap { $0.json?["alerts"]?.arrayValue?.first }
        #expect(alerts.map { $0["reason"]?.stringValue ?? "?" } == ["started", "resolved"], "\(alerts)")
        // A report refused before anything starts leaves no lock or outbox in the state directory.
        let state = try makeTemporaryDirectory().path
        let early = await runForeshock(["replay", recording, "--config", config, "--send", "--state-dir", state, "--report", "/proc/nope/report.html"])
        #expect(early.0 == .usage && early.err.contains("/proc/nope does not exist"), "\(early.err)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: state).isEmpty)
        // A refusal once sending could start, before anything was sent: its line alone.
        let untraced = await runForeshock(["replay", recording, "--config", config, "--send", "--trace", "nosuch"])
        #expect(untraced.0 == .usage && untraced.err.contains("has no post \"nosuch\"") && !untraced.err.contains("delivered"), "\(untraced.err)")
    }

    @Test("replay --send sends its pages as tests under replay/ keys, and at its end resolves what it left firing: no rehearsal's incident stays open")
    func replaySendResolves() async throws {
        let server = try await FixtureServer.start("http_server.py", ["--script", try NotifierFixtures.script(["/hook": #"[{"status": 200}]"#, "/slack": #"[{"status": 200}]"#])])
        defer { server.stop() }
        let config = try writeTemporaryFile("""
        { sources: [{ name: "hn", kind: "hackernews", query: "acme" }],
          sinks: [{ name: "hook", kind: "webhook", url: "\(server.base)/hook" }, { name: "chat", kind: "slack", url: "\(server.base)/slack" }],
          rules: [{ name: "going-viral", severity: "critical", when: { min_reshares: 10 } }] }
        """)
        var lines = [#"{"type":"post","time":1700000000,"source":"x","id":"p1","author":"dana","followers":2290,"text":"worst airline"}"#]
        for i in 1...12 { lines.append(#"{"type":"reshare","time":\#(1_700_000_000 + i),"source":"x","post":"p1","followers":100}"#) }
        let recording = try writeTemporaryFile(lines.joined(separator: "\n") + "\n", name: "viral.jsonl")
        let (status, out, err) = await runForeshock(["replay", recording, "--config", config, "--send", "--state-dir", try makeTemporaryDirectory().path])
        #expect(status == .success, "\(err)")
        #expect(err.contains("1 alert still firing at the recording's end resolved"), "\(err)")
        // What replay prints is the recording's own: the resolution is the rehearsal's.
        #expect(out.contains("FIRING") && !out.contains("RESOLVED"), "\(out)")
        let alerts = try await NotifierFixtures.requests(server, path: "/hook").compactMap { $0.json?["alerts"]?.arrayValue?.first }
        #expect(alerts.map { $0["reason"]?.stringValue ?? "?" } == ["started", "resolved"], "\(alerts)")
        #expect(alerts.allSatisfy { $0["alert_key"]?.stringValue == "replay/x:p1" })
        // No silence command: the one for x:p1 would hold back the live alert. Nor on the console.
        #expect(alerts.allSatisfy { $0["silence"]?.isNull == true }, "\(alerts)")
        let console = try writeTemporaryFile("""
        { sources: [{ name: "hn", kind: "hackernews", query: "acme" }], sinks: [{ name: "screen", kind: "console" }],
          rules: [{ name: "going-viral", severity: "critical", when: { min_reshares: 10 } }] }
        """)
        let screen = await runForeshock(["replay", recording, "--config", console, "--send", "--state-dir", try makeTemporaryDirectory().path])
        #expect(screen.0 == .success && screen.out.contains("TEST") && !screen.out.contains("silence add"), "\(screen.out)")
        // The closing resolution says why it came: the recording ended, not that the post calmed down.
        let chat = try await NotifierFixtures.requests(server, path: "/slack").compactMap { $0.json?["text"]?.stringValue }
        #expect(chat.count == 2 && chat[1] == "[CRITICAL] TEST: RESOLVED: the recording ended with dana's post still firing", "\(chat)")
    }

    @Test("SIGKILL between the outbox write and the delivery: the next start delivers it, once, under the same id")
    func sigkill() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: ChildProcess.binary), "build the foreshock executable first (swift build)")
        let server = try await FixtureServer.start("http_server.py", ["--script", try NotifierFixtures.script(["/hook": #"[{"status": 200, "delay": 60}, {"status": 200}]"#])])
        defer { server.stop() }
        let state = try makeTemporaryDirectory().path
        let config = try writeTemporaryFile("""
        { sources: [{ name: "hn", kind: "hackernews", query: "acme" }],
          sinks: [{ name: "hook", kind: "webhook", url: "\(server.base)/hook", secret_env: "WHSEC" }],
          rules: [{ name: "going-viral", severity: "critical", when: { min_reshares: 10 } }] }
        """)
        var lines = [#"{"type":"post","time":1700000000,"source":"x","id":"p1","author":"dana","followers":2290,"text":"worst airline"}"#]
        for i in 1...12 { lines.append(#"{"type":"reshare","time":\#(1_700_000_000 + i),"source":"x","post":"p1","followers":100}"#) }
        let recording = try writeTemporaryFile(lines.joined(separator: "\n") + "\n", name: "viral.jsonl")
        let child = try ChildProcess(["replay", recording, "--config", config, "--send", "--state-dir", state], environment: ["WHSEC": NotifierFixtures.secret])
        // The receiver holds the first attempt: the message is in the outbox, not marked done.
        let seen = try await NotifierFixtures.requests(server, path: "/hook", atLeast: 1, tries: 500).count
        #expect(seen == 1)
        child.signal(SIGKILL)
        #expect(await child.waitForExit(timeout: 10) == 128 + SIGKILL)
        // The next start (here a replay of nothing) finds it in the outbox and delivers it.
        let empty = try writeTemporaryFile("", name: "empty.jsonl")
        let (status, _, err) = await runForeshock(["replay", empty, "--config", config, "--send", "--state-dir", state], environment: ["WHSEC": NotifierFixtures.secret])
        #expect(status == .success, "\(err)")
        // The page twice under one id: the held attempt, then the next start's. (The resolution
        // the replay sends at its end may or may not have been written before the kill.)
        let requests = try await NotifierFixtures.requests(server, path: "/hook")
        let reasons = requests.map { $0.json?["alerts"]?.arrayValue?.first?["reason"]?.stringValue ?? "?" }
        let pages = requests.filter { $0.json?["alerts"]?.arrayValue?.first?["reason"]?.stringValue == "started" }
        #expect(pages.count == 2 && reasons.filter { $0 != "started" }.allSatisfy { $0 == "resolved" } && reasons.first == "started", "\(reasons)")
        #expect(Set(pages.map { $0.headers["webhook-id"] ?? "" }).count == 1)
        // Marked a test, under a key no live alert has: no receiver takes it for the live one.
        #expect(requests.allSatisfy { $0.json?["alerts"]?.arrayValue?.first?["alert_key"]?.stringValue == "replay/x:p1" && $0.json?["test"]?.boolValue == true })
        #expect(try Outbox(directory: state).depth == 0) // a third start would send nothing
        // While a watch holds the state directory, a replay does not send through its outbox.
        let watching = try StateLock(directory: state)
        defer { watching.release() }
        let refused = await runForeshock(["replay", empty, "--config", config, "--send", "--state-dir", state], environment: ["WHSEC": NotifierFixtures.secret])
        #expect(refused.0 == .failure && refused.2.contains("is using the state directory \(state)"), "\(refused.2)")
    }
}
