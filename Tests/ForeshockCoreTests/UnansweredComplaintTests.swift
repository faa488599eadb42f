import Foundation
import Testing
@testable import ForeshockSupport
@testable import ForeshockConfig
@testable import ForeshockCore
@testable import ForeshockTestSupport

/// The seeds' own scenario: an ordinary customer's complaint about the brand spreads, and the
/// brand has not answered within the hour. The embedded default pages for it, where the brand's
/// accounts are known.
@Suite("Unanswered complaints, the embedded default rule")
struct UnansweredComplaintTests {
    /// A 300-follower customer's complaint naming the brand, reshared by one more account every
    /// 3 minutes for two and a half hours (steady, never viral), with the brand's answer at
    /// `answerAfter` seconds (none when nil).
    static func recording(answerAfter: Double?) throws -> String {
        let start = 1_700_000_000.0
        var lines: [(Double, String)] = [(start, #"{"type":"post","time":1700000000,"source":"x","id":"t1","author":"dana","followers":300,"text":"@acme lost my bag and nobody answers. Worst airline ever."}"#)]
        for step in 1...50 {
            let time = start + Double(step) * 180
            lines.append((time, #"{"type":"reshare","time":\#(time),"source":"x","post":"t1","user":"u\#(step)","followers":300}"#))
        }
        if let answerAfter {
            lines.append((start + answerAfter + 1, #"{"type":"answer","time":\#(start + answerAfter + 1),"source":"x","post":"t1","author":"acme"}"#))
        }
        let text = lines.sorted { $0.0 < $1.0 }.map(\.1).joined(separator: "\n") + "\n"
        return try writeTemporaryFile(text, name: "complaint.jsonl")
    }

    static func unansweredAlerts(_ path: String) async -> [JSONValue] {
        let (status, out, err) = await runForeshock(["replay", path, "--format", "json"])
        #expect(status == .success, "\(err)")
        return out.split(separator: "\n").compactMap { try? JSONValue.parse(Data($0.utf8)) }
            .filter { $0["type"]?.stringValue == "alert" && $0["rule"]?.stringValue == "unanswered-complaint" }
    }

    @Test("Not answered: it pages an hour after the post; answered at 30 minutes: never; answered at 90 minutes: it resolves resolve_after later",
          arguments: [nil, 1800.0, 5400.0])
    func pages(answerAfter: Double?) async throws {
        let alerts = await Self.unansweredAlerts(try Self.recording(answerAfter: answerAfter))
        let fired = alerts.first { $0["state"]?.stringValue == "firing" }
        switch answerAfter {
        case nil:
            #expect(fired?["severity"]?.stringValue == "critical", "\(alerts)")
            let at = fired.flatMap { $0["time"]?.stringValue }.flatMap(Timestamp.parse)?.timeIntervalSince1970 ?? 0
            #expect(at - 1_700_000_000 >= 3600 && at - 1_700_000_000 <= 3600 + 120, "fired at \(at - 1_700_000_000) s")
        case 1800.0?:
            #expect(alerts.isEmpty, "\(alerts)")
        default:
            #expect(fired != nil, "\(alerts)")
            let resolved = alerts.first { $0["state"]?.stringValue == "resolved" }
            let at = resolved.flatMap { $0["time"]?.stringValue }.flatMap(Timestamp.parse)?.timeIntervalSince1970 ?? 0
            #expect(at - 1_700_000_000 >= 5400 + 1800, "resolved at \(at - 1_700_000_000) s, before the answer and resolve_after: \(alerts)")
        }
    }

    @Test("Answered after the page, and the answer made it worse: the critical alert de-escalates to spreading-after-answer (warning) once no critical rule has held for resolve_after, and is never reminded of as critical")
    func answerMadeItWorse() async throws {
        let start = 1_700_000_000.0
        var lines = [#"{"type":"post","time":1700000000,"source":"x","id":"t1","author":"dana","followers":300,"text":"@acme lost my bag and nobody answers. Worst airline ever."}"#]
        // One reshare every 3 minutes for 65 minutes, the answer, then one every 40 seconds.
        var times = (1...21).map { start + Double($0) * 180 }
        times += (1...130).map { times.last! + Double($0) * 40 }
        for (index, time) in times.enumerated() {
            if time > start + 3901, !lines.contains(where: { $0.contains(#""answer""#) }) {
                lines.append(#"{"type":"answer","time":\#(start + 3901),"source":"x","post":"t1","author":"acme"}"#)
            }
            lines.append(#"{"type":"reshare","time":\#(time),"source":"x","post":"t1","user":"u\#(index)","followers":300}"#)
        }
        let (status, out, err) = await runForeshock(["replay", try writeTemporaryFile(lines.joined(separator: "\n") + "\n", name: "worse.jsonl"), "--format", "json"])
        #expect(status == .success, "\(err)")
        let alerts = out.split(separator: "\n").compactMap { try? JSONValue.parse(Data($0.utf8)) }.filter { $0["type"]?.stringValue == "alert" }
        func at(_ alert: JSONValue) -> Double { (alert["time"]?.stringValue).flatMap(Timestamp.parse).map { $0.timeIntervalSince1970 - start } ?? -1 }
        let told = alerts.map { "\($0["rule"]?.stringValue ?? "?") \($0["severity"]?.stringValue ?? "?") \($0["reason"]?.stringValue ?? "?")" }
        #expect(told == ["unanswered-complaint critical started", "spreading-after-answer warning deescalated"], "\(told)")
        // Paged at the hour; told it is a warning now 30 minutes (resolve_after) after the
        // critical rule last held: at the last reshare before the answer (3,780 s) or after.
        #expect(alerts.count == 2 && at(alerts[0]) >= 3600 && at(alerts[0]) <= 3720 && at(alerts[1]) >= 3780 + 1800 && at(alerts[1]) <= 3901 + 1800 + 120,
                "\(alerts.map(at))")
    }

    @Test("A complaint whose reshares were seen before its post line (and its text) is still caught unanswered")
    func postLineLate() async throws {
        let start = 1_700_000_000.0
        var lines: [String] = []
        // The reshares stop before the hour is up: only a tick can see the crossing, so the
        // post must have been scheduled for it when its text arrived.
        for step in 1...15 {
            lines.append(#"{"type":"reshare","time":\#(start + Double(step) * 180),"source":"x","post":"t1","user":"u\#(step)","followers":300}"#)
            if step == 5 {
                // Found late, as a poll that lists the newest first finds it, created when the
                // first reshare came: only its text is news, and it makes the post a complaint.
                lines.append(#"{"type":"post","time":\#(start + 900),"created_at":1700000180,"source":"x","id":"t1","author":"dana","followers":300,"text":"@acme lost my bag and nobody answers. Worst airline ever."}"#)
            }
        }
        // Something else later, so the replay's ticks go on past the crossing.
        lines.append(#"{"type":"post","time":\#(start + 5000),"source":"x","id":"t2","author":"someone","text":"nice weather"}"#)
        let alerts = await Self.unansweredAlerts(try writeTemporaryFile(lines.joined(separator: "\n") + "\n", name: "late.jsonl"))
        let fired = try #require(alerts.first { $0["state"]?.stringValue == "firing" }, "never fired")
        let at = (fired["time"]?.stringValue).flatMap(Timestamp.parse)?.timeIntervalSince1970 ?? 0
        #expect(at - start >= 3780 && at - start <= 3780 + 60, "fired at \(at - start) s")
    }

    @Test("A Reddit complaint voted down from 60 to nothing stops paging: counts mode reads the counter as it is now")
    func votedDown() async throws {
        let start = 1_700_000_000.0
        var lines = [#"{"type":"post","time":\#(start),"source":"reddit","id":"t3_1","author":"dana","text":"@acme lost my bag and nobody answers. Worst airline ever."}"#]
        // Upvoted to 60 in the first hour, pages; then voted down to nothing, polled every 5 minutes for 3 hours.
        for step in 1...48 {
            let reshares = step <= 12 ? step * 5 : 0
            lines.append(#"{"type":"counts","time":\#(start + Double(step) * 300),"source":"reddit","post":"t3_1","reshares":\#(reshares)}"#)
        }
        let alerts = await Self.unansweredAlerts(try writeTemporaryFile(lines.joined(separator: "\n") + "\n", name: "down.jsonl"))
        let fired = try #require(alerts.first { $0["state"]?.stringValue == "firing" }, "never fired: \(alerts)")
        #expect(fired["reshares"]?.intValue == 60, "\(fired)")
        // Voted down by the poll at 65 minutes (its rules last held after the one at 60):
        // resolve_after (30 minutes) later, not when the complaint is two days old.
        let resolved = try #require(alerts.first { $0["state"]?.stringValue == "resolved" }, "never resolved: \(alerts)")
        let at = (resolved["time"]?.stringValue).flatMap(Timestamp.parse)?.timeIntervalSince1970 ?? 0
        #expect(at - start >= 3600 + 1800 && at - start <= 3900 + 1800 + 360, "resolved at \(at - start) s")
        #expect(resolved["reshares"]?.intValue == 0, "\(resolved)")
    }

    @Test("The brand's answer seen before its post (one poll found both, the answer written first) still makes the post answered")
    func answerBeforePost() async throws {
        let start = 1_700_000_000.0
        var lines = [#"{"type":"answer","time":\#(start + 600),"source":"x","post":"t1","author":"acme"}"#,
                     #"{"type":"post","time":\#(start + 3700),"created_at":\#(start),"source":"x","id":"t1","author":"dana","followers":300,"text":"@acme lost my bag and nobody answers. Worst airline ever."}"#]
        for step in 1...20 {
            lines.append(#"{"type":"reshare","time":\#(start + 3700 + Double(step) * 60),"source":"x","post":"t1","user":"u\#(step)","followers":300}"#)
        }
        let answered = await Self.unansweredAlerts(try writeTemporaryFile(lines.joined(separator: "\n") + "\n", name: "early.jsonl"))
        #expect(answered.isEmpty, "\(answered)")
        // Without the answer it pages: the test can fail.
        let unanswered = await Self.unansweredAlerts(try writeTemporaryFile(lines.dropFirst().joined(separator: "\n") + "\n", name: "none.jsonl"))
        #expect(!unanswered.isEmpty)
    }

    @Test("Where nobody looks for the brand's answers (no brand account), an alert on a complaint does not call it unanswered; with --brand it does")
    func notCalledUnansweredWithoutBrand() throws {
        func alerts(brand: String?) throws -> [AlertNotification] {
            let config = try ConfigLoader.embeddedDefault(query: "acme", brand: brand).0.answerRulesLimitedToBrandSources().config
            let engine = ScoringEngine(config: config, shards: 1)
            let key = PostKey(source: "mastodon", id: "1"), start = 1_700_000_000.0
            var observations: [Observation] = [.post(key: key, time: start, createdAt: start, author: "dana", followers: 300,
                                                     text: "@acme lost my bag and nobody answers. Worst airline ever.", url: nil)]
            for step in 1...30 { observations.append(.reshare(key: key, time: start + 120 + Double(step) * 10, user: "u\(step)", followers: 300)) }
            return engine.ingest(observations)
        }
        let blind = try alerts(brand: nil)
        #expect(!blind.isEmpty)
        #expect(blind.allSatisfy { $0.complaint && $0.unansweredFor == nil && !($0.why ?? "").contains("unanswered") }, "\(blind.map(\.why))")
        // Nor answered: nobody looked (the templates' `answered` is then null, not true).
        #expect(blind.allSatisfy { $0.post?.answerWatched == false })
        let watched = try alerts(brand: "acme_support")
        #expect(watched.contains { $0.unansweredFor != nil && ($0.why ?? "").contains("unanswered") }, "\(watched.map(\.why))")
        #expect(watched.allSatisfy { $0.post?.answerWatched == true })
    }

    @Test("watch turns rules about the brand's answer off where no brand account is known, and says so once; --brand turns them on")
    func offWithoutBrand() async throws {
        let (config, off) = try ConfigLoader.embeddedDefault(query: "acme").0.answerRulesLimitedToBrandSources()
        #expect(off.map(\.rule) == ["unanswered-complaint", "spreading-after-answer"] && off.allSatisfy { $0.sources == ["hn", "mastodon"] }, "\(off)")
        #expect(config.rules.first { $0.name == "unanswered-complaint" }?.sources == [])
        #expect(config.rules.first { $0.name == "spreading-after-answer" }?.sources == [])
        let (branded, none) = try ConfigLoader.embeddedDefault(query: "acme", brand: "acme_support").0.answerRulesLimitedToBrandSources()
        #expect(none.isEmpty)
        #expect(branded.sources.allSatisfy { $0.brandAccounts == ["acme_support"] })

        let api = try await ScriptedAPI(["/a": [["body": "[]"]], "/b": [["body": "[]"]]])
        defer { api.stop() }
        let path = try writeTemporaryFile("""
        { sources: [
            { name: "ours", kind: "json", url: "\(api.base)/a", items: ".", fields: { id: "id" }, brand_accounts: ["acme"] },
            { name: "theirs", kind: "json", url: "\(api.base)/b", items: ".", fields: { id: "id" } },
          ],
          sinks: [{ name: "out", kind: "console" }],
          rules: [{ name: "slow-answer", severity: "critical", when: { unanswered_for_at_least: "1h" } }] }
        """)
        let state = try makeTemporaryDirectory().path
        let (status, _, err) = await runForeshock(["watch", "--config", path, "--once", "--state-dir", state, "--mentions", "none"])
        #expect(status == .success, "\(err)")
        let said = err.split(separator: "\n").filter { $0.contains("brand's answer is off") }
        #expect(said.count == 1 && said[0].contains("rules=slow-answer ") && said[0].contains("sources=theirs"), "\(err)")
        let (refused, _, why) = await runForeshock(["watch", "--config", path, "--brand", "acme", "--once", "--state-dir", state])
        #expect(refused == .usage && why.contains("brand_accounts"), "\(why)")
        // A handle that would match no one is refused, not taken: the answers it was for would page.
        let (misspelt, _, whyNot) = await runForeshock(["watch", "--query", "acme", "--brand", "@@acme", "--once", "--state-dir", state])
        #expect(misspelt == .usage && whyNot.contains(#"--brand "@@acme" is not a handle"#), "\(whyNot)")
        for bad in [#""@@acme""#, #""acme@""#, #""@""#, #""acme support""#, #""a@b@c""#] {
            let result = ConfigLoader.parse(Data("{ sources: [{ name: \"m\", kind: \"hackernews\", query: \"acme\", brand_accounts: [\"ok\", \(bad)] }] }".utf8), origin: "t.json5", environment: [:], requireSecrets: false)
            #expect(result.errors.map(\.description).contains { $0.contains("sources[0].brand_accounts[1]") }, "\(bad): \(result.errors)")
        }
        // A JSON feed's author is whatever its mapping reads: a display name with a space is one.
        let display = ConfigLoader.parse(Data(#"{ sources: [{ name: "j", kind: "json", url: "https://api.example.com/x", items: ".", fields: { id: "id", author: "by.name" }, brand_accounts: ["Acme Support"] }] }"#.utf8),
                                         origin: "t.json5", environment: [:], requireSecrets: false)
        #expect(display.errors.isEmpty, "\(display.errors)")
        // A Mastodon account of the domain the source's host sits under: taken for another
        // server's, and said, with what to write if it is this server's own.
        let parent = ConfigLoader.parse(Data(#"{ sources: [{ name: "m", kind: "mastodon", base_url: "https://mastodon.example.com", query: "acme", brand_accounts: ["@acme@example.com", "@acme@mastodon.example.com"] }] }"#.utf8),
                                        origin: "t.json5", environment: [:], requireSecrets: false)
        #expect(parent.errors.isEmpty && parent.warnings.map(\.description).filter { $0.contains("brand_accounts") }.count == 1, "\(parent.warnings)")
        #expect(parent.warnings.map(\.description).contains { $0.contains("brand_accounts[0]") && $0.contains(#"write "acme""#) }, "\(parent.warnings)")
        for good in [#""acme""#, #""@acme""#, #""@acme@mastodon.social""#, #""u/acme""#, #""did:plc:abc""#, #""acme.bsky.social""#] {
            let result = ConfigLoader.parse(Data("{ sources: [{ name: \"m\", kind: \"hackernews\", query: \"acme\", brand_accounts: [\(good)] }] }".utf8), origin: "t.json5", environment: [:], requireSecrets: false)
            #expect(result.errors.isEmpty, "\(good): \(result.errors)")
        }
        // Two rules off for the same sources are one line.
        let both = path.replacingOccurrences(of: ".json5", with: "-both.json5")
        try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(
            of: #"rules: [{ name: "slow-answer", severity: "critical", when: { unanswered_for_at_least: "1h" } }]"#,
            with: #"rules: [{ name: "slow-answer", severity: "critical", when: { unanswered_for_at_least: "1h" } }, { name: "very-slow", severity: "warning", when: { unanswered_for_at_least: "3h" } }]"#)
            .write(toFile: both, atomically: true, encoding: .utf8)
        let (_, _, twice) = await runForeshock(["watch", "--config", both, "--once", "--state-dir", try makeTemporaryDirectory().path, "--mentions", "none"])
        let lines = twice.split(separator: "\n").filter { $0.contains("brand's answer are off") }
        #expect(lines.count == 1 && lines[0].contains("rules=slow-answer,very-slow") && lines[0].contains("sources=theirs"), "\(twice)")
    }
}
