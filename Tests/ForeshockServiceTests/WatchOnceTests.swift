import Foundation
import Testing
@testable import ForeshockSupport
@testable import ForeshockTestSupport

@Suite("watch --once polls every kind of feed at once")
struct WatchOnceTests {
    @Test("Six feeds of six kinds, polled concurrently from one loopback server, every source's mentions reported")
    func sixFeeds() async throws {
        let xBody = try String(decoding: payload("x/tweets_lookup_v2_expanded_takke.json"), as: UTF8.self)
            .replacingOccurrences(of: "\"includes\"", with: "\"meta\": {\"newest_id\": \"1284872930841640960\", \"result_count\": 1}, \"includes\"")
        let api = try await ScriptedAPI([
            "/api/v1/timelines/tag/acme": [["body_file": payloadPath("mastodon/timelines_tag_hoot.json"), "headers_file": payloadPath("mastodon/timelines_tag_hoot.json.headers.txt"), "barrier": 6]],
            "/xrpc/app.bsky.feed.searchPosts": [["body_file": payloadPath("bluesky/searchPosts_atat_postviews.json"), "barrier": 6]],
            "/api/v1/access_token": [["body": #"{"access_token": "tok", "expires_in": 3600}"#]],
            "/search": [["body_file": payloadPath("reddit/r_askreddit_new_listing_2016.json"), "barrier": 6]],
            "/api/v1/search_by_date": [["body_file": payloadPath("hackernews/search_by_date_fraction.json"), "barrier": 6]],
            "/2/tweets/search/recent": [["body": xBody, "barrier": 6]],
            "/feed.json": [["body": #"{"items": [{"id": "j1", "text": "acme lost my bag", "who": "dana"}]}"#, "barrier": 6]],
        ])
        defer { api.stop() }
        let config = try writeTemporaryFile("""
        {
          sources: [
            {name: "toots", kind: "mastodon", query: "acme", base_url: "\(api.base)"},
            {name: "sky", kind: "bluesky", query: "acme", base_url: "\(api.base)"},
            {name: "rd", kind: "reddit", query: "acme", base_url: "\(api.base)", client_id_env: "RD_ID", client_secret_env: "RD_SECRET", user_agent: "linux:foreshock-test:1.0"},
            {name: "hn", kind: "hackernews", query: "acme", base_url: "\(api.base)"},
            {name: "tw", kind: "x", query: "acme", base_url: "\(api.base)", token_env: "X_TOKEN"},
            {name: "custom", kind: "json", url: "\(api.base)/feed.json", items: "items", fields: {id: "id", text: "text", author: "who"}},
          ],
        }
        """)
        let (status, out, err) = await runForeshock(["watch", "--config", config, "--once", "--mentions", "jsonl", "--state-dir", try makeTemporaryDirectory().path],
                                                    environment: ["RD_ID": "id", "RD_SECRET": "secret", "X_TOKEN": "xt"])
        #expect(status == .success, "\(err)")
        let lines = out.split(separator: "\n").map(String.init)
        let sources = lines.compactMap { line in (try? JSONValue.parse(Data(line.utf8)))?["source"]?.stringValue }
        #expect(Set(sources) == ["toots", "sky", "rd", "hn", "tw", "custom"])
        #expect(sources.filter { $0 == "rd" }.count == 100)
        #expect(sources.filter { $0 == "sky" }.count == 7)
        #expect(lines.contains { $0.contains(#""id":"j1""#) && $0.contains(#""author":"dana""#) })
        // Each feed's answer was held until all six requests were waiting at once (else 504).
        #expect(!err.contains("504"))
        let x = try await api.requests(to: "/2/tweets/search/recent")
        #expect(x.first?.headers["Authorization"] == "Bearer xt")
    }

    @Test("A failing source makes --once exit 1 with one line naming it; the others still report")
    func oneFails() async throws {
        let api = try await ScriptedAPI([
            "/api/v1/timelines/tag/acme": [["body_file": payloadPath("mastodon/timelines_tag_hoot.json")]],
            "/api/v1/search_by_date": [["status": 503, "body": "down for maintenance"]],
        ])
        defer { api.stop() }
        let config = try writeTemporaryFile("""
        {sources: [{name: "toots", kind: "mastodon", query: "acme", base_url: "\(api.base)"},
                   {name: "hn", kind: "hackernews", query: "acme", base_url: "\(api.base)"}]}
        """)
        let (status, out, err) = await runForeshock(["watch", "--config", config, "--once", "--state-dir", try makeTemporaryDirectory().path])
        #expect(status == .failure)
        #expect(out.contains("[toots] mastodonpy_test_2 post"))
        let errors = err.split(separator: "\n").filter { $0.contains("level=warning") }
        #expect(errors.count == 1)
        #expect(errors.first?.contains("source=hn") == true && errors.first?.contains("HTTP 503") == true)
        // One round does not retry, whatever the poll line's retry_in says: the end says which failed.
        let summary = err.split(separator: "\n").filter { $0.contains("level=error") }
        #expect(summary.count == 1 && summary[0].contains("1 of 2 sources failed") && summary[0].contains("sources=hn"), "\(err)")
    }

    @Test("A look-up after a good poll that fails (fresh counts answering 500) is said in one warning naming it, and status shows it beside the source's ok")
    func lookupFailureSaid() async throws {
        let now = Int(Date().timeIntervalSince1970)
        let hits = #"{"hits":[{"objectID":"901","created_at_i":\#(now - 120),"title":"acme lost my bag","author":"dana","points":3,"num_comments":0}],"nbHits":1,"page":0,"nbPages":1,"hitsPerPage":20}"#
        let api = try await ScriptedAPI([
            "/api/v1/search_by_date": [["body": hits]],
            "/api/v1/items/901": [["status": 500, "body": "internal error"]],
        ])
        defer { api.stop() }
        let config = try writeTemporaryFile("""
        {sources: [{name: "hn", kind: "hackernews", query: "acme", base_url: "\(api.base)"}]}
        """)
        let state = try makeTemporaryDirectory().path
        let (status, _, err) = await runForeshock(["watch", "--config", config, "--once", "--mentions", "none", "--state-dir", state])
        #expect(status == .success, "\(err)")
        #expect(try await api.requests(to: "/api/v1/items/901").count == 1)
        let warnings = err.split(separator: "\n").filter { $0.contains("level=warning") }
        #expect(warnings.count == 1 && warnings[0].contains("source=hn") && warnings[0].contains("fresh counts") && warnings[0].contains("HTTP 500"), "\(err)")
        let (_, shown, _) = await runForeshock(["status", "--state-dir", state])
        let row = shown.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("hn ") }
        #expect(row?.contains("ok; failed") == true && row?.contains("HTTP 500") == true, "\(shown)")
    }

    @Test("An unanswered complaint whose thread could not be read pages, and status shows beside the alert that the brand's answer was not checked")
    func unreadThreadShownInStatus() async throws {
        let now = Int(Date().timeIntervalSince1970)
        let hits = #"{"hits":[{"objectID":"902","created_at_i":\#(now - 7200),"title":"acme lost my bag and nobody answers","story_text":"Worst airline ever, no refund","author":"dana","points":15,"num_comments":0}],"nbHits":1,"page":0,"nbPages":1,"hitsPerPage":20}"#
        let api = try await ScriptedAPI([
            "/api/v1/search_by_date": [["body": hits]],
            "/api/v1/items/902": [["status": 500, "body": "internal error"]],
        ])
        defer { api.stop() }
        let config = try writeTemporaryFile("""
        {sources: [{name: "hn", kind: "hackernews", query: "acme", base_url: "\(api.base)", brand_accounts: ["acme_support"]}],
         rules: [{name: "unanswered", severity: "critical", when: {complaint_score_at_least: 2, unanswered_for_at_least: "1h", min_reshares: 10}}]}
        """)
        let state = try makeTemporaryDirectory().path
        let (status, _, err) = await runForeshock(["watch", "--config", config, "--once", "--mentions", "none", "--state-dir", state])
        #expect(status == .success, "\(err)")
        let (_, shown, _) = await runForeshock(["status", "--state-dir", state, "--format", "json"])
        let alerts = try JSONValue.parse(Data(shown.utf8))["alerts"]?.arrayValue ?? []
        let alert = try #require(alerts.first { $0["rule"]?.stringValue == "unanswered" }, "\(shown)")
        #expect(alert["why"]?.stringValue?.contains("the brand's answer was not checked: its thread could not be read (HTTP 500") == true, "\(alert)")
    }

    @Test("A notification log with lines that cannot be read is said at start, with where the file was copied, not read as ids")
    func damagedNotificationLog() async throws {
        let api = try await ScriptedAPI(["/api/v1/search_by_date": [["body": #"{"hits":[],"nbHits":0,"page":0,"nbPages":0,"hitsPerPage":20}"#]]])
        defer { api.stop() }
        let config = try writeTemporaryFile("""
        {sources: [{name: "hn", kind: "hackernews", query: "acme", base_url: "\(api.base)"}]}
        """)
        let state = try makeTemporaryDirectory().path
        try "\u{7f}ELF\u{01}\u{02}\n{\"n\": \n".write(toFile: state + "/notifications.log", atomically: true, encoding: .utf8)
        let (status, _, err) = await runForeshock(["watch", "--config", config, "--once", "--mentions", "none", "--state-dir", state])
        #expect(status == .success, "\(err)")
        let line = err.split(separator: "\n").first { $0.contains("notification log lines that could not be read") }
        #expect(line?.contains("level=error") == true && line?.contains("count=2") == true && line?.contains("copied_to=\(state)/notifications.log.") == true, "\(err)")
    }

    @Test("--record writes what was observed, and replay reads it back")
    func recordThenReplay() async throws {
        let api = try await ScriptedAPI(["/api/v1/search_by_date": [["body_file": payloadPath("hackernews/search_by_date_fraction.json")]]])
        defer { api.stop() }
        let config = try writeTemporaryFile("""
        {sources: [{name: "hn", kind: "hackernews", query: "vlc", base_url: "\(api.base)"}]}
        """)
        let recording = try makeTemporaryDirectory().appendingPathComponent("traffic.jsonl").path
        let (status, _, err) = await runForeshock(["watch", "--config", config, "--once", "--record", recording, "--mentions", "none", "--state-dir", try makeTemporaryDirectory().path])
        #expect(status == .success, "\(err)")
        let lines = try String(contentsOfFile: recording, encoding: .utf8).split(separator: "\n")
        #expect(lines.filter { $0.contains(#""type":"post""#) }.count == 4)
        #expect(lines.contains { $0.contains(#""id":"7493856""#) && $0.contains(#""source":"hn""#) })
        #expect(lines.contains { $0.contains(#""type":"counts""#) && $0.contains(#""likes":578"#) })
        let (replayed, out, _) = await runForeshock(["replay", recording, "--format", "json"])
        #expect(replayed == .success)
        #expect(out.contains(#""type":"summary","observations":\#(lines.count),"posts":4,"posts_without_line":0,"posts_carried_in":0,"skipped_lines":0"#))
    }
}
