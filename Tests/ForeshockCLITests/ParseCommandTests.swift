import Foundation
import Testing
@testable import ForeshockSupport
@testable import ForeshockTestSupport

@Suite("foreshock parse")
struct ParseCommandTests {
    @Test("Every recorded payload maps, one JSON object per mention with exactly the documented keys",
          arguments: [("mastodon", "mastodon/timelines_tag_hoot.json", 1), ("mastodon", "mastodon/statuses_reblog_mastodonpy.json", 2),
                      ("bluesky", "bluesky/searchPosts_atat_postviews.json", 7), ("reddit", "reddit/r_askreddit_new_listing_2016.json", 100),
                      ("hackernews", "hackernews/search_by_date_fraction.json", 4), ("x", "x/tweets_lookup_v2_expanded_takke.json", 1)])
    func payloads(kind: String, file: String, count: Int) async throws {
        let (status, out, err) = await runForeshock(["parse", "--source", kind, payloadPath(file)])
        #expect(status == .success, "\(err)")
        let lines = out.split(separator: "\n")
        #expect(lines.count == count)
        let keys = ["source", "id", "url", "author", "author_followers", "created_at", "reshares", "replies", "likes", "quotes",
                    "reply_to", "reshare_of", "quote_of", "lang", "text"]
        for line in lines {
            let object = try #require(try JSONValue.parse(Data(line.utf8)).objectValue)
            #expect(Set(object.keys) == Set(keys))
            #expect(object["source"]?.stringValue == kind)
            let created = try #require(object["created_at"]?.stringValue)
            #expect(created.hasSuffix("Z") && Timestamp.parse(created) != nil)
        }
    }

    @Test("A file that is not a response of that kind: exit 1, one line saying why")
    func wrongKind() async throws {
        let (status, out, err) = await runForeshock(["parse", "--source", "reddit", payloadPath("x/tweets_lookup_v2_expanded_takke.json")])
        #expect(status == .failure)
        #expect(out.isEmpty)
        #expect(err.split(separator: "\n").count == 1)
        #expect(err.contains("is not a reddit response: expected a Listing"))
        let html = try writeTemporaryFile("<html><body>Rate limited</body></html>", name: "page.html")
        let (htmlStatus, _, htmlErr) = await runForeshock(["parse", "--source", "mastodon", html])
        #expect(htmlStatus == .failure)
        #expect(htmlErr.contains("got an HTML page instead of JSON"))
        // A plain-text answer is said in its own words (its first line, control characters out).
        let text = try writeTemporaryFile("Rate limit exceeded\u{1B}[31m, try later\nsecond line", name: "limited.txt")
        let (textStatus, _, textErr) = await runForeshock(["parse", "--source", "x", text])
        #expect(textStatus == .failure && textErr.hasSuffix("got text instead of JSON: \"Rate limit exceeded[31m, try later\"\n"), "\(textErr)")
        // After blank lines, starting with digits, or longer than the line a log gives it (cut, and said to be).
        let envoy = "upstream connect error or disconnect/reset before headers. reset reason: connection failure, transport failure reason: delayed connect error: 111"
        for (body, said) in [("\n\n404 page not found\n", "\"404 page not found\""), (envoy, "\"" + envoy.prefix(100))] {
            let file = try writeTemporaryFile(body, name: "answer.txt")
            let (status, _, err) = await runForeshock(["parse", "--source", "reddit", file])
            #expect(status == .failure && err.contains("got text instead of JSON: " + said) && err.split(separator: "\n").count == 1, "\(err)")
            #expect(body != envoy || err.hasSuffix("…\"\n"), "\(err)")
        }
        let (missing, _, missingErr) = await runForeshock(["parse", "--source", "mastodon", "/nonexistent/file.json"])
        #expect(missing == .failure && missingErr.contains("cannot read /nonexistent/file.json"))
        let (usage, _, usageErr) = await runForeshock(["parse", "--source", "mastadon", html])
        #expect(usage == .usage && usageErr.contains("Did you mean 'mastodon'?"))
    }

    @Test("A json source's mapping that finds no id: exit 1 when it reads nothing, a warning when it reads some; one line each")
    func unmappedIDs() async throws {
        let config = try writeTemporaryFile(#"{ sources: [{ name: "feed", kind: "json", url: "http://127.0.0.1:9/x", items: "posts", fields: { id: "post_id" } }] }"#)
        let none = try writeTemporaryFile(#"{"posts": [{"id": 1}, {"id": 2}]}"#, name: "none.json")
        let (failed, out, err) = await runForeshock(["parse", "--source", "feed", "--config", config, none])
        #expect(failed == .failure && out.isEmpty && err.split(separator: "\n").count == 1, "\(err)")
        #expect(err.contains("2 of 2 items") && err.contains("\"post_id\""), "\(err)")
        let some = try writeTemporaryFile(#"{"posts": [{"post_id": "a"}, {"id": 2}]}"#, name: "some.json")
        let (read, someOut, someErr) = await runForeshock(["parse", "--source", "feed", "--config", config, some])
        #expect(read == .success && someOut.split(separator: "\n").count == 1 && someErr.split(separator: "\n").count == 1 && someErr.contains("1 of 2 items"), "\(someErr)")
        let fine = try writeTemporaryFile(#"{"posts": [{"post_id": "a"}]}"#, name: "fine.json")
        let (ok, _, fineErr) = await runForeshock(["parse", "--source", "feed", "--config", config, fine])
        #expect(ok == .success && fineErr.isEmpty)
    }

    @Test("A json source's mapping: an items path not in the file is the mapping's fault, said so; a field whose values it cannot read is said, field by field, and the posts still printed")
    func mappingMisfits() async throws {
        let config = try writeTemporaryFile(#"{ sources: [{ name: "feed", kind: "json", url: "http://127.0.0.1:9/x", items: "post", fields: { id: "id", created_at: "at" } }] }"#)
        let file = try writeTemporaryFile(#"{"posts": [{"id": 1, "at": "Fri Jul 12 23:40:37 +0000 2019"}, {"id": 2, "at": "yesterday"}]}"#, name: "posts.json")
        let (status, _, err) = await runForeshock(["parse", "--source", "feed", "--config", config, file])
        #expect(status == .failure && err.contains("does not fit source feed's mapping: no `post` in the response"), "\(err)")
        let fixed = try writeTemporaryFile(#"{ sources: [{ name: "feed", kind: "json", url: "http://127.0.0.1:9/x", items: "posts", fields: { id: "id", created_at: "at" } }] }"#, name: "fixed.json5")
        let (read, out, warned) = await runForeshock(["parse", "--source", "feed", "--config", fixed, file])
        #expect(read == .success && out.split(separator: "\n").count == 2 && out.contains("2019-07-12T23:40:37Z"), "\(out)")
        #expect(warned.split(separator: "\n").count == 1 && warned.contains(#"fields.created_at ("at") held values it cannot be read as in 1 of 2 items (the first: "yesterday")"#), "\(warned)")
    }

    @Test("A json source's mapping whose path names nothing in any item (a misspelt field, a cursor_field that is the answer's, not the items') is said, with what the items have there; a field that is null is not")
    func mappingPathsNamingNothing() async throws {
        let config = try writeTemporaryFile(#"""
            { sources: [{ name: "feed", kind: "json", url: "http://127.0.0.1:9/x", items: "results", cursor_param: "since", cursor_field: "next",
                          fields: { id: "mention_id", reshares: "metrics.share_count", author_followers: "author.followers", quotes: "metrics.quotes", reply_to: "parent" } }] }
            """#, name: "vendor.json5")
        let file = try writeTemporaryFile(#"""
            {"results": [{"mention_id": "1", "metrics": {"shares": 12, "likes": 40, "quotes": null}, "author": {"handle": "dana", "follower_count": 300}},
                         {"mention_id": "2", "metrics": {"shares": 0, "likes": 1, "quotes": null}, "author": {"handle": "pat", "follower_count": 80}}], "next": "abc"}
            """#, name: "vendor.json")
        let (status, out, err) = await runForeshock(["parse", "--source", "feed", "--config", config, file])
        let said = err.split(separator: "\n").map(String.init)
        #expect(status == .success && out.split(separator: "\n").count == 2, "\(out)")
        #expect(said == [#"foreshock parse: fields.author_followers ("author.followers") names nothing in any of the 2 items (author has follower_count, handle); it was left empty."#,
                         #"foreshock parse: cursor_field ("next") names nothing in any of the 2 items (the item has author, mention_id, metrics); no cursor is sent."#,
                         #"foreshock parse: fields.reshares ("metrics.share_count") names nothing in any of the 2 items (metrics has likes, quotes, shares); it was left empty."#], "\(err)")
    }

    @Test("A network's post whose time no format reads, or with no account, is printed with them empty and said once per field, by the API's name (an old post would otherwise look new, unsaid)")
    func networkFieldsMisread() async throws {
        var statuses = try ["1", "2", "3"].map { try JSONSerialization.jsonObject(with: Data(try mastodonStatus(id: $0).utf8)) as! [String: Any] }
        statuses[0]["created_at"] = "2026-12-07 04:00:00 +0000"
        statuses[1]["created_at"] = 1_765_080_000
        statuses[1]["account"] = NSNull()
        let file = try writeTemporaryFile(String(decoding: try JSONSerialization.data(withJSONObject: statuses), as: UTF8.self), name: "odd.json")
        let (status, out, err) = await runForeshock(["parse", "--source", "mastodon", file])
        let lines = out.split(separator: "\n").compactMap { try? JSONValue.parse(Data($0.utf8)) }
        try #require(status == .success && lines.count == statuses.count, "\(out)")
        #expect(lines[0]["created_at"] == .null && lines[1]["author"] == .null && lines[2]["created_at"] != .null, "\(out)")
        let said = err.split(separator: "\n")
        #expect(said.count == 2 && said[0].contains(#"the API's account.acct held values it cannot be read as in 1 of \#(statuses.count) items (the first: null)"#)
                && said[1].contains(#"the API's created_at held values it cannot be read as in 2 of \#(statuses.count) items (the first: "2026-12-07 04:00:00 +0000")"#), "\(err)")
    }

    @Test("An API's answer that lists no posts (a Reddit Listing of subreddits): exit 1, one line saying the items are not posts")
    func noPostsListed() async throws {
        let subreddits = try writeTemporaryFile(#"{"kind": "Listing", "data": {"after": null, "children": [{"kind": "t5", "data": {"id": "2qh1i", "name": "t5_2qh1i", "title": "Ask Reddit...", "created_utc": 1201233135.0}}]}}"#, name: "popular.json")
        let (status, out, err) = await runForeshock(["parse", "--source", "reddit", subreddits])
        #expect(status == .failure && out.isEmpty && err.split(separator: "\n").count == 1, "\(out) \(err)")
        #expect(err.contains("1 of 1 items") && err.contains("are not a reddit post") && !err.contains("fields.id"), "\(err)")
    }
}
