import Foundation
import Testing
@testable import ForeshockSupport
@testable import ForeshockTestSupport

/// A new user's first hour, each step as they take it: the built binary as a child process, its
/// exit status and what it prints, against loopback servers.
@Suite("A new user's first hour")
struct FirstHourTests {
    static let secrets = ["WHSEC": NotifierFixtures.secret]

    @Test("Whatever watch refuses at start, check-config refuses, in the same sentence", arguments: [
        ("a template that is not there", #"template: "/nonexistent/alert.json""#, #"sinks[0] ("hook"): template /nonexistent/alert.json cannot be read"#),
        ("a template with an unknown placeholder", "template: \"TEMPLATE\"", "unknown placeholder {{nosuchvar}}"),
        ("a secret whose variable is not set", #"secret_env: "NOT_SET_ANYWHERE""#, "sinks[0].secret_env: environment variable NOT_SET_ANYWHERE is not set"),
        ("a key given twice", #"name: "hook2""#, "sinks[0].name: given twice in one object"),
    ])
    func checkConfigAsWatch(_ case: (String, String, String)) async throws {
        let (_, sinkKey, sentence) = `case`
        let template = try writeTemporaryFile(#"{"text": "{{nosuchvar}}"}"#, name: "bad.json")
        let config = try writeTemporaryFile("""
        { sources: [{ name: "hn", kind: "hackernews", query: "acme" }],
          sinks: [{ name: "hook", kind: "webhook", url: "https://hooks.example.com/x", \(sinkKey.replacingOccurrences(of: "TEMPLATE", with: template)) }],
          rules: [{ name: "r", severity: "critical", when: { min_reshares: 10 } }] }
        """)
        let checked = try await runBinary(["check-config", config], environment: Self.secrets)
        #expect(checked.status == 2, "\(checked.err)")
        #expect(checked.err.contains(sentence), "check-config said: \(checked.err)")
        let watched = try await runBinary(["watch", "--config", config, "--once", "--state-dir", try makeTemporaryDirectory().path], environment: Self.secrets)
        #expect(watched.status == 2, "\(watched.err)")
        #expect(watched.err.contains(sentence), "watch said: \(watched.err)")
    }

    @Test("A config with rules of its own says that it drops the defaults; include_default_rules keeps them; --print shows the effective config, which loads")
    func rulesInEffect() async throws {
        let own = """
        { sources: [{ name: "hn", kind: "hackernews", query: "acme" }],
          rules: [{ name: "mine", severity: "critical", when: { min_reshares: 50 } }] }
        """
        let replacing = try await runBinary(["check-config", try writeTemporaryFile(own)])
        #expect(replacing.status == 0, "\(replacing.err)")
        #expect(replacing.out.contains("rules in effect:\n  mine (critical): min_reshares: 50\n"), "\(replacing.out)")
        #expect(replacing.out.contains("replace the default ones (going-viral, unanswered-complaint, spreading-after-answer, heating-up)"))
        let keeping = try writeTemporaryFile(own.replacingOccurrences(of: "rules: [", with: "include_default_rules: true, rules: ["))
        let kept = try await runBinary(["check-config", keeping])
        #expect(kept.status == 0, "\(kept.err)")
        for rule in ["mine (critical)", "going-viral (critical)", "heating-up (warning)"] { #expect(kept.out.contains("  \(rule): "), "\(kept.out)") }
        #expect(!kept.out.contains("replace the default ones"))
        // No rules at all: nothing replaces anything, and nothing will alert.
        let none = try await runBinary(["check-config", try writeTemporaryFile(#"{ sources: [{ name: "hn", kind: "hackernews", query: "acme" }] }"#)])
        #expect(none.out.contains("note: this config has no rules, and the default ones (going-viral,") && !none.out.contains("replace"), "\(none.out)")
        #expect(none.err.contains("no rules: nothing will ever alert"), "\(none.err)")
        // The effective config: every default filled in, and it reads back as the same config.
        let printed = try await runBinary(["check-config", "--print", keeping])
        #expect(printed.status == 0)
        // The brand's names left to the sources say which they are now.
        #expect(printed.out.contains("// brand_terms empty: the sources' queries and brand accounts, now [\""), "\(printed.out)")
        for key in ["shutdown_timeout: \"10s\"", "cold_after: \"2d\"", "name: \"going-viral\"", "repeat_interval: \"4h\"", "max_items_per_poll: 2000"] {
            #expect(printed.out.contains(key), "\(key) not in \(printed.out)")
        }
        let again = try await runBinary(["check-config", "--print", try writeTemporaryFile(printed.out, name: "effective.json5")])
        #expect(again.out.split(separator: "\n").dropFirst() == printed.out.split(separator: "\n").dropFirst(), "the printed config does not read back as itself")
        let embedded = try await runBinary(["check-config", "--print"])
        #expect(embedded.out.hasPrefix("// Foreshock's embedded default config"))
    }

    @Test("test-alert is marked TEST everywhere, names the config's own rule, and PagerDuty's incident is resolved")
    func testAlertMarked() async throws {
        let server = try await FixtureServer.start("http_server.py", ["--script", try NotifierFixtures.script(
            ["/hook": #"[{"status": 200}]"#, "/slack": #"[{"status": 200}]"#, "/pd": #"[{"status": 202}]"#])])
        defer { server.stop() }
        let inbox = try makeTemporaryDirectory()
        let smtp = try await FixtureServer.start("smtp_server.py", ["--outdir", inbox.path])
        defer { smtp.stop() }
        let state = try makeTemporaryDirectory().path
        let config = try writeTemporaryFile("""
        { sources: [{ name: "hn", kind: "hackernews", query: "acme" }],
          state_dir: "\(state)",
          rules: [{ name: "our-own", severity: "critical", when: { min_reshares: 25 } }],
          sinks: [
            { name: "hook", kind: "webhook", url: "\(server.base)/hook", secret_env: "WHSEC" },
            { name: "slack", kind: "slack", url: "\(server.base)/slack" },
            { name: "pager", kind: "pagerduty", routing_key_env: "PDKEY", url: "\(server.base)/pd" },
            { name: "mail", kind: "email", smtp_url: "smtp://127.0.0.1:\(smtp.port)", starttls: "off", from: "f@example.org", to: ["o@example.org"] },
          ] }
        """)
        let run = try await runBinary(["test-alert", "--config", config], environment: ["WHSEC": NotifierFixtures.secret, "PDKEY": "R0UT1NG"])
        #expect(run.status == 0, "\(run.err)")
        #expect(run.err.contains("pager: delivered in") && run.err.contains(", then resolved"), "\(run.err)")
        let hook = try #require(try await NotifierFixtures.requests(server, path: "/hook").first?.json)
        #expect(hook["test"]?.boolValue == true)
        #expect(hook["alerts"]?.arrayValue?.first?["rule"]?.stringValue == "our-own")
        // What this config watches, not the sample's.
        #expect(hook["alerts"]?.arrayValue?.first?["watching"]?.stringValue == #"hn "acme""#, "\(hook)")
        #expect(hook["alerts"]?.arrayValue?.first?["alert_key"]?.stringValue?.hasPrefix("foreshock:test-alert-") == true)
        // Its silence command reaches the watch this config runs, as a real alert's does.
        let silence = try #require(hook["alerts"]?.arrayValue?.first?["silence"]?.stringValue)
        #expect(silence.hasSuffix(" --state-dir \(URL(fileURLWithPath: state).standardizedFileURL.path)"), "\(silence)")  // a temporary path needs no quotes
        let slack = try #require(try await NotifierFixtures.requests(server, path: "/slack").first?.json)
        #expect(slack["test"]?.boolValue == true && slack["text"]?.stringValue?.hasPrefix("[CRITICAL] TEST: FIRING:") == true, "\(slack)")
        let pager = try await NotifierFixtures.requests(server, path: "/pd").compactMap(\.json)
        #expect(pager.map { $0["event_action"]?.stringValue ?? "" } == ["trigger", "resolve"])
        #expect(Set(pager.map { $0["dedup_key"]?.stringValue ?? "" }).count == 1)
        #expect(pager.allSatisfy { $0["payload"]?["custom_details"]?["test"]?.boolValue == true }, "\(pager)")
        let mails = try FileManager.default.contentsOfDirectory(atPath: inbox.path).filter { $0.hasSuffix(".eml") }
        let mail = try String(contentsOf: inbox.appendingPathComponent(try #require(mails.first)), encoding: .utf8)
        #expect(mail.contains("Subject: [Foreshock CRITICAL] TEST: FIRING:"), "\(mail.prefix(400))")
    }

    @Test("The watch log says when an alert fires, where it goes, and when it is delivered or given up")
    func alertLog() async throws {
        let api = try await ScriptedAPI([
            "/feed.json": [["body": #"{"items": [{"id": "j1", "text": "acme lost my bag", "who": "dana", "shares": 500}]}"#]],
        ])
        defer { api.stop() }
        let hooks = try await FixtureServer.start("http_server.py", ["--script", try NotifierFixtures.script(["/ok": #"[{"status": 200}]"#, "/bad": #"[{"status": 404}]"#])])
        defer { hooks.stop() }
        let config = try writeTemporaryFile("""
        { sources: [{ name: "feed", kind: "json", url: "\(api.base)/feed.json", items: "items", fields: { id: "id", text: "text", author: "who", reshares: "shares" } }],
          alerting: { group_wait: "0s" },
          sinks: [{ name: "hook", kind: "webhook", url: "\(hooks.base)/ok" }, { name: "bad", kind: "webhook", url: "\(hooks.base)/bad" }],
          rules: [{ name: "big", severity: "critical", when: { min_reshares: 100 } }] }
        """)
        let run = try await runBinary(["watch", "--config", config, "--once", "--mentions", "none", "--state-dir", try makeTemporaryDirectory().path])
        #expect(run.status == 1, "a sink failed: \(run.err)")
        #expect(run.err.contains(#"msg="alert fired" alert=feed:j1 rule=big severity=critical sinks=hook,bad"#), "\(run.err)")
        #expect(run.err.contains(#"msg="notification delivered" sink=hook alerts=feed:j1 rules=big"#), "\(run.err)")
        #expect(run.err.contains(#"msg="notification given up, moved to the dead letters" sink=bad alerts=feed:j1 rules=big"#), "\(run.err)")
    }

    @Test("SIGHUP keeps the status counters; a refused reload lists its errors as errors and its warnings as warnings")
    func reloadKeepsCounters() async throws {
        let api = try await ScriptedAPI(["/feed.json": [["body": #"{"items": [{"id": "j1", "text": "hello", "who": "dana"}]}"#]]])
        defer { api.stop() }
        let text = """
        { sources: [{ name: "feed", kind: "json", url: "\(api.base)/feed.json", items: "items", interval: "1s", fields: { id: "id", text: "text", author: "who" } }],
          rules: [{ name: "big", severity: "critical", when: { min_reshares: 100 } }] }
        """
        let config = try writeTemporaryFile(text)
        let state = try makeTemporaryDirectory().path
        let watch = try ChildProcess(["watch", "--config", config, "--state-dir", state, "--mentions", "none"])
        let polled = try await eventually(timeout: 20) { try await api.requests(to: "/feed.json").count >= 6 }
        #expect(polled, "\(watch.stderr)")
        watch.signal(SIGHUP)
        #expect(await eventually(timeout: 10) { watch.stderr.contains(#"msg="config reloaded""#) }, "\(watch.stderr)")
        // status.json is written every 15 s: the next one after the reload still counts every poll.
        let reloadedAt = Date()
        var polls = 0, seen = 0, late = 0
        let written = try await eventually(timeout: 25) {
            guard let data = FileManager.default.contents(atPath: state + "/status.json"), let status = try? JSONValue.parse(data),
                  let at = status["written_at"]?.stringValue.flatMap(Timestamp.parse), at > reloadedAt else { return false }
            polls = status["sources"]?.arrayValue?.first?["polls"]?.intValue ?? 0
            seen = try await api.requests(to: "/feed.json").count
            // Seconds since the write: a loaded machine reads the feed's count a poll or two later.
            late = min(3, Int(Date().timeIntervalSince(at).rounded(.up)))
            return true
        }
        #expect(written, "no status.json after the reload")
        // Every poll counted, those before the reload too (a poll or two may land between the
        // write and the count, one more for each second the count came after the write).
        #expect(polls >= seen - 2 - late, "status counts \(polls) polls; the feed saw \(seen), \(late) s after the write")
        // A config with an error and a warning: each said once, at its own level.
        try text.replacingOccurrences(of: "kind: \"json\"", with: "kind: \"jsn\"")
            .replacingOccurrences(of: "rules:", with: "sinks: [{ name: \"hook\", kind: \"webhook\", url: \"https://hooks.example.com/x\" }], rules:")
            .write(toFile: config, atomically: true, encoding: .utf8)
        watch.signal(SIGHUP)
        #expect(await eventually(timeout: 10) { watch.stderr.contains("the previous config keeps running") }, "\(watch.stderr)")
        let lines = watch.stderr.split(separator: "\n")
        #expect(lines.contains { $0.contains("level=error") && $0.contains(#"msg="config reload refused""#) && $0.contains("sources[0].kind") }, "\(watch.stderr)")
        #expect(lines.contains { $0.contains("level=warning") && $0.contains(#"msg="config reload: warning""#) && $0.contains("a literal secret") }, "\(watch.stderr)")
        watch.signal(SIGTERM)
        #expect(await watch.waitForExit(timeout: 15) == 0)
    }

    @Test("Silences: names checked against the config, no state directory made up, \"no silences\", several matchers, expired ones kept")
    func silences() async throws {
        let empty = try makeTemporaryDirectory().path
        // No config and no watch has run on this state directory: the names are the embedded default config's.
        let fresh = try makeTemporaryDirectory().path
        let typo = try await runBinary(["silence", "add", "--rule", "going-virall", "--for", "1h", "--state-dir", fresh], directory: empty)
        #expect(typo.status == 2)
        #expect(typo.err.contains(#"the embedded default config (give --config FILE for yours) has no rule "going-virall""#)
                && typo.err.contains("Did you mean going-viral?"), "\(typo.err)")
        // A config of one's own: its names.
        let own = try writeTemporaryFile(#"{ sources: [], rules: [{ name: "complaints", severity: "warning", when: { complaint: true } }] }"#)
        let notThere = try await runBinary(["silence", "add", "--rule", "going-viral", "--for", "1h", "--config", own, "--state-dir", fresh], directory: empty)
        #expect(notThere.status == 2 && notThere.err.contains(#"has no rule "going-viral" (it has complaints, source-down)"#), "\(notThere.err)")
        // No --config, but a watch ran on the state directory with that config: its names, from its status.json.
        let ran = try makeTemporaryDirectory().path
        let once = try await runBinary(["watch", "--config", own, "--once", "--mentions", "none", "--state-dir", ran])
        #expect(once.status == 0, "\(once.err)")
        let stale = try await runBinary(["silence", "add", "--rule", "going-viral", "--for", "1h", "--state-dir", ran])
        #expect(stale.status == 2 && stale.err.contains("the watch that ran on \(ran) (its status.json) has no rule \"going-viral\""), "\(stale.err)")
        #expect(try await runBinary(["silence", "add", "--rule", "complaints", "--for", "1h", "--state-dir", ran]).status == 0)
        let nowhere = try await runBinary(["silence", "add", "--rule", "going-viral", "--for", "1h"], directory: empty)
        #expect(nowhere.status == 1)
        #expect(nowhere.err.contains("there is no state directory at ./state"), "\(nowhere.err)")
        #expect(!FileManager.default.fileExists(atPath: empty + "/state"), "a state directory was made up")
        let state = try makeTemporaryDirectory().path
        let forever = try await runBinary(["silence", "add", "--rule", "going-viral", "--for", "99999999999999999999999999h", "--state-dir", state])
        #expect(forever.status == 2 && forever.err.contains("a silence lasts at most 366d"), "\(forever.err)")
        let none = try await runBinary(["silence", "list", "--state-dir", state])
        #expect(none.status == 0 && none.out.hasPrefix("no silences in \(state)/silences.json"), "\(none.out)")
        let added = try await runBinary(["silence", "add", "rule=going-viral", "author=~dana.*", "source!=hn", "--for", "2h", "--comment", "on it", "--state-dir", state])
        #expect(added.status == 0, "\(added.err)")
        #expect(added.out.hasPrefix("s1 silences rule=going-viral author=~dana.* source!=hn until "), "\(added.out)")
        let bad = try await runBinary(["silence", "add", "author=~dana(", "--for", "2h", "--state-dir", state])
        #expect(bad.status == 2 && bad.err.contains("is not a regular expression"), "\(bad.err)")
        #expect(try await runBinary(["silence", "expire", "s1", "--state-dir", state]).out.contains("s1 expired; it stays on record"))
        let after = try await runBinary(["silence", "list", "--state-dir", state])
        #expect(after.out.contains("no silences") && after.out.contains("1 ended"), "\(after.out)")
        let all = try await runBinary(["silence", "list", "--expired", "--state-dir", state])
        #expect(all.out.contains("s1  rule=going-viral author=~dana.* source!=hn  ended ") && all.out.contains("(expired by hand)"), "\(all.out)")
        // Whoever adds a silence (through the API too) writes its comment and matchers: listed
        // terminal-safe, so an OSC sequence cannot retitle the on-call terminal.
        let hostile = try await runBinary(["silence", "add", "author=ma\u{1b}[2Jllory", "--for", "1h", "--comment", "c\u{1b}]0;pwned\u{07}\u{202e}evil\r\nX", "--state-dir", state])
        #expect(hostile.status == 0, "\(hostile.err)")
        let listed = try await runBinary(["silence", "list", "--state-dir", state])
        for output in [hostile.out, listed.out] {
            #expect(!output.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x0D || $0.value == 0x202E }, "\(output)")
        }
        #expect(listed.out.contains(#"c\x1b]0;pwned\x07\u202eevil\x0d\x0aX"#), "\(listed.out)")
        // A file it cannot read, or entries it cannot, are said in a line on stderr, not passed
        // over as "no silences".
        let garbled = try makeTemporaryDirectory().path
        try #"{"silences": [{"id": "s1", "until": 1e300}, 7, {"id": "s2", "matchers": ["rule=x"], "until": "2999-01-01T00:00:00Z"}]}"#
            .write(toFile: garbled + "/silences.json", atomically: true, encoding: .utf8)
        let partly = try await runBinary(["silence", "list", "--state-dir", garbled])
        #expect(partly.status == 0 && partly.out.contains("s2  rule=x") && partly.err == "foreshock silence: the silences file has 2 entries that could not be read; left out\n", "\(partly.err)")
        try "garbage".write(toFile: garbled + "/silences.json", atomically: true, encoding: .utf8)
        // A file it cannot read fails the command and stays where it is: moved away, the running
        // watch would drop the silences it still holds.
        let unread = try await runBinary(["silence", "list", "--state-dir", garbled])
        #expect(unread.status == 1 && unread.out.isEmpty && unread.err.split(separator: "\n").count == 1 && unread.err.contains("silences.json is not a silences file"), "\(unread.err)")
        #expect(try String(contentsOfFile: garbled + "/silences.json", encoding: .utf8) == "garbage")
        let refused = try await runBinary(["silence", "add", "rule=going-viral", "--for", "1h", "--state-dir", garbled])
        let untouched = try String(contentsOfFile: garbled + "/silences.json", encoding: .utf8)
        #expect(refused.status == 1 && untouched == "garbage", "\(refused.err)")
        // No state directory there, or a file: said, not "no silences".
        for place in [garbled + "/nonexistent", garbled + "/silences.json"] {
            for command in [["silence", "list"], ["silence", "add", "rule=big", "--for", "1h"], ["status"]] {
                let run = try await runBinary(command + ["--state-dir", place])
                #expect(run.status == 1 && run.out.isEmpty && run.err.split(separator: "\n").count == 1
                        && (run.err.contains("there is no state directory at \(place)") || run.err.contains("\(place) is a file")), "\(command): \(run.err)")
            }
        }
        // Errors too: a config value with a line break in it stays on its problem's one line.
        // (A bare LF, not only CR LF, which Swift takes for one Character.)
        for newline in [#"\n"#, #"\r\n"#] {
            let broken = try writeTemporaryFile(#"{ sources: [], sinks: [{ name: "m", kind: "email", smtp_url: "smtp://127.0.0.1:1", from: "a@b.c\#(newline)Bcc: x@y.z", to: ["o@b.c"] }] }"#)
            let checked = try await runBinary(["check-config", broken])
            let lines = checked.err.split(separator: "\n")
            #expect(checked.status == 2 && checked.err.contains("sinks[0].from") && !checked.err.unicodeScalars.contains { $0.value == 0x0D }
                    && !lines.contains { $0.hasPrefix("Bcc") }, "\(checked.err)")
        }
    }

    @Test("help is wrapped to COLUMNS, every line whole, and each usage line names every option")
    func help() async throws {
        for columns in ["60", "100"] {
            let overview = try await runBinary(["help"], environment: ["COLUMNS": columns])
            #expect(overview.status == 0)
            for line in overview.out.split(separator: "\n") { #expect(line.count <= Int(columns)!, "\(line.count) > \(columns): \(line)") }
        }
        let watch = try await runBinary(["help", "watch"], environment: ["COLUMNS": "72"])
        let usage = watch.out.components(separatedBy: "\n\n").first ?? ""
        for option in ["--config", "--query", "--brand", "--once", "--state-dir", "--record", "--record-max-size", "--mentions", "--log-format", "--log-level"] {
            #expect(usage.contains("[\(option)"), "watch's usage lacks \(option): \(usage)")
        }
    }
}
