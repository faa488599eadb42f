import Foundation
import Testing
@testable import ForeshockSupport
@testable import ForeshockConfig
@testable import ForeshockFeeds
@testable import ForeshockTestSupport
@testable import ForeshockCore

@Suite("Each adapter maps real payloads to the same Mention")
struct FeedMappingTests {
    @Test("Mastodon hashtag timeline: acct, url, HTML content as text, counts, UTC time")
    func mastodonTimeline() throws {
        let mentions = try parse(.mastodon, "mastodon/timelines_tag_hoot.json")
        #expect(mentions.count == 1)
        let m = try #require(mentions.first)
        #expect(m.id == "117020593741189701")
        #expect(m.author == "mastodonpy_test_2")
        #expect(m.url == "http://localhost:3000/@mastodonpy_test_2/117020593741189701")
        #expect(m.createdAt == "2026-08-01T13:55:55.867Z")
        #expect(m.text == "#hoot (hashtag toot)")
        #expect(m.lang == "ja")
        #expect([m.reshares, m.replies, m.likes, m.quotes] == [0, 0, 0, 0])
        #expect(m.authorFollowers == 0)
    }

    @Test("Mastodon boost: the original first, then the boost with reshare_of")
    func mastodonReblog() throws {
        let mentions = try parse(.mastodon, "mastodon/statuses_reblog_mastodonpy.json")
        #expect(mentions.map(\.id) == ["109440142482846015", "109440142486581428"])
        #expect(mentions[0].reshareOf == nil)
        #expect(mentions[0].text == "Toot!")
        #expect(mentions[0].reshares == 1)
        #expect(mentions[1].reshareOf == "109440142482846015")
        #expect(mentions[1].text == nil)
    }

    @Test("Bluesky postViews: at:// id, bsky.app url, reply parent, quoted record, counts")
    func bluesky() throws {
        let mentions = try parse(.bluesky, "bluesky/searchPosts_atat_postviews.json")
        #expect(mentions.count == 7)
        let reply = try #require(mentions.first)
        #expect(reply.id == "at://did:plc:yf6b2cgjhxo5wevddebvklna/app.bsky.feed.post/3lhmgh4f5es2q")
        #expect(reply.url == "https://bsky.app/profile/xxiainxx.bsky.social/post/3lhmgh4f5es2q")
        #expect(reply.replyTo == "at://did:plc:x2rfmy3ldn2k6d2diyp7ofi2/app.bsky.feed.post/3lhmfcfualc2s")
        #expect(reply.createdAt == "2025-02-07T20:21:22.374Z")
        #expect(reply.lang == "en")
        let quote = try #require(mentions.first { $0.author == "mackuba.eu" })
        #expect(quote.quoteOf == "at://did:plc:7exlcsle4mjfhu3wnhcgizz6/app.bsky.feed.post/3lhljcua7lv2e")
        #expect(quote.replies == 1 && quote.likes == 3)
        // recordWithMedia quotes too.
        #expect(mentions.first { $0.author == "iamkonstantin.eu" }?.quoteOf == "at://did:plc:ab5inzxnpw4j2zvzlxupr5ut/app.bsky.feed.post/3lhnuqw5cms2h")
        #expect(mentions.allSatisfy { $0.authorFollowers == nil })
    }

    @Test("Reddit Listing: id without t3_, permalink, title and selftext, score as likes")
    func reddit() throws {
        let mentions = try parse(.reddit, "reddit/r_askreddit_new_listing_2016.json")
        #expect(mentions.count == 100)
        let first = try #require(mentions.first)
        #expect(first.id == "48fbm9")
        #expect(first.url == "https://www.reddit.com/r/AskReddit/comments/48fbm9/serious_parents_of_reddit_whats_the_biggest_lie/")
        #expect(first.createdAt == "2016-03-01T08:37:38Z")
        #expect(first.replies == 1 && first.likes == 1)
        #expect(first.reshares == 0) // its author's upvote only
        #expect(mentions.compactMap(\.reshares).max() == mentions.compactMap(\.likes).max().map { $0 - 1 })
        #expect(!mentions.contains { $0.id.hasPrefix("t3_") })
        let page = try testSource(.reddit).makeFeed().parseMentions(try payload("reddit/r_askreddit_new_listing_2016.json"))
        #expect(page.newestCursor == "t3_48fbm9")
        #expect(page.nextPage == "t3_48fbm9") // a full page of 100: more may be waiting
    }

    @Test("Reddit link post: the page it shares ends its text; a self post's own permalink, Reddit's image hosts and a javascript: link do not")
    func redditLinkPost() throws {
        let feed = testSource(.reddit).makeFeed()
        // `/comments/:id` starts with the post's own Listing.
        func post(_ file: String) throws -> Mention {
            let listing = try #require(try JSONValue.parse(try payload(file)).arrayValue?.first)
            return try #require(try feed.parseMentions(Data(listing.jsonText.utf8)).mentions.first)
        }
        #expect(try post("reddit/comments_3hahrw_more_praw.json").text == "Ba Dum Tsss\n\nhttp://i.imgur.com/eoF76hj.gifv")
        #expect(try post("reddit/comments_jlbw48_praw.json").text?.contains("http") == false)
        func linked(_ url: String, overridden: String? = nil) throws -> String? {
            let extra = overridden.map { #", "url_overridden_by_dest": "\#($0)""# } ?? ""
            let body = #"{"kind": "Listing", "data": {"children": [{"kind": "t3", "data": {"id": "abc", "name": "t3_abc", "title": "Their support lost my order", "is_self": false, "url": "\#(url)"\#(extra), "created_utc": 1764000000, "score": 3}}]}}"#
            return try feed.parseMentions(Data(body.utf8)).mentions.first?.text
        }
        let text = try #require(try linked("https://www.acme.com/orders/status?id=1"))
        #expect(text == "Their support lost my order\n\nhttps://www.acme.com/orders/status?id=1")
        #expect(ComplaintLexicon(brand: ["acme"]).namesBrand(text))
        #expect(try linked("https://i.redd.it/x1y2.jpg") == "Their support lost my order")
        #expect(try linked("https://www.reddit.com/r/acme/comments/xyz/") == "Their support lost my order")
        #expect(try linked("javascript:alert(1)") == "Their support lost my order")
        #expect(try linked("https://i.redd.it/x1y2.jpg", overridden: "https://acme.com/a") == "Their support lost my order\n\nhttps://acme.com/a")
        // The link before a body, which an alert's excerpt may cut.
        let withBody = #"{"kind": "Listing", "data": {"children": [{"kind": "t3", "data": {"id": "b", "title": "Lost order", "is_self": false, "url": "https://acme.com/o", "selftext": "Three weeks now.", "created_utc": 1764000000}}]}}"#
        #expect(try feed.parseMentions(Data(withBody.utf8)).mentions.first?.text == "Lost order\n\nhttps://acme.com/o\n\nThree weeks now.")
    }

    @Test("Hacker News hits: story title or comment HTML as text, points and comments, points past the submitter's as reshares")
    func hackerNews() throws {
        let mentions = try parse(.hackernews, "hackernews/search_by_date_fraction.json")
        #expect(mentions.map(\.id) == ["7493856", "7205875", "6805807", "6341568"])
        // A story's text ends with the page it is about, where a brand is often named only.
        #expect(mentions[0].text == "Meet the People Taking over Hacker News\n\nhttp://blog.ycombinator.com/meet-the-people-taking-over-hacker-news")
        #expect(mentions[3].text == "YC Will Now Fund Nonprofits Too\n\nhttp://ycombinator.com/np.html")
        #expect(mentions[0].likes == 578 && mentions[0].replies == 290)
        // A story is voted up, not reshared: its points past the submitter's own are how far it
        // spread (a comment's too, where Algolia still gives them, as in 2014).
        #expect(mentions[0].reshares == 577 && mentions[1].reshares == 435)
        let today = try testSource(.hackernews).makeFeed().parseMentions(Data(#"{"hits": [{"objectID": "9", "comment_text": "hi", "points": null, "created_at_i": 1764000000}]}"#.utf8))
        #expect(today.mentions.map(\.reshares) == [nil])
        #expect(mentions[0].url == "https://news.ycombinator.com/item?id=7493856")
        #expect(mentions[0].createdAt == "2014-03-29T20:43:24.000Z")
        #expect(mentions[1].replyTo == "7205759")
        let comment = try #require(mentions[1].text)
        #expect(comment.contains("it's simple to blame VLC. \"Correlation does not mean causation\""))
        #expect(comment.contains("a bit...\nIn this case"))
        #expect(!comment.contains("<") && !comment.contains("&#x27;"))
        let page = try testSource(.hackernews).makeFeed().parseMentions(try payload("hackernews/search_by_date_fraction.json"))
        #expect(page.newestCursor == "1396125804")
        #expect(page.nextPage == "1")
    }

    @Test("X lookup: username and followers from includes, public metrics, x.com url")
    func x() throws {
        let mentions = try parse(.x, "x/tweets_lookup_v2_expanded_takke.json")
        let m = try #require(mentions.first)
        #expect(mentions.count == 1)
        #expect(m.author == "takke" && m.authorFollowers == 1677)
        #expect(m.url == "https://x.com/takke/status/1284872930841640960")
        #expect([m.reshares, m.replies, m.likes, m.quotes] == [2, 3, 5, 1])
        #expect(m.createdAt == "2020-07-19T15:29:13.000Z")
    }

    @Test("X retweet: the original from includes.tweets first, then the retweet")
    func xRetweet() throws {
        let body = """
        {"data":[{"id":"1900000000000000002","text":"RT @takke: hi","author_id":"42","created_at":"2026-11-24T08:00:01.000Z",
          "referenced_tweets":[{"type":"retweeted","id":"1284872930841640960"}],
          "public_metrics":{"retweet_count":2,"reply_count":0,"like_count":0,"quote_count":0}},
         {"id":"1900000000000000003","text":"@takke no","author_id":"42","created_at":"2026-11-24T08:00:02Z",
          "referenced_tweets":[{"type":"replied_to","id":"1284872930841640960"},{"type":"quoted","id":"7"}]}],
         "includes":{"users":[{"id":"8379212","username":"takke","public_metrics":{"followers_count":1677}},
                              {"id":"42","username":"someone","public_metrics":{"followers_count":12}}],
                     "tweets":[{"id":"1284872930841640960","text":"original","author_id":"8379212","created_at":"2020-07-19T15:29:13.000Z",
                                "public_metrics":{"retweet_count":2,"reply_count":3,"like_count":5,"quote_count":1}}]},
         "meta":{"newest_id":"1900000000000000003","oldest_id":"1900000000000000002","result_count":2,"next_token":"b26v89c19zqg8o3f"}}
        """
        let page = try testSource(.x).makeFeed().parseMentions(Data(body.utf8))
        #expect(page.mentions.map(\.id) == ["1284872930841640960", "1900000000000000002", "1900000000000000003"])
        #expect(page.mentions[0].author == "takke" && page.mentions[0].authorFollowers == 1677)
        #expect(page.mentions[1].reshareOf == "1284872930841640960")
        #expect(page.mentions[2].replyTo == "1284872930841640960" && page.mentions[2].quoteOf == "7")
        #expect(page.newestCursor == "1900000000000000003" && page.nextPage == "b26v89c19zqg8o3f")
    }

    @Test("json source: items path, dotted fields, epoch times, cursor by value")
    func json() throws {
        var source = testSource(.json)
        source.items = "result.posts"
        source.fields = ["id": "key", "created_at": "ts", "author": "by.name", "author_followers": "by.fans", "text": "body", "reshares": "stats.shares"]
        source.cursorField = "key"
        source.cursorParam = "after"
        let body = #"{"result":{"posts":[{"key":9,"ts":1764000000,"by":{"name":"ann","fans":"120"},"body":"<p>a &amp; b</p>","stats":{"shares":3}},{"key":10,"ts":"2026-11-24T10:00:00+02:00","body":"plain"},{"nokey":1}]}}"#
        let page = try JSONFeed(source: source).parseMentions(Data(body.utf8))
        #expect(page.mentions.map(\.id) == ["9", "10"])
        #expect(page.mentions[0].author == "ann" && page.mentions[0].authorFollowers == 120 && page.mentions[0].reshares == 3)
        #expect(page.mentions[0].text == "a & b")
        #expect(page.mentions[0].createdAt == "2025-11-24T16:00:00Z")
        #expect(page.mentions[1].createdAt == "2026-11-24T08:00:00Z")
        #expect(page.newestCursor == "10")
        #expect(JSONFeed(source: source).mentionsRequest(after: "10", page: nil).url.hasSuffix("after=10"))
    }

    @Test("json source: ids written as numbers past 2⁵³ (snowflakes) stay exact, as two posts and as the cursor; counts still read")
    func jsonBigIDs() throws {
        var source = testSource(.json)
        source.items = "."
        source.fields = ["id": "id", "reshares": "shares", "reply_to": "parent"]
        source.cursorField = "id"
        // A Double holds neither: both would read as 1234567890123456768.
        let body = #"[{"id": 1234567890123456789, "shares": 12, "parent": 1234567890123456700}, {"id": 1234567890123456788, "shares": 1.5e1}, {"id": 42}]"#
        let page = try JSONFeed(source: source).parseMentions(Data(body.utf8))
        #expect(page.mentions.map(\.id) == ["1234567890123456789", "1234567890123456788", "42"])
        #expect(page.mentions.map(\.reshares) == [12, 15, nil] && page.mentions[0].replyTo == "1234567890123456700")
        #expect(page.newestCursor == "1234567890123456789")
    }

    @Test("Times keep the source's fractional digits and become UTC")
    func timestamps() {
        #expect(Timestamp.normalize("2025-02-07T22:21:22.374+02:00") == "2025-02-07T20:21:22.374Z")
        #expect(Timestamp.normalize("2026-11-24T07:19:04Z") == "2026-11-24T07:19:04Z")
        #expect(Timestamp.normalize("2026-11-24T07:19:04.123456Z") == "2026-11-24T07:19:04.123456Z")
        #expect(Timestamp.normalize("2026-11-24 07:19") == nil)
    }

    @Test("Garbage bodies give one line saying what they are, for every kind", arguments: SourceConfig.Kind.allCases)
    func garbage(kind: SourceConfig.Kind) throws {
        var source = testSource(kind)
        source.items = "items"
        source.fields = ["id": "id"]
        let feed = source.makeFeed()
        let cases: [(String, String)] = [
            ("<!DOCTYPE html><html><body>502 Bad Gateway</body></html>", "HTML page"),
            (#"{"statuses": [1, 2"#, "not valid JSON"),
            ("", "empty body"),
            ("42", kind == .json ? "no `items`" : "expected"),
        ]
        for (body, expected) in cases {
            do {
                _ = try feed.parseMentions(Data(body.utf8))
                Issue.record("\(kind) accepted \(body.debugDescription)")
            } catch {
                #expect(error.message.contains(expected), "\(kind): \(error.message)")
                #expect(!error.message.contains("\n"))
            }
        }
    }

    @Test("Hostile text stays text: control characters, huge entities, unclosed tags")
    func hostileText() throws {
        let status = try mastodonStatus(id: "1", content: "<p>\u{0}\u{1b}[31mred &#99999999; &#x110000; &bogus; <unclosed</p><script>alert(1)</script>")
        let mentions = try testSource(.mastodon).makeFeed().parseMentions(Data("[\(status)]".utf8)).mentions
        let text = try #require(mentions.first?.text)
        #expect(text.contains("red &#99999999; &#x110000; &bogus;"))
        #expect(!text.contains("<script>"))
        // The JSON line escapes what a terminal would act on.
        #expect(!mentions[0].jsonLine.contains("\u{1b}"))
    }
}
