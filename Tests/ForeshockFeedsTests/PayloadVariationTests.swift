import Foundation
import Testing
@testable import ForeshockConfig
@testable import ForeshockFeeds
@testable import ForeshockTestSupport
@testable import ForeshockTransport

/// Shapes the APIs document and real servers send that the recorded payloads do not show.
@Suite("What real servers also send")
struct PayloadVariationTests {
    func mentions(_ kind: SourceConfig.Kind, _ body: String) throws -> [Mention] {
        try testSource(kind).makeFeed().parseMentions(Data(body.utf8)).mentions
    }

    @Test("Bluesky: an unverified handle names the account by its DID; a backdated post counts from when it was indexed")
    func blueskyHandleInvalidAndBackdated() throws {
        let post = #"""
        {"posts": [
          {"uri": "at://did:plc:aaa/app.bsky.feed.post/3k1", "indexedAt": "2025-02-07T20:21:23.254+00:00",
           "author": {"did": "did:plc:aaa", "handle": "handle.invalid"},
           "record": {"text": "acme lost my bag", "createdAt": "2019-03-01T10:00:00.000Z"}},
          {"uri": "at://did:plc:bbb/app.bsky.feed.post/3k2", "indexedAt": "2025-02-07T20:21:25Z",
           "author": {"did": "did:plc:bbb", "handle": "handle.invalid"},
           "record": {"text": "me too", "createdAt": "2025-02-07T20:21:24.500Z"}}
        ]}
        """#
        let found = try mentions(.bluesky, post)
        #expect(found.map(\.author) == ["did:plc:aaa", "did:plc:bbb"])
        #expect(found[0].url == "https://bsky.app/profile/did:plc:aaa/post/3k1")
        #expect(found[0].createdAt == "2025-02-07T20:21:23.254Z")
        #expect(found[1].createdAt == "2025-02-07T20:21:24.500Z")
        let resharers = try testSource(.bluesky).makeFeed().parseResharers(Data(#"{"repostedBy": [{"did": "did:plc:ccc", "handle": "handle.invalid"}, {"did": "did:plc:ddd", "handle": "handle.invalid"}]}"#.utf8))
        #expect(resharers.map(\.account) == ["did:plc:ccc", "did:plc:ddd"])
    }

    @Test("Bluesky: a full page continues with the answer's cursor")
    func blueskyCursor() throws {
        let posts = (0..<100).map { index in
            #"{"uri": "at://did:plc:a/app.bsky.feed.post/\#(index)", "indexedAt": "2025-02-07T20:21:23Z", "author": {"did": "did:plc:a", "handle": "a.example"}, "record": {"text": "x", "createdAt": "2025-02-07T20:21:22Z"}}"#
        }
        let feed = testSource(.bluesky).makeFeed()
        let page = try feed.parseMentions(Data(#"{"cursor": "opaque-2", "posts": [\#(posts.joined(separator: ","))]}"#.utf8))
        #expect(page.nextPage == "opaque-2")
        #expect(feed.mentionsRequest(after: page.newestCursor, page: page.nextPage).url.contains("cursor=opaque-2"))
        // A short page with a cursor goes on too (the AppView filters what it found); an empty one does not.
        #expect(try feed.parseMentions(Data(#"{"cursor": "opaque-3", "posts": [\#(posts[0])]}"#.utf8)).nextPage == "opaque-3")
        #expect(try feed.parseMentions(Data(#"{"cursor": "opaque-4", "posts": []}"#.utf8)).nextPage == nil)
    }

    @Test("Bluesky: a record embed is a quote only when it shows a post, not a feed, a list or a starter pack; a post that is not an object is skipped and counted; a post a feed lists again is one post")
    func blueskyEmbeds() throws {
        let post = { (n: Int, embed: String) -> String in
            #"{"uri": "at://did:plc:a/app.bsky.feed.post/\#(n)", "indexedAt": "2025-02-07T20:21:23Z", "author": {"did": "did:plc:a", "handle": "a.example"}, "record": {"text": "x", "createdAt": "2025-02-07T20:21:22Z", "embed": \#(embed)}}"#
        }
        let record = { (uri: String) in #"{"$type": "app.bsky.embed.record", "record": {"uri": "\#(uri)", "cid": "c"}}"# }
        let posts = [
            post(1, record("at://did:plc:b/app.bsky.feed.post/9")),
            post(2, record("at://did:plc:b/app.bsky.feed.generator/whats-hot")),
            post(3, record("at://did:plc:b/app.bsky.graph.list/3l")),
            post(6, #"{"$type": "app.bsky.embed.record#main", "record": {"uri": "at://did:plc:b/app.bsky.feed.post/7", "cid": "c"}}"#),
            post(4, #"{"$type": "app.bsky.embed.recordWithMedia", "record": {"record": {"uri": "at://did:plc:b/app.bsky.feed.post/8", "cid": "c"}}, "media": {}}"#),
            post(5, #"{"$type": "app.bsky.embed.recordWithMedia", "record": {"record": {"uri": "at://did:plc:b/app.bsky.graph.starterpack/7", "cid": "c"}}, "media": {}}"#),
        ]
        let body = #"{"posts": [\#(posts.joined(separator: ","))]}"#
        let found = try mentions(.bluesky, body)
        #expect(found.map(\.quoteOf) == ["at://did:plc:b/app.bsky.feed.post/9", nil, nil, "at://did:plc:b/app.bsky.feed.post/7", "at://did:plc:b/app.bsky.feed.post/8", nil])
        // Entries that are no post are skipped and counted (the poller says so), not the page refused.
        let odd = try testSource(.bluesky).makeFeed().parseMentions(Data(#"{"posts": [1, \#(posts[0])]}"#.utf8))
        #expect(odd.mentions.count == 1 && odd.unreadable == 1)
        // So is a repost in a feed that names nobody as its reposter; the post itself is kept.
        let nobody = try testSource(.bluesky).makeFeed().parseMentions(Data(#"{"feed": [{"post": \#(posts[0]), "reason": {"$type": "app.bsky.feed.defs#reasonRepost", "indexedAt": "2025-02-07T14:00:03.165Z"}}]}"#.utf8))
        #expect(nobody.mentions.count == 1 && nobody.mentions[0].reshareOf == nil && nobody.unreadable == 1, "\(nobody.mentions.map(\.id))")
        // A post reposted twice and then listed again is one post and two reposts.
        let repost = { (did: String) in #"{"post": \#(posts[0]), "reason": {"$type": "app.bsky.feed.defs#reasonRepost", "by": {"did": "\#(did)", "handle": "r.example"}, "indexedAt": "2025-02-07T21:00:00Z"}}"# }
        let twice = try mentions(.bluesky, #"{"feed": [\#(repost("did:plc:r1")), \#(repost("did:plc:r2")), {"post": \#(posts[0])}]}"#)
        #expect(twice.map(\.id) == ["at://did:plc:a/app.bsky.feed.post/1", "at://did:plc:a/app.bsky.feed.post/1#repost-by-did:plc:r1", "at://did:plc:a/app.bsky.feed.post/1#repost-by-did:plc:r2"], "\(twice.map(\.id))")
    }

    @Test("Hacker News: an Ask HN post's body is part of its text")
    func askHN() throws {
        let found = try mentions(.hackernews, #"{"hits": [{"objectID": "46100001", "title": "Ask HN: Is Acme support ignoring everyone?", "url": null, "story_text": "Acme lost my bag twice &amp; nobody answers.<p>Anyone else?", "author": "pat", "created_at_i": 1764000000, "points": 3, "num_comments": 1}], "nbPages": 1}"#)
        let text = try #require(found.first?.text)
        #expect(text.hasPrefix("Ask HN: Is Acme support ignoring everyone?\n\n"))
        #expect(text.contains("Acme lost my bag twice & nobody answers."))
        // A title is text with entities, not HTML: what looks like a tag in it is what it says.
        let titled = try mentions(.hackernews, #"{"hits": [{"objectID": "46100003", "title": "Acme's <dialog> traps &lt;Tab&gt; &amp; keyboards", "url": null, "story_text": null, "created_at_i": 1764000000}], "nbPages": 1}"#)
        #expect(titled.first?.text == "Acme's <dialog> traps <Tab> & keyboards", "\(titled)")
        // With no title, its body is still its text; a time in milliseconds is no time (said,
        // not read as the year 9999); an id that is no number makes no link.
        let odd = try testSource(.hackernews).makeFeed().parseMentions(Data(#"""
            {"hits": [{"objectID": "46100002", "title": null, "comment_text": null, "story_text": "Acme <i>again</i>", "created_at_i": 1764000000000},
                      {"objectID": "1&x=<script>", "title": "Acme", "created_at_i": 1764000000}], "nbPages": 1}
            """#.utf8))
        #expect(odd.mentions.map(\.text) == ["Acme again", "Acme"])
        #expect(odd.mentions.map(\.createdAt) == [nil, "2025-11-24T16:00:00Z"])
        #expect(odd.allMisread["created_at_i"]?.example == "1764000000000", "\(odd.allMisread)")
        #expect(odd.mentions.map(\.url) == ["https://news.ycombinator.com/item?id=46100002", nil])
    }

    @Test("Reddit: deleted accounts and removed text are nobody and nothing, whoever removed it; `more` is not a comment; a comment's hidden score is no count")
    func redditPlaceholders() throws {
        let listing = #"""
        {"kind": "Listing", "data": {"children": [
          {"kind": "t3", "data": {"id": "a1", "name": "t3_a1", "author": "[deleted]", "title": "Acme?", "selftext": "[removed]", "created_utc": 1764000000.0}},
          {"kind": "t1", "data": {"id": "c1", "name": "t1_c1", "author": "[deleted]", "body": "[deleted]", "parent_id": "t3_a1", "created_utc": 1764000001.0}},
          {"kind": "more", "data": {"id": "c9", "name": "t1_c9", "count": 57, "children": ["c9", "c10"]}}
        ]}}
        """#
        let found = try mentions(.reddit, listing)
        #expect(found.map(\.id) == ["a1", "t1_c1"])
        // A permalink that is no path on reddit.com makes no link (appended, it named another host).
        let hostile = try mentions(.reddit, #"{"kind": "Listing", "data": {"children": [{"kind": "t3", "data": {"id": "a2", "permalink": "javascript:alert(1)", "created_utc": 1764000000000}}]}}"#)
        #expect(hostile.first?.url == nil && hostile.first?.createdAt == nil, "\(hostile)")
        #expect(found.allSatisfy { $0.author == nil })
        #expect(found[0].text == "Acme?" && found[1].text == nil)
        // Reddit's admins put their own title and text in place of what they removed; a new
        // comment whose score is hidden is sent with 1 for it (`score_hidden`), a post's
        // `hide_score` with its real score.
        let removed = try mentions(.reddit, #"""
        {"kind": "Listing", "data": {"children": [
          {"kind": "t3", "data": {"id": "a3", "author": "[deleted]", "title": "[ Removed by Reddit ]", "selftext": "[ Removed by Reddit on account of violating the [content policy](/help/contentpolicy). ]", "is_self": true, "score": 88, "hide_score": true, "created_utc": 1764000000.0}},
          {"kind": "t1", "data": {"id": "c3", "body": "[ Removed by Reddit ]", "score": 1, "score_hidden": true, "parent_id": "t3_a3", "created_utc": 1764000001.0}},
          {"kind": "t1", "data": {"id": "c4", "body": "[ Removed by Reddit ] is what they wrote [sic]", "score": 5, "score_hidden": false, "parent_id": "t3_a3", "created_utc": 1764000002.0}},
          {"kind": "t3", "data": {"id": "a4", "title": "[ Removed by Reddit ] again: Acme deleted my complaint [OC]", "selftext": "[ Removed by Reddit on account of violating the rules, they said ]\nNo.", "is_self": true, "score": 3, "created_utc": 1764000003.0}}
        ]}}
        """#)
        #expect(removed.map(\.text) == [nil, nil, "[ Removed by Reddit ] is what they wrote [sic]",
                                         "[ Removed by Reddit ] again: Acme deleted my complaint [OC]\n\n[ Removed by Reddit on account of violating the rules, they said ]\nNo."], "\(removed)")
        #expect(removed.map(\.likes) == [88, nil, 5, 3], "\(removed)")
    }

    @Test("A count below zero, a fraction, one past any count or a word is no count: left empty and said under the API's name; Reddit's `ups` stands in for a `score` left out")
    func oddCounts() throws {
        var status = try JSONSerialization.jsonObject(with: Data(try mastodonStatus(id: "1").utf8)) as! [String: Any]
        status["reblogs_count"] = -5
        status["favourites_count"] = 11.7
        status["replies_count"] = 1e23
        status["quotes_count"] = "five"
        let page = try testSource(.mastodon).makeFeed().parseMentions(try JSONSerialization.data(withJSONObject: [status]))
        let first = try #require(page.mentions.first)
        #expect(first.reshares == nil && first.likes == nil && first.replies == nil && first.quotes == nil)
        #expect(page.allMisread["reblogs_count"] == .init(count: 1, example: "-5", mapped: false), "\(page.allMisread)")
        #expect(Set(page.allMisread.keys) == ["reblogs_count", "favourites_count", "replies_count", "quotes_count"], "\(page.allMisread)")
        // Each network's own names: Bluesky's repostCount, X's public_metrics.
        let bluesky = try testSource(.bluesky).makeFeed().parseMentions(Data(#"{"posts": [{"uri": "at://did:plc:a/app.bsky.feed.post/1", "indexedAt": "2025-02-07T14:00:03.165Z", "author": {"did": "did:plc:a", "handle": "a.example"}, "record": {"text": "x", "createdAt": "2025-02-07T14:00:00Z"}, "repostCount": 1e20, "likeCount": "6"}]}"#.utf8))
        #expect(bluesky.mentions.first?.reshares == nil && bluesky.mentions.first?.likes == 6 && Array(bluesky.allMisread.keys) == ["repostCount"], "\(bluesky.allMisread)")
        let x = try testSource(.x).makeFeed().parseMentions(Data(#"{"data": [{"id": "1", "text": "x", "public_metrics": {"retweet_count": -3, "reply_count": null}}]}"#.utf8))
        #expect(x.mentions.first?.reshares == nil && x.allMisread["public_metrics.retweet_count"]?.example == "-3" && x.allMisread["public_metrics.reply_count"] == nil, "\(x.allMisread)")
        let reddit = try mentions(.reddit, #"{"kind": "Listing", "data": {"children": [{"kind": "t3", "data": {"id": "a1", "title": "Acme?", "ups": 41, "created_utc": 1764000000.0}}]}}"#)
        #expect(reddit.first?.likes == 41 && reddit.first?.reshares == 40)
        // A score voted below zero is a score, not a broken count; a JSON feed's mapped count
        // below zero is said under its mapping's name.
        let downvoted = try mentions(.reddit, #"{"kind": "Listing", "data": {"children": [{"kind": "t3", "data": {"id": "a2", "title": "Acme?", "score": -4, "created_utc": 1764000000.0}}]}}"#)
        #expect(downvoted.first?.likes == -4 && downvoted.first?.reshares == 0)
        var json = testSource(.json)
        json.items = "items"
        json.fields = ["id": "id", "reshares": "shares", "likes": "score"]
        let lemmy = try JSONFeed(source: json).parseMentions(Data(#"{"items": [{"id": 1, "shares": -2, "score": -4}]}"#.utf8))
        #expect(lemmy.mentions.first?.likes == -4 && lemmy.mentions.first?.reshares == nil)
        #expect(lemmy.allMisread == ["reshares": .init(count: 1, example: "-2")], "\(lemmy.allMisread)")
    }

    @Test("An error the API answered with in a 200's body is said by its name, with what it says: Bluesky's XRPC error with or without a message, Reddit's json.errors")
    func errorBodies() {
        func said(_ kind: SourceConfig.Kind, _ body: String) -> String {
            do {
                _ = try testSource(kind).makeFeed().parseMentions(Data(body.utf8))
                return "read"
            } catch {
                return error.message
            }
        }
        #expect(said(.bluesky, #"{"error": "AuthMissing"}"#) == "the server answered with an error: AuthMissing")
        #expect(said(.bluesky, #"{"error": "InvalidRequest", "message": "bad cursor"}"#) == "the server answered with an error: InvalidRequest: bad cursor")
        #expect(said(.reddit, #"{"json": {"errors": [["RATELIMIT", "you are doing that too much", "ratelimit"]]}}"#)
                == "the server answered with an error: RATELIMIT: you are doing that too much")
        #expect(said(.reddit, #"{"json": {"errors": []}}"#) == "expected a Listing with data.children")
    }

    @Test("X: an original retweeted twice in a page is listed once, before its first retweet; a retweet carries no counts (X gives it its original's)")
    func xRetweets() throws {
        let found = try mentions(.x, #"""
            {"data": [
              {"id": "11", "author_id": "2", "text": "RT @dana: Acme lost my bag", "public_metrics": {"retweet_count": 40, "reply_count": 3, "like_count": 90, "quote_count": 1},
               "referenced_tweets": [{"type": "retweeted", "id": "10"}]},
              {"id": "12", "author_id": "3", "text": "RT @dana: Acme lost my bag", "public_metrics": {"retweet_count": 40, "reply_count": 3, "like_count": 90, "quote_count": 1},
               "referenced_tweets": [{"type": "retweeted", "id": "10"}]},
              {"id": "10", "author_id": "1", "text": "Acme lost my bag", "public_metrics": {"retweet_count": 40, "reply_count": 3, "like_count": 90, "quote_count": 1}}],
             "includes": {"users": [{"id": "1", "username": "dana"}, {"id": "2", "username": "pat"}, {"id": "3", "username": "sam"}],
                          "tweets": [{"id": "10", "author_id": "1", "text": "Acme lost my bag", "public_metrics": {"retweet_count": 40, "reply_count": 3, "like_count": 90, "quote_count": 1}}]},
             "meta": {"newest_id": "12", "result_count": 3}}
            """#)
        #expect(found.map(\.id) == ["10", "11", "12"])
        #expect(found.map(\.reshares) == [40, nil, nil] && found.map(\.likes) == [90, nil, nil])
        #expect(found.map(\.reshareOf) == [nil, "10", "10"] && found.map(\.author) == ["dana", "pat", "sam"])
    }

    @Test("X: a long post's whole text; a lookup whose posts are all gone is no posts, not an error")
    func xLongPostAndGonePosts() throws {
        let whole = String(repeating: "Acme lost my bag. ", count: 30)
        let found = try mentions(.x, #"{"data": [{"id": "1900", "author_id": "7", "text": "Acme lost my bag. Acme lost… https://t.co/x", "note_tweet": {"text": "\#(whole)"}}], "meta": {"newest_id": "1900", "result_count": 1}}"#)
        #expect(found.first?.text == whole)
        #expect(XFeed.tweetFields.contains("note_tweet"))
        let feed = testSource(.x).makeFeed()
        let gone = #"{"errors": [{"value": "1284", "detail": "Could not find tweet with ids: [1284].", "title": "Not Found Error", "resource_type": "tweet", "parameter": "ids", "resource_id": "1284", "type": "https://api.twitter.com/2/problems/resource-not-found"}]}"#
        #expect(try feed.parseCounts(Data(gone.utf8)).isEmpty)
        let protected = #"{"errors": [{"value": "1285", "detail": "Sorry, you are not authorized to see the Tweet with ids: [1285].", "title": "Authorization Error", "resource_type": "tweet", "parameter": "ids", "resource_id": "1285", "type": "https://api.twitter.com/2/problems/not-authorized-for-resource"}]}"#
        #expect(try feed.parseCounts(Data(protected.utf8)).isEmpty)
        // Any other error alone is still one.
        #expect(throws: FeedError.self) { try feed.parseCounts(Data(#"{"errors": [{"title": "Unauthorized", "detail": "Unauthorized", "type": "about:blank"}]}"#.utf8)) }
    }

    @Test("X: a post's text has `&`, `<` and `>` decoded, as X escapes them and nothing else (a real search answer); `data` that is not an array is not a search's answer")
    func xEscapesAndShape() throws {
        let found = try parse(.x, "x/search_nyc_python_twitter.json")
        #expect(found.count == 10)
        let camps = try #require(found.first { $0.text?.hasPrefix("Started offering online camps") ?? false })
        #expect(camps.text?.contains("allergies (not a worry in this setting) & kids from MD") ?? false, "\(camps.text ?? "")")
        #expect(!found.contains { ($0.text ?? "").contains("&amp;") })
        let escaped = try mentions(.x, #"{"data": [{"id": "1901", "text": "NYC &lt; London &amp;lt; &gt;&gt; &copy; <b> AT&T"}], "meta": {"result_count": 1}}"#)
        #expect(escaped.first?.text == "NYC < London &lt; >> &copy; <b> AT&T")
        // A single post's lookup, or a Reddit Listing given as X's: an error, not an empty page.
        let feed = testSource(.x).makeFeed()
        #expect(throws: FeedError.self) { try feed.parseMentions(Data(#"{"data": {"id": "1902", "text": "one"}}"#.utf8)) }
        #expect(throws: FeedError.self) { try feed.parseMentions(Data(#"{"kind": "Listing", "data": {"children": []}}"#.utf8)) }
        // An item with no id is skipped and counted.
        let page = try feed.parseMentions(Data(#"{"data": [{"text": "no id"}, {"id": "1903", "text": "ok"}], "meta": {"result_count": 2}}"#.utf8))
        #expect(page.mentions.map(\.id) == ["1903"] && page.unreadable == 1)
    }

    @Test("Items that are not posts are skipped and counted, never the whole page refused: Mastodon's non-objects and boosts of nothing, Reddit's subreddits and accounts, Algolia's hits with no id")
    func unreadableItemsCounted() throws {
        let mastodon = try testSource(.mastodon).makeFeed().parseMentions(Data(#"""
            [\#(try mastodonStatus(id: "30")), "garbage", 5, null, {"id": "31", "reblog": {"content": "no id"}}, {"content": "no id"}]
            """#.utf8))
        #expect(mastodon.mentions.map(\.id) == ["30"] && mastodon.unreadable == 5, "\(mastodon.mentions.map(\.id)) \(mastodon.unreadable)")
        let reddit = try testSource(.reddit).makeFeed().parseMentions(Data(#"""
            {"kind": "Listing", "data": {"children": [
              {"kind": "t5", "data": {"id": "2qh1i", "name": "t5_2qh1i", "display_name": "AskReddit", "created_utc": 1201233135.0}},
              {"kind": "t2", "data": {"id": "abc", "name": "t2_abc"}},
              {"kind": "t3", "data": {"id": "a2", "name": "t3_a2", "title": "Acme?", "created_utc": 1764000000.0}},
              {"kind": "more", "data": {"id": "c9", "count": 3, "children": ["c9"]}}
            ]}}
            """#.utf8))
        #expect(reddit.mentions.map(\.id) == ["a2"] && reddit.unreadable == 2)
        // A crosspost is a post of its own: as a reshare of its parent it would turn the
        // parent's spread from its upvotes to its few crossposts.
        let crosspost = try mentions(.reddit, #"{"kind": "Listing", "data": {"children": [{"kind": "t3", "data": {"id": "x9", "name": "t3_x9", "title": "Acme?", "score": 40, "crosspost_parent": "t3_a2", "created_utc": 1764000100.0}}]}}"#)
        #expect(crosspost.map(\.reshareOf) == [nil] && crosspost.map(\.reshares) == [39])
        let hackerNews = try testSource(.hackernews).makeFeed().parseMentions(Data(#"{"hits": [{"title": "no id"}, {"objectID": "41", "title": "Acme", "created_at_i": 1764000000}], "page": 0, "nbPages": 1, "hitsPerPage": 20}"#.utf8))
        #expect(hackerNews.mentions.map(\.id) == ["41"] && hackerNews.unreadable == 1)
    }

    @Test("Mastodon's stream: an update whose status cannot be read is the event's failure (said by the stream), not an empty event")
    func mastodonStreamEventUnreadable() throws {
        var source = testSource(.mastodon)
        source.stream = true
        let feed = MastodonFeed(source: source)
        #expect(try feed.parseStreamEvent(type: "update", data: try mastodonStatus(id: "40"))?.map(\.id) == ["40"])
        for data in [#""garbage""#, #"{"content": "no id"}"#, "5"] {
            #expect(throws: FeedError.self, "\(data)") { try feed.parseStreamEvent(type: "update", data: data) }
        }
        #expect(try feed.parseStreamEvent(type: "delete", data: "40") == nil)
    }

    @Test("Bluesky: a post's age counts from when it was indexed when its createdAt is no time, or after indexedAt (a client's clock, or 2099)")
    func blueskyCreatedAtNotBelieved() throws {
        let post = { (n: Int, created: String) in
            #"{"uri": "at://did:plc:a/app.bsky.feed.post/\#(n)", "indexedAt": "2025-02-07T14:00:03.165Z", "author": {"did": "did:plc:a", "handle": "a.example"}, "record": {"text": "x", "createdAt": "\#(created)"}}"#
        }
        let found = try mentions(.bluesky, #"{"posts": [\#(post(1, "2025-02-07T14:00:00")), \#(post(2, "garbage")), \#(post(3, "2099-01-01T00:00:00.000Z")), \#(post(4, "2025-02-07T14:00:01.500Z"))]}"#)
        #expect(found.map(\.createdAt) == ["2025-02-07T14:00:03.165Z", "2025-02-07T14:00:03.165Z", "2025-02-07T14:00:03.165Z", "2025-02-07T14:00:01.500Z"])
    }

    @Test("Mastodon: a quote given by id only; a mention notification whose status is gone")
    func mastodonVariations() throws {
        let quoting = try mastodonStatus(id: "20")
        var object = try #require(try JSONSerialization.jsonObject(with: Data(quoting.utf8)) as? [String: Any])
        object["quote"] = ["state": "accepted", "quoted_status_id": "1170"]
        // The "RE: link" Mastodon writes for clients that do not show quotes is not the post's text.
        object["content"] = #"<p class="quote-inline">RE: <a href="https://mastodon.social/@acme/1170"><span class="invisible">https://</span><span class="ellipsis">mastodon.social/@acme/1170</span></a></p><p>worst support ever</p>"#
        let body = String(decoding: try JSONSerialization.data(withJSONObject: [object]), as: UTF8.self)
        #expect(try mentions(.mastodon, body).first?.quoteOf == "1170")
        #expect(try mentions(.mastodon, body).first?.text == "worst support ever")
        // A poll's choices are part of what the post says.
        object["poll"] = ["id": "3", "options": [["title": "awful", "votes_count": 4], ["title": "worse", "votes_count": 9]]]
        let poll = String(decoding: try JSONSerialization.data(withJSONObject: [object]), as: UTF8.self)
        #expect(try mentions(.mastodon, poll).first?.text == "worst support ever\n· awful\n· worse")

        let notifications = #"[{"id": "9001", "type": "mention", "status": \#(try mastodonStatus(id: "21"))}, {"id": "9002", "type": "mention", "status": null}]"#
        let page = try testSource(.mastodon).makeFeed().parseMentions(Data(notifications.utf8))
        #expect(page.mentions.map(\.id) == ["21"])
        #expect(page.newestCursor == "9002")
        // A page of follows and favourites only (a server that ignores types[]): no posts, and
        // the cursor still moves past them.
        var mentionsSource = testSource(.mastodon)
        mentionsSource.mode = .mentions
        let others = #"[{"id": "9004", "type": "follow", "account": {"acct": "newfan", "followers_count": 3}}, {"id": "9003", "type": "favourite", "account": {"acct": "liker"}}]"#
        let none = try mentionsSource.makeFeed().parseMentions(Data(others.utf8))
        #expect(none.mentions.isEmpty && none.newestCursor == "9004", "\(none.mentions.map(\.id))")
        // Read without a mentions source (`parse --source mastodon`), the same.
        #expect(try testSource(.mastodon).makeFeed().parseMentions(Data(others.utf8)).mentions.isEmpty)
    }

    @Test("Mastodon search pages down from its newest to the cursor (max_id), since it answers the newest above min_id; timelines page up (min_id)")
    func mastodonSearchPaging() throws {
        var source = testSource(.mastodon)
        source.mode = .search
        let feed = source.makeFeed()
        let statuses = try (0..<40).map { try mastodonStatus(id: String(1100 - $0)) }
        let page = try feed.parseMentions(Data(#"{"accounts": [], "hashtags": [], "statuses": [\#(statuses.joined(separator: ","))]}"#.utf8))
        #expect(page.newestCursor == "1100" && page.nextPage == "1061")
        let next = feed.mentionsRequest(after: "1003", page: page.nextPage).url
        #expect(next.contains("min_id=1003") && next.contains("max_id=1061"), "\(next)")
        let timeline = testSource(.mastodon).makeFeed()
        let up = try timeline.parseMentions(Data("[\(statuses.joined(separator: ","))]".utf8))
        #expect(up.nextPage == "1100")
        #expect(timeline.mentionsRequest(after: "1003", page: up.nextPage).url.contains("min_id=1100"))
    }

    @Test("Cursors of one length that are not numbers (GoToSocial's ULIDs) compare as text")
    func ulidCursors() {
        #expect(FeedPoller.newer("01HZX00000000000000000001K", than: "01HZX000000000000000000019"))
        #expect(!FeedPoller.newer("01HZX000000000000000000019", than: "01HZX00000000000000000001K"))
        #expect(FeedPoller.newer("1000", than: "999") && !FeedPoller.newer("abc", than: "abcd"))
    }

    @Test("A clock set back leaves the call budget as it was, not in debt")
    func budgetClockBack() {
        var budget = CallBudget(perMinute: 2)
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        let spent = [budget.spend(now: now), budget.spend(now: now), budget.spend(now: now)]
        #expect(spent == [true, true, false])
        // An hour back: nothing owed, nothing gained; half a minute after that, one call again.
        let back = budget.spend(now: now.addingTimeInterval(-3600))
        let later = budget.spend(now: now.addingTimeInterval(-3600 + 30))
        #expect(!back && later)
    }

    @Test("A JSON feed's times as APIs write them: no zone (UTC), an HTTP date, Twitter v1.1's and Ruby's, epoch seconds, milliseconds or microseconds, numbers or text", arguments: [
        (#""2024-11-24 07:19:04""#, "2024-11-24T07:19:04Z"), (#""2024-11-24T07:19:04""#, "2024-11-24T07:19:04Z"),
        (#""Sun, 24 Nov 2024 07:19:04 GMT""#, "2024-11-24T07:19:04Z"), ("1732432744", "2024-11-24T07:19:04Z"),
        ("1732432744000", "2024-11-24T07:19:04Z"), ("1732432744000000", "2024-11-24T07:19:04Z"), (#""1732432744""#, "2024-11-24T07:19:04Z"),
        (#""Sun Nov 24 07:19:04 +0000 2024""#, "2024-11-24T07:19:04Z"), (#""2024-11-24 09:19:04 +0200""#, "2024-11-24T07:19:04Z"),
    ])
    func jsonFeedTimes(written: String, utc: String) throws {
        var source = testSource(.json)
        source.items = "items"
        source.fields = ["id": "id", "created_at": "at"]
        let page = try JSONFeed(source: source).parseMentions(Data(#"{"items": [{"id": 1, "at": \#(written)}]}"#.utf8))
        #expect(page.mentions.first?.createdAt == utc)
        #expect(JSONFeed.time("yesterday") == nil)
    }

    @Test("A JSON feed's field holding what it cannot be (a time no format reads, an object for the author, a number for the text) is left empty and counted, never taken silently for a missing one; text with HTML's entities is decoded")
    func jsonFeedMisread() throws {
        var source = testSource(.json)
        source.items = "items"
        source.fields = ["id": "id", "created_at": "at", "author": "by", "text": "body", "reshares": "shares"]
        let page = try JSONFeed(source: source).parseMentions(Data(#"""
            {"items": [
              {"id": 1, "at": "last Tuesday", "by": {"name": "dana"}, "body": 42, "shares": "many"},
              {"id": 2, "at": "2024-11-24T07:19:04Z", "by": "dana", "body": "Acme &amp; co lost it&hellip;", "shares": 3},
              {"id": 3, "at": null, "by": null, "body": null, "shares": null},
              {"id": 4, "at": "still no time", "by": "eli"}
            ]}
            """#.utf8))
        #expect(page.mentions.map(\.id) == ["1", "2", "3", "4"] && page.unreadable == 0)
        #expect(page.misread == ["created_at": .init(count: 2, example: #""last Tuesday""#), "author": .init(count: 1, example: #"{"name":"dana"}"#),
                                 "text": .init(count: 1, example: "42"), "reshares": .init(count: 1, example: #""many""#)], "\(page.misread)")
        #expect(page.mentions[0].createdAt == nil && page.mentions[0].author == nil && page.mentions[0].text == nil)
        #expect(page.mentions[1].text == "Acme & co lost it…" && page.mentions[1].reshares == 3)
    }

    @Test("A JSON feed's title goes before its text, as Reddit's and Hacker News' posts read; a link given as a path on the feed's own server is made whole there, without the URL's credentials")
    func jsonFeedTitleAndPaths() throws {
        var source = testSource(.json)
        source.url = .literal("https://user:pass@forum.example.com:8443/search.json?q=acme&key=s3cret")
        source.items = "topics"
        source.fields = ["id": "id", "title": "title", "text": "excerpt", "url": "link"]
        let page = try JSONFeed(source: source).parseMentions(Data(#"""
            {"topics": [
              {"id": 1, "title": "Acme lost my bag", "excerpt": "Three weeks &amp; no answer", "link": "/t/acme-lost-my-bag/1"},
              {"id": 2, "title": "Only a title", "link": "https://elsewhere.example/x"},
              {"id": 3, "excerpt": "only a body", "link": "//cdn.example/y"}
            ]}
            """#.utf8))
        #expect(page.mentions.map(\.text) == ["Acme lost my bag\n\nThree weeks & no answer", "Only a title", "only a body"])
        #expect(page.mentions.map(\.url) == ["https://forum.example.com:8443/t/acme-lost-my-bag/1", "https://elsewhere.example/x", "//cdn.example/y"])
    }

    @Test("Digits as text are a time only where an epoch is likely, and HN says when more matched than it gives")
    func unlikelyEpochsAndHNCap() throws {
        #expect(JSONFeed.time("2024") == nil && JSONFeed.time("20241124") == nil && JSONFeed.time("20241124071904") == nil)
        #expect(JSONFeed.time("1732432744") == "2024-11-24T07:19:04Z")
        // Read from an item, the same: neither the text nor the number is a time in 1970.
        var source = testSource(.json)
        source.items = "items"
        source.fields = ["id": "id", "created_at": "at"]
        let items = #"{"items": [{"id": 1, "at": "2024"}, {"id": 2, "at": 2024}, {"id": 3, "at": "12"}, {"id": 4, "at": 1732432744}]}"#
        let page = try JSONFeed(source: source).parseMentions(Data(items.utf8))
        #expect(page.mentions.map(\.createdAt) == [nil, nil, nil, "2024-11-24T07:19:04Z"])
        let hits = #"{"hits": [{"objectID": "1", "title": "a", "created_at_i": 1764000000}, {"objectID": "2", "title": "b", "created_at_i": 1764000001}], "nbHits": 1500, "page": 0, "nbPages": 1, "hitsPerPage": 1000}"#
        #expect(try testSource(.hackernews).makeFeed().parseMentions(Data(hits.utf8)).moreThanGiven)
        let all = hits.replacingOccurrences(of: #""nbHits": 1500"#, with: #""nbHits": 2"#)
        #expect(try !testSource(.hackernews).makeFeed().parseMentions(Data(all.utf8)).moreThanGiven)
    }
}
