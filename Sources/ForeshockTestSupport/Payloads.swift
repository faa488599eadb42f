import Foundation
import ForeshockTransport
import ForeshockConfig
import ForeshockFeeds

/// A recorded payload from `fixtures/payloads/`.
package func payload(_ path: String) throws -> Data {
    try Data(contentsOf: repositoryRoot.appendingPathComponent("fixtures/payloads/\(path)"))
}

package func payloadPath(_ path: String) -> String {
    repositoryRoot.appendingPathComponent("fixtures/payloads/\(path)").path
}

/// A source of `kind` for tests, pointed at `base`.
package func testSource(_ kind: SourceConfig.Kind, name: String? = nil, query: String = "acme", base: String? = nil) -> SourceConfig {
    var source = SourceConfig(name: name ?? kind.rawValue, kind: kind, query: query, baseURL: base)
    source.interval = 1
    source.timeout = 10
    return source
}

/// Parses a payload with a kind's adapter.
package func parse(_ kind: SourceConfig.Kind, _ path: String) throws -> [Mention] {
    try testSource(kind).makeFeed().parseMentions(try payload(path)).mentions
}

/// The real Mastodon status from the hashtag recording, with its id, time and counts changed.
package func mastodonStatus(id: String, createdAt: String = "2026-11-24T08:00:00.000Z", reblogs: Int = 0, replies: Int? = nil, author: String = "mastodonpy_test_2",
                    inReplyTo: String? = nil, content: String? = nil) throws -> String {
    let array = try JSONSerialization.jsonObject(with: try payload("mastodon/timelines_tag_hoot.json")) as! [[String: Any]]
    var status = array[0]
    status["id"] = id
    status["created_at"] = createdAt
    status["reblogs_count"] = reblogs
    if let replies { status["replies_count"] = replies }
    status["in_reply_to_id"] = inReplyTo ?? NSNull()
    if let content { status["content"] = content }
    var account = status["account"] as! [String: Any]
    account["acct"] = author
    status["account"] = account
    return String(decoding: try JSONSerialization.data(withJSONObject: status), as: UTF8.self)
}

/// A scripted API on the loopback server: each path answers with its steps in turn, the last repeating.
package final class ScriptedAPI: @unchecked Sendable {
    // @unchecked Sendable: both properties are set in init and never mutated.
    package let server: FixtureServer
    package let directory: URL

    /// - Parameter script: path → steps (`status`, `headers`, `headers_file`, `body`, `body_file`, `delay`, `etag`).
    package init(_ script: [String: [[String: Any]]]) async throws {
        directory = try makeTemporaryDirectory()
        let file = directory.appendingPathComponent("script.json")
        try JSONSerialization.data(withJSONObject: script).write(to: file)
        server = try await FixtureServer.start("http_server.py", ["--script", file.path])
    }

    package var base: String { server.base }

    /// The requests the server saw for a path (query included), in order.
    package func requests(to path: String) async throws -> [(path: String, headers: [String: String])] {
        let data = try await HTTPClient().get("\(base)/__requests").body
        let all = try JSONSerialization.jsonObject(with: data) as! [[String: Any]]
        return all.compactMap { request in
            let full = request["path"] as! String
            guard full.split(separator: "?").first.map(String.init) == path else { return nil }
            return (full, request["headers"] as! [String: String])
        }
    }

    package func stop() { server.stop() }
}
