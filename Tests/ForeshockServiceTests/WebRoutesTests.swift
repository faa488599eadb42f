import Foundation
import Synchronization
import Testing
@testable import ForeshockSupport
@testable import ForeshockConfig
@testable import ForeshockCore
@testable import ForeshockService
@testable import ForeshockTestSupport

/// The web server's routes in process, asked on a raw loopback socket byte for byte, so that
/// nothing on the client's side rewrites a path first.
@Suite("The web server's routes")
struct WebRoutesTests {
    static let token = "0123456789abcdef-test-token"

    /// A started server for a watch with sources `feed` and `feeds/acme`, and what it keeps.
    static func server() throws -> (WebServer, Int) {
        var web = WebConfig()
        web.port = 0
        web.token = .literal(token)
        var watch = scoringConfig([rule("big", .critical) { $0.minReshares = 100 }])
        watch.sources = [testSource(.mastodon, name: "feed"), testSource(.json, name: "feeds/acme")]
        watch.web = web
        let server = WebServer(config: web, watch: watch, stateDir: try makeTemporaryDirectory().path, logger: Logger(handler: StreamLogHandler(level: .critical)))
        try server.start()
        return (server, Int(server.localURL.split(separator: ":").last ?? "0") ?? 0)
    }

    /// One request as these bytes: the status line's code and the body.
    static func ask(_ port: Int, _ method: String, _ path: String, body: String? = nil, host: String = "127.0.0.1") async throws -> (status: Int, body: String) {
        var request = "\(method) \(path) HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\nAuthorization: Bearer \(token)\r\n"
        if let body { request += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n" }
        request += "\r\n" + (body ?? "")
        let bytes = Array(request.utf8)
        let answer = try await offCooperativePool { HostileClient.raw(port, bytes).answer }
        let status = Int(answer.split(separator: " ").dropFirst().first ?? "") ?? 0
        return (status, answer.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n"))
    }

    @Test("An encoded NUL or line break in a path is a 400, never a shorter path: /metrics%00.html is not /metrics, DELETE s1%00x ends no silence s1")
    func controlCharactersInPaths() async throws {
        let (server, port) = try Self.server()
        defer { server.stop() }
        #expect(try await Self.ask(port, "POST", "/api/v1/silences", body: #"{"matchers": ["source=feed"], "for": "1h"}"#).status == 201)
        for path in ["/metrics%00.html", "/%00", "/api/v1/status%0A", "/posts/feed/1%00x"] {
            let answer = try await Self.ask(port, "GET", path)
            #expect(answer.status == 400 && answer.body.contains("control character"), "\(path): \(answer)")
        }
        #expect(try await Self.ask(port, "DELETE", "/api/v1/silences/s1%00zzz").status == 400)
        let listed = try JSONValue.parse(Data(try await Self.ask(port, "GET", "/api/v1/silences").body.utf8))
        #expect(listed["silences"]?.arrayValue?.map { [$0["id"]?.stringValue, $0["active"]?.boolValue.map(String.init)] } == [["s1", "true"]])
    }

    @Test("Only an address, localhost or external_url's host is answered (DNS rebinding); a Host header is read whole, not cut down to a part that looks like an address")
    func hostHeaders() async throws {
        let (server, port) = try Self.server()
        defer { server.stop() }
        for host in ["127.0.0.1", "127.0.0.1:\(port)", "localhost", "LOCALHOST:80", "app.localhost:1", "[::1]", "[::1]:\(port)", "10.0.0.7:443"] {
            #expect(try await Self.ask(port, "GET", "/-/healthy", host: host).status == 200, "\(host)")
        }
        for host in ["evil.example", "evil.example:80", "a:b:c", "127.0.0.1:1@evil.example", "127.0.0.1.evil.example", "[::1", "[evil.example]", "[::1]x",
                     "127.0.0.1:abc", "127.0.0.1:123456", "999.1.1.1", "127.1", ":80", "foreshock.example.com"] {
            let answer = try await Self.ask(port, "GET", "/-/healthy", host: host)
            #expect(answer.status == 421 || answer.status == 400, "\(host): \(answer)")
        }
        var web = WebConfig()
        web.externalURL = "https://Foreshock.Example.com"
        var watch = scoringConfig([])
        watch.web = web
        server.reconfigure(watch)
        #expect(try await Self.ask(port, "GET", "/-/healthy", host: "foreshock.example.com").status == 200)
        #expect(try await Self.ask(port, "GET", "/-/healthy", host: "foreshock.example.com.evil.example").status == 421)
    }

    @Test("A reload names only what waits for the next start (the address, the connection limits): a new token or external_url takes effect now and is not said to wait")
    func reloadSaysWhatWaits() throws {
        let lines = Mutex<[String]>([])
        var web = WebConfig()
        web.port = 0
        var watch = scoringConfig([])
        watch.web = web
        let server = WebServer(config: web, watch: watch, stateDir: try makeTemporaryDirectory().path,
                               logger: Logger(handler: StreamLogHandler(level: .warning, format: .logfmt) { line in lines.withLock { $0.append(line) } }))
        web.externalURL = "https://foreshock.example.com"
        web.token = .literal(Self.token)
        watch.web = web
        server.reconfigure(watch)
        #expect(lines.withLock { $0 }.isEmpty, "\(lines.withLock { $0 })")
        web.port = 9999
        web.idleTimeout = 20
        watch.web = web
        server.reconfigure(watch)
        let said = lines.withLock { $0 }
        #expect(said.count == 1 && said[0].contains(#"msg="web.listen, web.idle_timeout change at the next start""#) && said[0].contains("configured=127.0.0.1:9999"), "\(said)")
    }

    @Test("HTTP/1.1 without a Host, or with two, is a 400 (RFC 9112 §3.2), whichever comes first; HTTP/1.0 without one is answered; two Content-Lengths that differ are a 400")
    func hostHeaderCount() async throws {
        let (server, port) = try Self.server()
        defer { server.stop() }
        func raw(_ text: String) async throws -> String {
            try await offCooperativePool { HostileClient.raw(port, Array(text.utf8)).answer }
        }
        #expect(try await raw("GET /-/healthy HTTP/1.1\r\nConnection: close\r\n\r\n").hasPrefix("HTTP/1.1 400"))
        for hosts in [("127.0.0.1", "evil.example"), ("evil.example", "127.0.0.1"), ("127.0.0.1", "127.0.0.1")] {
            let answer = try await raw("GET /api/v1/status HTTP/1.1\r\nHost: \(hosts.0)\r\nHost: \(hosts.1)\r\nConnection: close\r\n\r\n")
            #expect(answer.hasPrefix("HTTP/1.1 400") && answer.contains(#"{"error":"more than one Host header"}"#), "\(hosts): \(answer)")
        }
        #expect(try await raw("GET /-/healthy HTTP/1.0\r\n\r\n").contains(" 200 "))
        // Two Content-Lengths that differ: where the body ends is in doubt (RFC 9112 §6.3); two that agree are one.
        let body = #"{"matchers":["rule=going-viral"],"for":"1h","comment":"x"}"#
        let differ = try await raw("POST /api/v1/silences HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(body.utf8.count)\r\nContent-Length: 3\r\nConnection: close\r\n\r\n\(body)")
        #expect(differ.hasPrefix("HTTP/1.1 400") && differ.contains(#"{"error":"Content-Length headers that differ"}"#), "\(differ)")
        let agree = try await raw("GET /-/healthy HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        #expect(agree.contains(" 200 "), "\(agree)")
        // The shorter length first, a request hidden in the body, the connection kept: one answer, a 400, and the connection closed.
        let inner = "GET /-/healthy HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        let smuggled = try await raw("POST /api/v1/silences HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nContent-Length: \(inner.utf8.count)\r\n\r\n\(inner)")
        #expect(smuggled.hasPrefix("HTTP/1.1 400") && smuggled.components(separatedBy: "HTTP/1.1 ").count == 2, "\(smuggled)")
    }

    @Test("Every answer under /api/ is JSON, a 405 or a 421 too; the Allow list and the message name the same methods")
    func apiErrorsAreJSON() async throws {
        let (server, port) = try Self.server()
        defer { server.stop() }
        for (method, path) in [("POST", "/api/v1/status"), ("POST", "/api/v1/alerts"), ("DELETE", "/api/v1/status"), ("PUT", "/api/v1/silences")] {
            let answer = try await Self.ask(port, method, path)
            #expect(answer.status == 405 && (try? JSONValue.parse(Data(answer.body.utf8)))?["error"]?.stringValue?.contains("HEAD)") == true, "\(method) \(path): \(answer)")
        }
        let misdirected = try await Self.ask(port, "GET", "/api/v1/status", host: "evil.example")
        #expect(misdirected.status == 421 && (try? JSONValue.parse(Data(misdirected.body.utf8)))?["error"] != nil, "\(misdirected)")
        #expect(try await Self.ask(port, "GET", "/", host: "evil.example").body.hasPrefix("this server answers"))
    }

    @Test("A silence body with a key it does not read, both for and until, or a value of the wrong type is a 400 naming it; the scheme bearer is read in any case")
    func silenceBodies() async throws {
        let (server, port) = try Self.server()
        defer { server.stop() }
        for (body, said) in [(#"{"matchers": ["source=feed"], "for": "1h", "until": "2099-01-01T00:00:00Z"}"#, "not both"),
                             (#"{"matchers": ["source=feed"], "for": "1h", "extra": 1}"#, #"unknown key \"extra\""#),
                             (#"{"matchers": ["source=feed"], "for": "1h", "comment": 5}"#, #"\"comment\" is a string, not a number"#),
                             (#"{"matchers": ["source=feed"], "for": 1}"#, #"\"for\" is a string, not a number"#),
                             (#"{"matchers": "source=feed", "for": "1h"}"#, #"\"matchers\" is a list of strings"#),
                             (#"{"matchers": ["post=feed:1"], "matchers": ["source=feed"], "for": "1h"}"#, #"\"matchers\" is given twice"#),
                             (#"{"matchers": ["source=feed"], "m\u0061tchers": ["rule=big"], "for": "1h"}"#, #"\"matchers\" is given twice"#)] {
            let answer = try await Self.ask(port, "POST", "/api/v1/silences", body: body)
            #expect(answer.status == 400 && answer.body.contains(said), "\(body): \(answer)")
        }
        // A key set to null is left out, as in the config.
        #expect(try await Self.ask(port, "POST", "/api/v1/silences", body: #"{"matchers": ["source=feed"], "for": "2h", "until": null, "comment": null}"#).status == 201)
        let lower = "POST /api/v1/silences HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: bearer \(Self.token)\r\nContent-Length: 42\r\n\r\n" + #"{"matchers": ["source=feed"], "for": "1h"}"#
        #expect(try await offCooperativePool { HostileClient.raw(port, Array(lower.utf8)).answer }.hasPrefix("HTTP/1.1 201"))
        let wrong = lower.replacingOccurrences(of: Self.token, with: Self.token.uppercased())
        #expect(try await offCooperativePool { HostileClient.raw(port, Array(wrong.utf8)).answer }.hasPrefix("HTTP/1.1 401"))
    }

    @Test("A post of a source named with a slash is reached; one of a source the watch does not have is not asked for")
    func sourcesWithSlashes() async throws {
        let (server, port) = try Self.server()
        defer { server.stop() }
        let slashed = try await Self.ask(port, "GET", "/api/v1/posts/feeds%2Facme/a%2Fb")
        #expect(slashed.status == 404 && slashed.body.contains("feeds/acme:a/b is not followed"), "\(slashed)")
        #expect(server.state.wanted.contains(PostKey(source: "feeds/acme", id: "a/b")))
        let unknown = try await Self.ask(port, "GET", "/api/v1/posts/nosuch/1")
        #expect(unknown.status == 404 && unknown.body.contains("no post of a configured source"), "\(unknown)")
        #expect(try await Self.ask(port, "GET", "/posts/nosuch/1").status == 404)
        #expect(server.state.wanted == [PostKey(source: "feeds/acme", id: "a/b")])
        #expect(WebPath.post(source: "feed", id: "..") == "/posts/feed/%2E%2E")
    }

    @Test("A silence past a year and a day is refused with a 400, however far: it never reaches the file, and ids are never reused")
    func silenceBounds() async throws {
        let (server, port) = try Self.server()
        defer { server.stop() }
        let far = Timestamp.format(Date().addingTimeInterval(2 * 366 * 86400))
        for body in [#"{"matchers": ["source=feed"], "for": "99999999999999999999999999h"}"#, #"{"matchers": ["source=feed"], "for": "367d"}"#,
                     #"{"matchers": ["source=feed"], "until": "\#(far)"}"#, #"{"matchers": ["source=feed"], "for": "1e999h"}"#] {
            let answer = try await Self.ask(port, "POST", "/api/v1/silences", body: body)
            #expect(answer.status == 400, "\(body): \(answer)")
        }
        let kept = try await Self.ask(port, "POST", "/api/v1/silences", body: #"{"matchers": ["source=feed"], "for": "366d"}"#)
        #expect(kept.status == 201 && kept.body.contains(#""id":"s1""#), "\(kept)")
    }

    @Test("A post followed late (hot only now, or after a restart) has its curve from when it was posted, its counts as they were then")
    func curveDrawnIn() throws {
        let cascade = try loadCascade("seismic_tweet.csv")
        let key = PostKey(source: "x", id: "t"), start = 1_000_000.0, now = start + 3600
        var observations: [Observation] = [.post(key: key, time: start, createdAt: start, author: "dana", followers: cascade[0].followers, text: "hi", url: nil)]
        for share in cascade.dropFirst() where share.time <= 3600 { observations.append(.reshare(key: key, time: start + share.time, user: nil, followers: share.followers)) }
        let engine = ScoringEngine(config: scoringConfig([]), shards: 1)
        _ = engine.ingest(observations)
        let state = WebState()
        let status = WatchStatus(writtenAt: "", pid: 1, startedAt: "", running: true, sources: [], hottest: [], alerts: [], outbox: [], delivered: [:], dead: [:])
        let look = WebState.Snapshot(takenAt: Date(timeIntervalSince1970: now), status: status, statusJSON: Data(), metrics: "", unpolled: [], down: [])
        state.publish(look, features: [try #require(engine.features(key, at: now))], hot: [key], nStar: 100)
        #expect(state.followed(key)?.points.count == 1, "followed from this look on")
        let unfilled = state.unfilled(limit: 20)
        #expect(unfilled.map(\.key) == [key] && unfilled[0].times.allSatisfy { $0 > start && $0 < now })
        state.backfill(key, with: engine.features(key, at: unfilled[0].times), nStar: 100)
        let points = try #require(state.followed(key)?.points)
        #expect(points.count > 10 && points.first!.time <= start + 120 && points.last!.time == now, "\(points.map(\.time))")
        // As the core keeps them: an hour on, its older reshares are in bins of 1% of the age.
        func count(by time: Double) -> Int { cascade.dropFirst().filter { start + $0.time <= time }.count }
        for point in points {
            #expect((count(by: point.time - 36)...count(by: point.time + 36)).contains(point.reshares), "at \(point.time - start) s: \(point.reshares)")
        }
        #expect(zip(points, points.dropFirst()).allSatisfy { $0.time < $1.time && $0.reshares <= $1.reshares })
        #expect(points.dropLast().contains { $0.predicted != nil && $0.bandLow != nil }, "each point with its prediction then")
        #expect(state.unfilled(limit: 20).isEmpty, "drawn in once")
    }

    @Test("Asks for posts nobody tracks give way to a new one when full, oldest first")
    func asksGiveWay() {
        let state = WebState(capacity: 3)
        for index in 0..<10 { state.ask(PostKey(source: "feed", id: "junk\(index)"), now: Date(timeIntervalSince1970: Double(index))) }
        state.ask(PostKey(source: "feed", id: "real"), now: Date(timeIntervalSince1970: 100))
        #expect(Set(state.wanted) == [PostKey(source: "feed", id: "junk8"), PostKey(source: "feed", id: "junk9"), PostKey(source: "feed", id: "real")])
    }
}
