import ForeshockConfig
import ForeshockSupport
import ForeshockTransport
import Foundation

/// X API v2 recent search. The forward cursor is `meta.newest_id` as `since_id`; a full page is
/// continued with `next_token`. Authors, and the originals of retweets and quotes, come in
/// `includes`.
package struct XFeed: MentionFeed {
    package let source: SourceConfig
    static let pageSize = 100
    /// `note_tweet` carries the whole text of a long post; `text` holds its first 280 characters.
    static let tweetFields = "created_at,public_metrics,referenced_tweets,lang,author_id,conversation_id,note_tweet"
    static let expansions = "author_id,referenced_tweets.id,referenced_tweets.id.author_id"

    package init(source: SourceConfig) {
        self.source = source
    }

    package func mentionsRequest(after cursor: String?, page: String?) -> HTTPRequest {
        request(url("/2/tweets/search/recent", [
            ("query", source.query ?? ""), ("max_results", String(Self.pageSize)), ("tweet.fields", Self.tweetFields),
            ("expansions", Self.expansions), ("user.fields", "public_metrics"), ("since_id", cursor), ("next_token", page),
        ]))
    }

    /// Post ids are snowflakes: milliseconds since X's epoch (1288834974657 ms after 1970)
    /// shifted 22 bits.
    package func cursor(at time: Date) -> String? {
        let milliseconds = time.timeIntervalSince1970 * 1000 - 1_288_834_974_657
        guard milliseconds > 0 else { return nil }
        return String(UInt64(milliseconds) << 22)
    }

    package func parseMentions(_ body: Data) throws(FeedError) -> MentionPage {
        let value = try json(body)
        guard value.objectValue != nil else { throw FeedError(.unexpectedShape, "expected an object with `data`, got \(value.kindName)") }
        let tweets = value.items("data") ?? []
        if tweets.isEmpty, value["meta"] == nil, let problem = value.items("errors")?.first ?? (value["title"] != nil ? value : nil) {
            let detail = problem["detail"]?.text ?? problem["message"]?.text ?? problem["title"]?.text ?? "unknown"
            throw FeedError(.unexpectedShape, "the server answered with an error: \(detail)")
        }
        if value["data"] == nil, value["meta"] == nil {
            throw FeedError(.unexpectedShape, "expected `data` and `meta`")
        }
        // A single post's lookup, or another API's object under `data`, is not a search's answer.
        if let data = value["data"], data.arrayValue == nil {
            throw FeedError(.unexpectedShape, "expected `data` to be an array of posts, got \(data.kindName)")
        }
        var users: [String: JSONValue] = [:]
        for user in value.items("includes.users") ?? [] {
            if let id = user["id"]?.idString { users[id] = user }
        }
        var included: [String: JSONValue] = [:]
        for tweet in value.items("includes.tweets") ?? [] {
            if let id = tweet["id"]?.idString { included[id] = tweet }
        }
        var mentions: [Mention] = []
        var listed = Set<String>()
        var unreadable = 0
        for tweet in tweets {
            guard var mention = mention(tweet, users: users) else { unreadable += 1; continue }
            let references = tweet.items("referenced_tweets") ?? []
            if let retweeted = references.first(where: { $0["type"]?.stringValue == "retweeted" })?["id"]?.idString {
                // The original once a page, however many of its retweets the page holds.
                if !listed.contains(retweeted), let original = included[retweeted], let first = self.mention(original, users: users) {
                    listed.insert(retweeted)
                    mentions.append(first)
                }
                mention.reshareOf = retweeted
                // A retweet's public_metrics are its original's: not counts of its own.
                (mention.reshares, mention.replies, mention.likes, mention.quotes) = (nil, nil, nil, nil)
            }
            guard listed.insert(mention.id).inserted else { continue }
            mentions.append(mention)
        }
        let newest = value[path: "meta.newest_id"]?.idString ?? NumericID.newest(tweets.compactMap { $0["id"]?.idString })
        var page = MentionPage(mentions: mentions, newestCursor: newest, nextPage: value[path: "meta.next_token"]?.text)
        page.unreadable = unreadable
        return page
    }

    func mention(_ tweet: JSONValue, users: [String: JSONValue]) -> Mention? {
        guard let id = tweet["id"]?.idString else { return nil }
        var mention = Mention(source: source.name, id: id)
        let authorID = tweet["author_id"]?.idString
        let user = authorID.flatMap { users[$0] }
        mention.author = user?["username"]?.text ?? authorID
        mention.read(\.authorFollowers, "public_metrics.followers_count", user?[path: "public_metrics.followers_count"])
        mention.url = "https://x.com/\(user?["username"]?.text ?? "i/web")/status/\(id)"
        mention.createdAt = tweet["created_at"]?.stringValue.flatMap(Timestamp.normalize)
        mention.noteUnread("created_at", tweet["created_at"], if: mention.createdAt == nil)
        // X escapes `&`, `<` and `>` in a post's text, and nothing else.
        mention.text = (tweet[path: "note_tweet.text"]?.stringValue ?? tweet["text"]?.stringValue).map(HTMLText.unescapingAmpLtGt)
        mention.lang = tweet["lang"]?.text
        for (count, field) in [(\Mention.reshares, "retweet_count"), (\.replies, "reply_count"), (\.likes, "like_count"), (\.quotes, "quote_count")] {
            mention.read(count, "public_metrics." + field, tweet[path: "public_metrics." + field])
        }
        for reference in tweet.items("referenced_tweets") ?? [] {
            switch reference["type"]?.stringValue {
            case "quoted": mention.quoteOf = reference["id"]?.idString
            case "replied_to": mention.replyTo = reference["id"]?.idString
            default: break
            }
        }
        // Every post of a thread carries its first post's id: the brand's reply to a complaint
        // that is itself a reply is found under that, never under the complaint's own.
        if let conversation = tweet["conversation_id"]?.idString, conversation != id { mention.thread = conversation }
        return mention
    }

    package func countsRequests(for ids: [String], batched: Bool) -> [HTTPRequest] {
        stride(from: 0, to: ids.count, by: 100).map { start in
            request(url("/2/tweets", [
                ("ids", ids[start..<min(start + 100, ids.count)].joined(separator: ",")), ("tweet.fields", Self.tweetFields),
                ("expansions", "author_id"), ("user.fields", "public_metrics"),
            ]))
        }
    }

    /// A lookup where no post asked about can be read answers 200 with only `errors`, one per
    /// post (gone: "Not Found Error"; a protected or suspended account's: "Authorization
    /// Error"), each naming its post: no counts, and no reason to stop refreshing the others.
    package func parseCounts(_ body: Data) throws(FeedError) -> [Mention] {
        let value = try json(body)
        if value["data"] == nil, let errors = value.items("errors"), !errors.isEmpty, errors.allSatisfy({ $0["resource_id"] != nil }) {
            return []
        }
        return try parseMentions(body).mentions
    }

    /// X searches the last seven days: a `since_id` older than that is refused with a 400 that
    /// names it, for as long as it is sent.
    package func refusesCursor(_ response: HTTPResponse) -> Bool {
        response.status == 400 && String(decoding: response.body.prefix(4096), as: UTF8.self).contains("since_id")
    }

    package func resharersRequest(for id: String) -> HTTPRequest? {
        request(url("/2/tweets/\(FeedURL.encode(id))/retweeted_by", [("user.fields", "public_metrics"), ("max_results", "100")]))
    }

    package func parseResharers(_ body: Data) throws(FeedError) -> [Resharer] {
        let value = try json(body)
        guard value.objectValue != nil else { throw FeedError(.unexpectedShape, "expected an object with `data`") }
        return (value.items("data") ?? []).compactMap { user in
            user["username"]?.text.map { Resharer(account: $0, followers: user[path: "public_metrics.followers_count"]?.intValue) }
        }
    }

    /// The brand's posts in the thread that reply to the author (`to:`, which the reply to the
    /// complaint and to the customer's follow-up both are).
    package func answersRequest(for id: String, thread: String?, author: String) -> HTTPRequest? {
        let brand = source.brandAccounts.map { "from:" + AccountHandle.bare($0) }
        guard !brand.isEmpty else { return nil }
        let from = brand.count == 1 ? brand[0] : "(" + brand.joined(separator: " OR ") + ")"
        return request(url("/2/tweets/search/recent", [
            ("query", "conversation_id:\(thread ?? id) \(from) to:\(AccountHandle.bare(author))"), ("max_results", "100"),
            ("tweet.fields", Self.tweetFields), ("expansions", "author_id"), ("user.fields", "public_metrics"),
        ]))
    }

    package func repliesRequest(for id: String, thread: String?) -> HTTPRequest? {
        request(url("/2/tweets/search/recent", [
            ("query", "conversation_id:\(thread ?? id)"), ("max_results", "100"), ("tweet.fields", Self.tweetFields),
            ("expansions", "author_id"), ("user.fields", "public_metrics"),
        ]))
    }
}
