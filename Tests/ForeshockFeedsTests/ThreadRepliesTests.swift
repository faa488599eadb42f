import Foundation
import Testing
@testable import ForeshockSupport
@testable import ForeshockConfig
@testable import ForeshockFeeds
@testable import ForeshockTestSupport

/// The brand's answer read from a post's thread, on each network's real thread answer: only a
/// direct reply by one of the brand's accounts counts, at the time it was written.
@Suite("Thread replies: the brand's answer from a post's thread")
struct ThreadRepliesTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var kind: SourceConfig.Kind
        var path: String
        var file: String
        var post: String
        var brand: String
        /// The brand's direct replies expected, with their times (Unix seconds).
        var replies: [String: Double]
        var testDescription: String { "\(kind.rawValue), brand \(brand)" }
    }

    static let cases: [Case] = [
        Case(kind: .mastodon, path: "/api/v1/statuses/110446983926957470/context", file: "mastodon/context_mastodonpy.json",
             post: "110446983926957470", brand: "@halcy", replies: ["110446984249325790": 1_685_287_235.248]),
        Case(kind: .bluesky, path: "/xrpc/app.bsky.feed.getPostThread", file: "bluesky/getPostThread_atproto_dart.json",
             post: "at://did:plc:by3jhwdqgbtrcc7q4tkkv3cf/app.bsky.feed.post/3jtvi2jrijx2y", brand: "bcgraham.outgroup.social",
             replies: ["at://did:plc:o3muczkqodgc563d4rip3rpn/app.bsky.feed.post/3jtviwrkkbn2e": 1_682_096_988.239]),
        // The brand given by its DID, which outlives a change of handle: threads name authors by both.
        Case(kind: .bluesky, path: "/xrpc/app.bsky.feed.getPostThread", file: "bluesky/getPostThread_atproto_dart.json",
             post: "at://did:plc:by3jhwdqgbtrcc7q4tkkv3cf/app.bsky.feed.post/3jtvi2jrijx2y", brand: "did:plc:o3muczkqodgc563d4rip3rpn",
             replies: ["at://did:plc:o3muczkqodgc563d4rip3rpn/app.bsky.feed.post/3jtviwrkkbn2e": 1_682_096_988.239]),
        // The post's own author wrote two of its comments; the brand wrote one.
        Case(kind: .reddit, path: "/comments/jlbw48", file: "reddit/comments_jlbw48_praw.json",
             post: "jlbw48", brand: "Watchful1", replies: ["t1_gius5s0": 1_610_351_778]),
        Case(kind: .hackernews, path: "/api/v1/items/17", file: "hackernews/item_17_fraction.json",
             post: "17", brand: "dmon", replies: ["1079": 1_172_441_903]),
        // The brand's other reply in the conversation answers someone else's reply, not the post.
        Case(kind: .x, path: "/2/tweets/search/recent", file: "x/search_conversation_python_twitter.json",
             post: "1273733248749690880", brand: "snowman", replies: ["1275882613572583424": 1_593_029_094]),
    ]

    @Test("The brand's direct replies are found in the thread, each at the time it was written", arguments: cases)
    func brandReplyFound(_ test: Case) async throws {
        let api = try await ScriptedAPI([
            test.path: [["body_file": payloadPath(test.file)]],
            "/api/v1/access_token": [["body": #"{"access_token": "tok", "expires_in": 3600}"#]],
        ])
        defer { api.stop() }
        var source = testSource(test.kind, base: api.base)
        source.clientID = .literal("c")
        source.clientSecret = .literal("s")
        source.token = .literal("t")
        source.brandAccounts = [test.brand]
        let poller = FeedPoller(feed: source.makeFeed())
        #expect(poller.readsThreads)
        guard case .read(let found) = await poller.brandReplies(to: test.post) else {
            Issue.record("the thread was not read: \(poller.stats)")
            return
        }
        #expect(Dictionary(uniqueKeysWithValues: found.map { ($0.replyID, $0.at.timeIntervalSince1970) }) == test.replies)
        #expect(found.allSatisfy { $0.postID == test.post })
        #expect(try await api.requests(to: test.path).count == 1)
        // Nobody of the brand's in the thread: none, and the look-up still worked.
        var other = source
        other.brandAccounts = ["acme_support"]
        #expect(await FeedPoller(feed: other.makeFeed()).brandReplies(to: test.post) == .read([]))
    }

    @Test("Below the post: the brand's reply to the customer's follow-up answers the complaint, its reply to someone else in the thread does not; without the author known (after a restart) any reply of the brand's below it does")
    func answersBelowThePost() async throws {
        func status(_ id: String, _ author: String, _ parent: String) throws -> String {
            try mastodonStatus(id: id, createdAt: "2026-12-01T10:0\(id.suffix(1)):00.000Z", author: author, inReplyTo: parent, content: "<p>hi</p>")
        }
        // 100 is dana's complaint; bob replied, and the brand answered bob; dana followed up on
        // bob's reply, and the brand answered dana there.
        let toSomeoneElse = #"{"ancestors":[],"descendants":[\#(try status("101", "bob", "100")),\#(try status("102", "acme_support", "101"))]}"#
        let toFollowUp = #"{"ancestors":[],"descendants":[\#(try status("101", "bob", "100")),\#(try status("103", "dana", "101")),\#(try status("104", "acme_support", "103"))]}"#
        let api = try await ScriptedAPI([
            "/api/v1/statuses/100/context": [["body": toSomeoneElse], ["body": toFollowUp], ["body": toSomeoneElse], ["body": toSomeoneElse]],
            "/api/v1/timelines/tag/acme": [["body": "[\(try mastodonStatus(id: "100", author: "dana"))]"]],
        ])
        defer { api.stop() }
        var source = testSource(.mastodon, base: api.base)
        source.query = "acme"
        source.brandAccounts = ["acme_support"]
        // The complaint comes in a poll, as it does in a watch: its author is kept for the read.
        let poller = FeedPoller(feed: source.makeFeed())
        #expect(await poller.poll().mentions.map(\.id) == ["100"])
        #expect(await poller.brandReplies(to: "100") == .read([]))
        guard case .read(let found) = await poller.brandReplies(to: "100") else { Issue.record("not read"); return }
        #expect(found.map(\.replyID) == ["104"] && found.allSatisfy { $0.postID == "100" }, "\(found)")
        // A poller that never saw the post (a restart) is told its author by the watch (which
        // has it from the journal); told nothing, it takes any reply of the brand's below it.
        let restarted = FeedPoller(feed: source.makeFeed())
        #expect(await restarted.brandReplies(to: "100", author: "dana") == .read([]))
        guard case .read(let lenient) = await restarted.brandReplies(to: "100") else { Issue.record("not read"); return }
        #expect(lenient.map(\.replyID) == ["102"], "\(lenient)")
    }

    @Test("On X a complaint that is itself a reply is read under its conversation, the thread's first post: the brand's reply to it is found there, never under the complaint's own id")
    func xConversation() async throws {
        let api = try await ScriptedAPI(["/2/tweets/search/recent": [["body_file": payloadPath("x/search_conversation_python_twitter.json")]]])
        defer { api.stop() }
        var source = testSource(.x, base: api.base)
        source.token = .literal("t")
        source.brandAccounts = ["jellybeanjones"]
        let poller = FeedPoller(feed: source.makeFeed())
        // snowman's reply in the conversation that 1273733248749690880 began, as the search gives it.
        let page = try source.makeFeed().parseMentions(Data(#"""
            {"data":[{"id":"1275653067283759104","text":"@happycamper Wait","author_id":"1","conversation_id":"1273733248749690880",
                      "referenced_tweets":[{"type":"replied_to","id":"1274086728471461889"}]}],
             "includes":{"users":[{"id":"1","username":"snowman"}]},"meta":{"result_count":1}}
            """#.utf8))
        #expect(page.mentions.first?.thread == "1273733248749690880")
        _ = poller.accept(page.mentions)
        guard case .read(let found) = await poller.brandReplies(to: "1275653067283759104") else { Issue.record("not read"); return }
        #expect(found.map(\.replyID) == ["1275763727908798470"], "\(found)")
        // Only the brand's replies to the complaint's author: a thread of thousands gives the
        // newest hundred, and the answer may not be among them.
        let asked = try await api.requests(to: "/2/tweets/search/recent").map(\.path)
        #expect(asked.count == 1 && asked[0].contains("query=conversation_id%3A1273733248749690880%20from%3Ajellybeanjones%20to%3Asnowman"), "\(asked)")
    }

    @Test("On X after a restart, a complaint that is a reply is read under its conversation once its fresh counts have named it, not under its own id")
    func xConversationAfterRestart() async throws {
        let api = try await ScriptedAPI([
            "/2/tweets": [["body": #"""
                {"data":[{"id":"1275653067283759104","text":"@happycamper Wait","author_id":"1","conversation_id":"1273733248749690880",
                          "public_metrics":{"retweet_count":40,"reply_count":3,"like_count":9,"quote_count":0},
                          "referenced_tweets":[{"type":"replied_to","id":"1274086728471461889"}]}],
                 "includes":{"users":[{"id":"1","username":"snowman"}]}}
                """#]],
            "/2/tweets/search/recent": [["body_file": payloadPath("x/search_conversation_python_twitter.json")]],
        ])
        defer { api.stop() }
        var source = testSource(.x, base: api.base)
        source.token = .literal("t")
        source.brandAccounts = ["jellybeanjones"]
        // A new process: the complaint is known only from the journal, by id and author.
        let restarted = FeedPoller(feed: source.makeFeed())
        let refreshed = await restarted.refresh(["1275653067283759104"])
        #expect(refreshed.mentions.map(\.reshares) == [40], "\(refreshed)")
        guard case .read(let found) = await restarted.brandReplies(to: "1275653067283759104", author: "snowman") else { Issue.record("not read"); return }
        #expect(found.map(\.replyID) == ["1275763727908798470"], "\(found)")
        let asked = try await api.requests(to: "/2/tweets/search/recent").map(\.path)
        #expect(asked.count == 1 && asked[0].contains("query=conversation_id%3A1273733248749690880%20"), "\(asked)")
    }

    @Test("A brand account written as people write it is the account the answers name: Mastodon's @user@its.server is the bare user its server names, another server's is another person; Reddit's u/name is name")
    func brandAccountsAsWritten() throws {
        var mastodon = testSource(.mastodon, base: "https://mastodon.social")
        let feed = mastodon.makeFeed()
        #expect(["@halcy@mastodon.social", "Halcy", "@HALCY", "halcy@MASTODON.social"].map(feed.accountKey) == Array(repeating: "halcy", count: 4))
        #expect(feed.accountKey("halcy@fosstodon.org") == "halcy@fosstodon.org")
        // Only the source's own host: example.com may be another server than mastodon.example.com.
        #expect(testSource(.mastodon, base: "https://mastodon.example.com").makeFeed().accountKey("@acme@example.com") == "acme@example.com")
        #expect(["u/Acme_Support", "/u/acme_support", "acme_support"].map(testSource(.reddit).makeFeed().accountKey) == Array(repeating: "acme_support", count: 3))
        // The real mastodon.social thread: its reply by `halcy` is the brand's answer when the
        // brand is given with its server.
        mastodon.brandAccounts = ["@halcy@mastodon.social"]
        let replies = try mastodon.makeFeed().parseReplies(try payload("mastodon/context_mastodonpy.json"))
        let found = FeedPoller(feed: mastodon.makeFeed()).brandReplies(in: replies)
        #expect(found.map(\.replyID) == ["110446984249325790"], "\(replies.map { ($0.author ?? "", $0.replyTo ?? "") })")
    }

    @Test("An answer that is no thread (an error page's JSON, another API's shape) is a failed read on every network, never \"no replies\"", arguments: SourceConfig.Kind.allCases.filter { $0 != .json })
    func notAThread(_ kind: SourceConfig.Kind) throws {
        let feed = testSource(kind).makeFeed()
        for body in [#"{"ok": true}"#, #"{"status": 404, "title": "gone"}"#, "[]", "7"] {
            #expect(throws: FeedError.self, "\(kind) \(body)") { try feed.parseReplies(Data(body.utf8)) }
        }
    }

    @Test("Reddit's comments are read as deep as they were sent, `more` stubs (comments not sent) are not replies, and a Bluesky post nobody answered has a thread with no replies")
    func edges() async throws {
        let reddit = testSource(.reddit).makeFeed()
        let comments = try reddit.parseReplies(try payload("reddit/comments_3hahrw_more_praw.json"))
        #expect(comments.count == 10 && comments.allSatisfy { $0.replyTo != nil }, "\(comments)")
        // Replies to replies, as deep as they were sent, each naming its parent; a deleted
        // comment is one with no author.
        #expect(comments.first { $0.id == "t1_cu5tgzu" }?.replyTo == "t1_cu5sye5")
        #expect(comments.filter { $0.author == nil }.map(\.id) == ["t1_cu5th6m"])
        // A comment goes by its fullname, a post by its bare id: the two are numbered apart.
        #expect(comments.filter { $0.replyTo == "3hahrw" }.count > 0 && comments.allSatisfy { $0.id.hasPrefix("t1_") })
        let clash = #"[{"kind": "Listing", "data": {"children": [{"kind": "t3", "data": {"id": "abc", "title": "t"}}]}}, {"kind": "Listing", "data": {"children": [{"kind": "t1", "data": {"id": "abc", "parent_id": "t3_abc", "author": "acme", "body": "sorry", "created_utc": 1764000000}}]}}]"#
        #expect(FeedPoller.below("abc", in: try reddit.parseReplies(Data(clash.utf8)), thread: nil).map(\.id) == ["t1_abc"])
        // The thread with its replies taken away, as the AppView may send it.
        var thread = try JSONSerialization.jsonObject(with: try payload("bluesky/getPostThread_atproto_dart.json")) as! [String: Any]
        var root = thread["thread"] as! [String: Any]
        root["replies"] = nil
        thread["thread"] = root
        let bluesky = testSource(.bluesky).makeFeed()
        #expect(try bluesky.parseReplies(try JSONSerialization.data(withJSONObject: thread)).isEmpty)
        // A post not found has no thread to read: said, not taken for an empty one.
        #expect(throws: FeedError.self) {
            try bluesky.parseReplies(Data(#"{"thread":{"$type":"app.bsky.feed.defs#notFoundPost","uri":"at://x","notFound":true}}"#.utf8))
        }
    }
}
