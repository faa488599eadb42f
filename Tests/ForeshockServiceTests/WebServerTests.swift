import Foundation
import Testing
@testable import ForeshockSupport
@testable import ForeshockTransport
@testable import ForeshockTestSupport

/// The watch process's web server, against a running watch (the built binary as a child
/// process) on loopback: scraped by Prometheus' own parser, asked by remote `foreshock`
/// commands, loaded in headless Chromium, and abused.
@Suite("The watch on the web")
struct WebServerTests {
    static let token = "0123456789abcdef-test-token"

    /// A Mastodon server whose one post has `reblogs` at each refresh in turn (the last repeating).
    static func feed(_ reblogs: [Int], content: String = "<p>@acme lost my bag and nobody answers</p>", author: String = "dana") async throws -> ScriptedAPI {
        let created = Date().addingTimeInterval(-120)
        func status(_ count: Int) -> String {
            let object: [String: Any] = ["id": "p1", "created_at": Timestamp.format(created), "url": "https://mastodon.example/@dana/p1", "content": content,
                                         "account": ["id": "7", "acct": author, "followers_count": 300], "reblogs_count": count, "replies_count": 3, "favourites_count": 12]
            return String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        }
        return try await ScriptedAPI([
            "/api/v1/timelines/tag/acme": [["body": "[\(status(reblogs[0]))]"]],
            "/api/v1/statuses": reblogs.map { ["body": "[\(status($0))]"] },
        ])
    }

    static func config(feed: String, hook: String?, extra: String = "") throws -> String {
        try writeTemporaryFile("""
        { sources: [{ name: "feed", kind: "mastodon", query: "acme", base_url: "\(feed)", interval: "1s", fetch_resharers_at: 1000000 }],
          scoring: { evaluation_interval: "1s" },
          alerting: { group_wait: "0s" },
          rules: [{ name: "big", severity: "critical", when: { min_reshares: 100 } }],
          sinks: [\(hook.map { #"{ name: "hook", kind: "webhook", url: "\#($0)/hook" }"# } ?? #"{ name: "log", kind: "console" }"#)],
          web: { listen: "127.0.0.1:0", token_env: "WEB_TOKEN", external_url: "http://foreshock.example" },
          \(extra) }
        """)
    }

    /// Starts a watch and waits for its web server's address in the log.
    static func watch(_ config: String) async throws -> (ChildProcess, String) {
        let child = try ChildProcess(["watch", "--config", config, "--state-dir", try makeTemporaryDirectory().path, "--mentions", "none"],
                                     environment: ["WEB_TOKEN": token])
        var url = ""
        let listening = await eventually(timeout: 20) {
            guard let line = child.stderr.split(separator: "\n").first(where: { $0.contains("msg=\"web server listening\"") }),
                  let range = line.range(of: "url=") else { return false }
            url = String(line[range.upperBound...].prefix { !$0.isWhitespace })
            return true
        }
        #expect(listening, "no web server: \(child.stderr)")
        return (child, url)
    }

    static func get(_ url: String) async throws -> HTTPResponse { try await HTTPClient().get(url, timeout: 10) }

    @Test("Prometheus' parser reads /metrics over HTTP; readiness follows a source going down and coming back; health answers")
    func metricsAndHealth() async throws {
        let api = try await ScriptedAPI([
            "/api/v1/timelines/tag/acme": [["status": 401, "body": #"{"error": "bad token"}"#], ["status": 401, "body": #"{"error": "bad token"}"#],
                                           ["status": 401, "body": #"{"error": "bad token"}"#], ["body": "[]"]],
        ])
        defer { api.stop() }
        let (watch, url) = try await Self.watch(try Self.config(feed: api.base, hook: nil, extra: #"source_down_after: "2s","#))
        defer { watch.signal(SIGTERM) }
        #expect(try await eventually(timeout: 10) { try await Self.get(url + "/-/healthy").status == 200 })
        // Down: still ready (it polled, and fails where it shows), and says which source.
        var reason = ""
        let down = try await eventually(timeout: 30) {
            let response = try await Self.get(url + "/-/ready")
            reason = String(decoding: response.body, as: UTF8.self)
            return response.status == 200 && reason.contains("source down: feed")
        }
        #expect(down, "ready said: \(reason); \(watch.stderr)")
        // Back: ready, nothing down.
        let back = try await eventually(timeout: 60) {
            let response = try await Self.get(url + "/-/ready")
            return response.status == 200 && String(decoding: response.body, as: UTF8.self) == "ready\n"
        }
        #expect(back, "\(watch.stderr)")
        let metrics = try await Self.get(url + "/metrics")
        #expect(metrics.status == 200 && metrics.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8")
        // Prometheus' own parser, reading what it scrapes over HTTP.
        let script = """
        import json, sys, urllib.request
        from prometheus_client.parser import text_string_to_metric_families
        text = urllib.request.urlopen(sys.argv[1] + '/metrics').read().decode()
        families = {f.name: {s.name: s.value for s in f.samples} for f in text_string_to_metric_families(text)}
        print(json.dumps(families))
        """
        let parsed = try await runProgram("/usr/bin/python3", ["-c", script, url])
        #expect(parsed.status == 0, "\(parsed.err)")
        let families = try JSONValue.parse(Data(parsed.out.utf8))
        #expect(families["foreshock_polls"]?["foreshock_polls_total"]?.doubleValue ?? 0 >= 1, "\(parsed.out.prefix(400))")
        #expect(families["foreshock_source_up"] != nil && families["foreshock_posts_tracked"] != nil && families["foreshock_poll_errors"] != nil)
    }

    @Test("A remote silence add --url holds back a firing alert; without the token, or with a wrong one, 401 and nothing changes")
    func remoteSilence() async throws {
        // 30 polls, a second apart, before the post crosses: time for the five commands below
        // on a loaded machine (12 were not, and the alert fired before the silence was added).
        let api = try await Self.feed(Array(repeating: 5, count: 30) + [500])
        defer { api.stop() }
        let hook = try await FixtureServer.start("http_server.py", ["--script", try NotifierFixtures.script(["/hook": #"[{"status": 200}]"#])])
        defer { hook.stop() }
        let (watch, url) = try await Self.watch(try Self.config(feed: api.base, hook: hook.base))
        defer { watch.signal(SIGTERM) }
        let add = ["silence", "add", "rule=big", "--for", "1h", "--comment", "on it", "--url", url]
        let anonymous = await runForeshock(add)
        #expect(anonymous.0 == .failure && anonymous.err.contains("refused: a change needs Authorization: Bearer")
                && anonymous.err.contains("(set FORESHOCK_TOKEN to the watch's web.token)"), "\(anonymous.err)")
        let wrong = await runForeshock(add, environment: ["FORESHOCK_TOKEN": "not-the-token-at-all"])
        #expect(wrong.0 == .failure && wrong.err.contains("(FORESHOCK_TOKEN is set, but not to the watch's web.token)"), "\(wrong.err)")
        #expect(await runForeshock(["silence", "list", "--url", url]).out.hasPrefix("no silences at \(url)"), "nothing changed")
        let typo = await runForeshock(["silence", "add", "rule=bgi", "--for", "1h", "--url", url], environment: ["FORESHOCK_TOKEN": Self.token])
        #expect(typo.0 == .usage && typo.err.contains("this watch has no rule \"bgi\""), "\(typo.err)")
        let added = await runForeshock(add, environment: ["FORESHOCK_TOKEN": Self.token])
        #expect(added.0 == .success && added.out.hasPrefix("s1 silences rule=big until "), "\(added.err)")
        // The post crosses the threshold: the alert fires, and is held back.
        let firing = try await eventually(timeout: 60) {
            let alerts = String(decoding: try await Self.get(url + "/api/v1/alerts").body, as: UTF8.self)
            return alerts.contains("\"rule\":\"big\"") && alerts.contains("silence s1")
        }
        #expect(firing, "\(watch.stderr)")
        try await Task.sleep(nanoseconds: 2_000_000_000)
        #expect(try await NotifierFixtures.requests(hook, path: "/hook").isEmpty, "a silenced alert reached the sink")
        #expect(watch.stderr.contains("msg=\"notification silenced\""))
        let status = await runForeshock(["status", "--url", url])
        #expect(status.0 == .success && status.out.contains("held by silence s1") && status.out.contains("Silences: s1 until"), "\(status.out)")
        // Expired through the API: kept on record.
        #expect(await runForeshock(["silence", "expire", "s1", "--url", url], environment: ["FORESHOCK_TOKEN": Self.token]).0 == .success)
        #expect(await runForeshock(["silence", "list", "--expired", "--url", url]).out.contains("s1  rule=big  ended "))
        // The alert still fires: with the silence over, the receivers hear of it now, not at
        // the next repeat hours later; as the page they never had, with the post's numbers now.
        let told = try await eventually(timeout: 20) { try await !NotifierFixtures.requests(hook, path: "/hook").isEmpty }
        #expect(told, "\(watch.stderr)")
        let alerts = try await NotifierFixtures.requests(hook, path: "/hook").compactMap { $0.json?["alerts"]?.arrayValue?.first }
        #expect(alerts.map { $0["reason"]?.stringValue } == ["started"] && alerts.first?["counts"]?["reshares"]?.intValue == 500, "\(alerts)")
        // Silenced again once delivered: status says it was sent, and that the silence holds
        // what follows, not that the page was held.
        #expect(await runForeshock(add, environment: ["FORESHOCK_TOKEN": Self.token]).0 == .success)
        let heldAfter = await eventually(timeout: 20) {
            await runForeshock(["status", "--url", url]).out.contains("sent to hook; what follows held by silence s2 (on it)")
        }
        let statusAfter = await runForeshock(["status", "--url", url]).out
        #expect(heldAfter, "\(statusAfter)")
        // The silences file damaged under the running watch: the request is refused, and the
        // watch's own log says so too.
        let stateDir = try #require(watch.stderr.split(separator: "\n").first { $0.contains("msg=watching") }?
            .split(separator: " ").first { $0.hasPrefix("state_dir=") }.map { String($0.dropFirst("state_dir=".count)) })
        try "{not json".write(toFile: stateDir + "/silences.json", atomically: true, encoding: .utf8)
        let broken = await runForeshock(add, environment: ["FORESHOCK_TOKEN": Self.token])
        #expect(broken.0 == .failure, "\(broken.err)")
        let logged = await eventually(timeout: 5) { watch.stderr.contains("msg=\"a silence asked for through the web API could not be kept\"") }
        #expect(logged, "\(watch.stderr)")
    }

    @Test("Headless Chromium loads the live page of a watch firing on a hostile post: the alert and the text shown as text, nothing of the post runs, not blank")
    func livePage() async throws {
        // As Mastodon sends it: HTML, the post's own markup as entities (it reaches Foreshock as text).
        let hostile = "<p>&lt;script&gt;document.title='pwned'&lt;/script&gt; {{author}} \u{202E}evil\u{202C} &lt;img src=x onerror=alert(1)&gt; "
            + String(repeating: "long complaint ", count: 7_000) + "</p>"
        let api = try await Self.feed([500], content: hostile, author: "dana\u{202E}live.com")
        defer { api.stop() }
        let (watch, url) = try await Self.watch(try Self.config(feed: api.base, hook: nil))
        defer { watch.signal(SIGTERM) }
        let firing = try await eventually(timeout: 30) { String(decoding: try await Self.get(url + "/api/v1/alerts").body, as: UTF8.self).contains("\"rule\":\"big\"") }
        #expect(firing, "\(watch.stderr)")
        let page = try await Self.get(url + "/")
        #expect(page.headers["Content-Security-Policy"]?.contains("script-src 'sha256-") == true)
        let dom = try await offCooperativePool { try Browser.dumpDOM(url + "/") }
        #expect(dom.contains("<title>Foreshock</title>"), "the post's script ran or the page did not load: \(dom.prefix(300))")
        #expect(dom.contains("<td class=\"critical\">critical</td><td>big</td><td class=\"said\">"), "\(dom.prefix(2000))")
        // A post of one long word wraps in its cell instead of pushing Why, Since and the Silence
        // button off the page for every alert.
        #expect(dom.contains("td.said{overflow-wrap:anywhere"))
        #expect(dom.contains("&lt;script&gt;document.title='pwned'&lt;/script&gt;"), "the hostile text is not shown as text")
        #expect(!dom.contains("<img src=\"x\"") && !dom.contains("\u{202E}"))
        let json = try JSONValue.parse(try await Self.get(url + "/api/v1/status").body)
        #expect(json["alerts"]?.arrayValue?.first?["text"]?.stringValue?.hasPrefix("<script>document.title") == true, "valid JSON carrying the text as it is")
        // The author as a name, without the override that would turn what follows it around.
        #expect(json["alerts"]?.arrayValue?.first?["author"]?.stringValue == "danalive.com")
        #expect(json["hottest"]?.arrayValue?.first?["author"]?.stringValue == "danalive.com")
        // Redrawn by its script from the status JSON (every 5 s): still no override, the text
        // still finds its own direction, the prediction still grouped.
        let redrawn = try await offCooperativePool { try Browser.dumpDOM(url + "/", waiting: 8000) }
        #expect(!redrawn.contains("\u{202E}") && redrawn.contains("<p class=\"text\" dir=\"auto\">"), "\(redrawn.prefix(3000))")
        #expect(redrawn.contains("<td class=\"said\"><a href="), "\(redrawn.prefix(3000))")
        let png = try makeTemporaryDirectory().appendingPathComponent("live.png").path
        try await offCooperativePool { try Browser.screenshot(url + "/", to: png) }
        let stats = try await offCooperativePool { try pngStats(png) }
        #expect(stats.nonwhite > 0.01 && stats.colours > 20, "\(stats)")
        // The Silence button posts the matchers the server wrote into it (the browser's script
        // sends JSON.parse of the attribute): they hold back exactly this alert.
        let html = String(decoding: page.body, as: UTF8.self)
        let attribute = try #require(html.range(of: "data-silence=\"").map { String(html[$0.upperBound...].prefix { $0 != "\"" }) })
        let matchers = HTMLText.plain(attribute)
        #expect(matchers == #"["post=\"feed:p1\""]"#)
        let body = Data(#"{"matchers": \#(matchers), "for": "2h", "comment": "from the live page"}"#.utf8)
        let posted = try await HTTPClient().send(HTTPRequest(method: "POST", url: url + "/api/v1/silences",
                                                             headers: HTTPHeaders([("Authorization", "Bearer " + Self.token), ("Content-Type", "application/json")]), body: body))
        #expect(posted.status == 200 || posted.status == 201, "\(String(decoding: posted.body, as: UTF8.self))")
        let held = try await eventually(timeout: 10) { String(decoding: try await Self.get(url + "/api/v1/alerts").body, as: UTF8.self).contains("silence s1") }
        #expect(held, "the button's matchers did not hold the alert")
        // The post's own page, linked from the alert, with its curve.
        let post = try await Self.get(url + "/posts/feed/p1")
        #expect(post.status == 200 && String(decoding: post.body, as: UTF8.self).contains("<svg class=\"chart\""))
        #expect(try await Self.get(url + "/posts/feed/p1/curve.svg").headers["Content-Type"] == "image/svg+xml")
    }

    @Test("Hostile requests (traversal, a 1 MB header, 10,000 connections, a byte a second) get nothing, and the watch keeps polling and alerting on schedule in bounded memory")
    func hostileRequests() async throws {
        let api = try await Self.feed(Array(repeating: 5, count: 6) + [500])
        defer { api.stop() }
        let hook = try await FixtureServer.start("http_server.py", ["--script", try NotifierFixtures.script(["/hook": #"[{"status": 200}]"#])])
        defer { hook.stop() }
        let (watch, url) = try await Self.watch(try Self.config(feed: api.base, hook: hook.base))
        defer { watch.signal(SIGTERM) }
        let port = Int(url.split(separator: ":").last ?? "0") ?? 0
        let before = try await api.requests(to: "/api/v1/statuses").count
        let began = Date()
        for path in ["/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/posts/../../../etc/passwd", "/api/v1/../../etc/passwd", "/static/..%2f..%2fetc%2fpasswd"] {
            let response = try await Self.get(url + path)
            #expect(response.status == 404 && !String(decoding: response.body, as: UTF8.self).contains("root:"), "\(path): \(response.status)")
        }
        var post = HTTPRequest(url: url + "/metrics")
        post.method = "POST"
        #expect(try await HTTPClient().send(post).status == 405)
        let abuse = try await offCooperativePool { () -> (big: String, slow: Double) in
            let big = HostileClient.raw(port, Array(("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "b", count: 1 << 20) + "\r\n\r\n").utf8)).answer
            HostileClient.connections(port, total: 10_000, atOnce: 200)
            let slow = HostileClient.raw(port, Array("GET / HTTP/1.1\r\nHost: x\r\nX-Drip: ".utf8) + Array(repeating: 0x61, count: 60), pause: 1, timeout: 60).closedAfter
            return (big, slow)
        }
        #expect(!abuse.big.contains("<title>Foreshock"), "the 1 MB header was answered as a request")
        #expect(abuse.slow < 45, "the slow client was cut off after \(abuse.slow) s")
        // Meanwhile: polled about once a second, and the alert went out.
        let elapsed = Date().timeIntervalSince(began)
        let polls = try await api.requests(to: "/api/v1/statuses").count - before
        #expect(Double(polls) >= elapsed * 0.5, "\(polls) polls in \(Int(elapsed)) s")
        #expect(try await NotifierFixtures.requests(hook, path: "/hook").contains { $0.json?["alerts"]?.arrayValue?.first?["alert_key"]?.stringValue == "feed:p1" },
                "\(watch.stderr)")
        #expect(await eventually(timeout: 5) { (try? await Self.get(url + "/-/healthy").status) == 200 })
        let peak = watch.peakResidentBytes ?? 0
        #expect(peak < 300 << 20, "peak resident memory \(peak >> 20) MB")
    }
}
