import Foundation
import ForeshockSupport
import ForeshockTransport
import ForeshockConfig
import ForeshockCore
import ForeshockDelivery
import ForeshockCLI

/// What the notifier's tests and the watch process's share: a config over given sinks, a
/// notifier that retries fast, a sample alert, and the requests a fixture server received.
package enum NotifierFixtures {
    package static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    /// A config with the given sinks (JSON5 text) and rules that send to all of them.
    package static func config(sinks: String, extra: String = "") throws -> Config {
        let path = try writeTemporaryFile("""
        { sources: [{ name: "hn", kind: "hackernews", query: "acme" }],
          sinks: [\(sinks)],
          rules: [{ name: "going-viral", severity: "critical", when: { min_reshares: 10 } }],
          \(extra) }
        """)
        return try ConfigLoader.load(path: path, environment: ["WHSEC": secret, "PDKEY": "R0UT1NG"]).0
    }

    /// What the test notifiers logged (warnings and up), shown when a delivery expectation fails.
    package static let log = CapturedTerminal()

    /// - Parameter previous: the notifier a reload's replaces (its outbox and log shared).
    package static func notifier(_ config: Config, stateDir: String? = nil, rateWindow: Double = 60, policy: RetryPolicy? = nil, sharing previous: Notifier? = nil) throws -> Notifier {
        let handler = StreamLogHandler(level: .warning, format: .logfmt, write: log.terminal.err)
        return try CommandAlerting.notifier(config: config, stateDir: stateDir, terminal: CapturedTerminal().terminal, command: "test",
                                            policy: policy ?? RetryPolicy(initial: 0.2, maximum: 1, rateWindow: rateWindow), logger: Logger(handler: handler), sharing: previous)
    }

    /// The sample alert, taken once: it is stamped with the time it is made, and changes of one
    /// alert made a moment apart must name the same first firing (the mail thread's root).
    static let sample = AlertNotification.sample

    /// The sample alert about post `id`, `after` seconds past the sample's time; a `started`
    /// one may be a warning, so that an escalation can follow it.
    package static func note(_ id: String, reason: AlertNotification.Reason = .started, text: String = "lost my bag", after: Double = 0,
                             severity: Severity? = nil) -> AlertNotification {
        var note = sample
        var post = note.post!
        post.excerpt = text
        note.subject = .post(PostKey(source: "mastodon", id: id), post)
        note.reason = reason
        note.time += after
        if let severity { note.severity = severity }
        return note
    }

    package struct Request {
        package var path: String
        package var headers: [String: String]
        package var body: String
        /// When the server received it (Unix seconds).
        package var at: Double = 0
        package var json: JSONValue? { try? JSONValue.parse(Data(body.utf8)) }
    }

    package static func requests(_ server: FixtureServer, path: String) async throws -> [Request] {
        let response = try await HTTPClient().get(server.base + "/__requests")
        let all = try JSONValue.parse(response.body).arrayValue ?? []
        return all.compactMap { item in
            guard item["path"]?.stringValue?.split(separator: "?", maxSplits: 1).first.map(String.init) == path else { return nil }
            var headers: [String: String] = [:]
            if case .object(let object)? = item["headers"] { for (k, v) in object { headers[k.lowercased()] = v.stringValue } }
            return Request(path: path, headers: headers, body: item["body"]?.stringValue ?? "", at: item["at"]?.doubleValue ?? 0)
        }
    }

    /// The requests the server saw for a path, once there are at least `count` (looking every
    /// 20 ms, at most `tries` times more): what a test waiting for a delivery reads.
    package static func requests(_ server: FixtureServer, path: String, atLeast count: Int, tries: Int = 100) async throws -> [Request] {
        var seen = try await requests(server, path: path)
        for _ in 0..<tries where seen.count < count {
            try await Task.sleep(nanoseconds: 20_000_000)
            seen = try await requests(server, path: path)
        }
        return seen
    }

    package static func script(_ steps: [String: String]) throws -> String {
        try writeTemporaryFile("{" + steps.map { "\"\($0.key)\": \($0.value)" }.joined(separator: ",") + "}", name: "script.json")
    }
}
