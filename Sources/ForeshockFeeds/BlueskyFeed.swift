import ForeshockConfig
import ForeshockSupport
import ForeshockTransport
import Foundation

/// Bluesky's AppView: `app.bsky.feed.searchPosts` sorted by latest. The forward cursor is the
/// newest `sortAt` seen (the earlier of a post's `createdAt` and `indexedAt`, which is what
/// `since` filters on); `since` is inclusive and indexing is not strictly ordered, so every poll
/// re-reads a small overlap and the poller drops what it has seen. A post indexed more than the
/// overlap after it was made, behind newer ones, is missed. Pages continue with the answer's
/// `cursor`.
package struct BlueskyFeed: MentionFeed {
    package let source: SourceConfig
    static let pageSize = 100
    /// Seconds re-read before the cursor.
    static let overlap: Double = 120
    static let publicAppView = "https://public.api.bsky.app"
    /// Where a logged-in client talks to: the public AppView takes no sessions.
    static let defaultPDS = "https://bsky.social"

    package init(source: SourceConfig) {
        var source = source
        if source.identifier != nil, source.baseURL == Self.publicAppView { source.baseURL = Self.defaultPDS }
        self.source = source
    }

    package func mentionsRequest(after cursor: String?, page: String?) -> HTTPRequest {
        let since = cursor.flatMap(Timestamp.parse).map { Timestamp.format($0.addingTimeInterval(-Self.overlap)) }
        return request(url("/xrpc/app.bsky.feed.searchPosts", [
            ("q", source.query ?? ""), ("sort", "latest"), ("limit", String(Self.pageSize)), ("since", since), ("cursor", page),
        ]))
    }

    package func parseMentions(_ body: Data) throws(FeedError) -> MentionPage {
        let value = try json(body)
        var mentions: [Mention] = []
        var sorted: [Date] = []
        var count = 0, unreadable = 0
        if let posts = value.items("posts") {
            count = posts.count
            for post in posts {
                // Skipped and counted, not the whole page refused: it would stay in the `since`
                // window, and fail every poll until it left.
                guard post.objectValue != nil, let mention = mention(post) else { unreadable += 1; continue }
                mentions.append(mention)
                if let at = Self.sortAt(post) { sorted.append(at) }
            }
        } else if let feed = value.items("feed") {
            // Author and timeline feeds: a repost is the post plus a `reason` saying who reposted.
            count = feed.count
            // A post reposted by several is in the feed once for each: listed once, before its
            // first repost, as X's reader lists a retweeted original.
            var listed: Set<String> = []
            for item in feed {
                guard item.objectValue != nil, let post = item["post"], let original = mention(post) else { unreadable += 1; continue }
                if listed.insert(original.id).inserted { mentions.append(original) }
                if let at = Self.sortAt(post) { sorted.append(at) }
                if item[path: "reason.$type"]?.stringValue == "app.bsky.feed.defs#reasonRepost" {
                    // A repost that names nobody is no one's: skipped and counted, not "?"'s.
                    guard let by = Self.account(item[path: "reason.by"] ?? .null) else { unreadable += 1; continue }
                    var repost = Mention(source: source.name, id: "\(original.id)#repost-by-\(item[path: "reason.by.did"]?.idString ?? by)")
                    repost.author = by
                    repost.read(\.authorFollowers, "reason.by.followersCount", item[path: "reason.by.followersCount"])
                    repost.createdAt = item[path: "reason.indexedAt"]?.stringValue.flatMap(Timestamp.normalize)
                    repost.reshareOf = original.id
                    mentions.append(repost)
                }
            }
        } else if case let said = [value["error"]?.text, value["message"]?.text].compactMap({ $0 }), !said.isEmpty {
            // XRPC's error body: `error` names it (AuthMissing), `message` may say more, or not be there.
            throw FeedError(.unexpectedShape, "the server answered with an error: \(said.joined(separator: ": "))")
        } else {
            throw FeedError(.unexpectedShape, "expected `posts` (searchPosts) or `feed`, got \(value.kindName)")
        }
        // A page may hold fewer than asked and still have more after it (the AppView filters
        // what it found): the cursor says so, not a full page.
        let next = count > 0 ? value["cursor"]?.text : nil
        var page = MentionPage(mentions: mentions, newestCursor: sorted.max().map(Timestamp.format), nextPage: next)
        page.unreadable = unreadable
        return page
    }

    /// The cursor is a time.
    package func cursor(at time: Date) -> String? { Timestamp.format(time) }

    /// A post's `sortAt`: the earlier of when its author says it was made and when the AppView
    /// indexed it.
    static func sortAt(_ post: JSONValue) -> Date? {
        let times = [post[path: "record.createdAt"], post["indexedAt"]].compactMap { $0?.stringValue.flatMap(Timestamp.parse) }
        return times.min()
    }

    /// How an account is named: its handle, or its DID when the handle failed verification
    /// (`handle.invalid` is every such account's, and would make them one person).
    static func account(_ profile: JSONValue) -> String? {
        if let handle = profile["handle"]?.text, handle != "handle.invalid" { return handle }
        return profile["did"]?.text
    }

    /// The most `createdAt` may come before `indexedAt` and still be when the post was made: a
    /// client sets `createdAt`, and an imported or backdated post can say 2019. A post cannot
    /// spread before anyone can see it, so past this its age counts from `indexedAt`; so it does
    /// when `createdAt` is after `indexedAt` (a client's clock ahead, or 2099) or is no time.
    static let backdatedAfter: Double = 600

    func mention(_ post: JSONValue) -> Mention? {
        guard let uri = post["uri"]?.idString else { return nil }
        var mention = Mention(source: source.name, id: uri)
        let author = Self.account(post["author"] ?? .null)
        mention.author = author
        mention.authorID = post[path: "author.did"]?.text
        mention.read(\.authorFollowers, "author.followersCount", post[path: "author.followersCount"])
        if let author, let rkey = uri.split(separator: "/").last {
            mention.url = "https://bsky.app/profile/\(author)/post/\(rkey)"
        }
        let record = post["record"] ?? .null
        mention.text = record["text"]?.stringValue
        let created = record["createdAt"]?.stringValue
        let indexed = post["indexedAt"]?.stringValue
        let made = created.flatMap(Timestamp.parse)
        if let seen = indexed.flatMap(Timestamp.parse), made.map({ $0 < seen.addingTimeInterval(-Self.backdatedAfter) || $0 > seen }) ?? true {
            mention.createdAt = indexed.flatMap(Timestamp.normalize)
        } else {
            mention.createdAt = created.flatMap(Timestamp.normalize)
        }
        mention.noteUnread("record.createdAt", record["createdAt"], if: mention.createdAt == nil)
        mention.lang = record.items("langs")?.first?.text
        mention.replyTo = record[path: "reply.parent.uri"]?.idString
        // A record embed may also show a feed, a list or a starter pack: only a post is a quote.
        // A lexicon type may name its main definition (`app.bsky.embed.record#main`).
        let embedded: String? = switch record[path: "embed.$type"]?.stringValue.map({ $0.hasSuffix("#main") ? String($0.dropLast(5)) : $0 }) {
        case "app.bsky.embed.record": record[path: "embed.record.uri"]?.idString
        case "app.bsky.embed.recordWithMedia": record[path: "embed.record.record.uri"]?.idString
        default: nil
        }
        mention.quoteOf = embedded.flatMap { $0.contains("/app.bsky.feed.post/") ? $0 : nil }
        mention.read(\.reshares, "repostCount", post["repostCount"])
        mention.read(\.replies, "replyCount", post["replyCount"])
        mention.read(\.likes, "likeCount", post["likeCount"])
        mention.read(\.quotes, "quoteCount", post["quoteCount"])
        return mention
    }

    package func countsRequests(for ids: [String], batched: Bool) -> [HTTPRequest] {
        stride(from: 0, to: ids.count, by: 25).map { start in
            request(url("/xrpc/app.bsky.feed.getPosts", ids[start..<min(start + 25, ids.count)].map { ("uris", $0) }))
        }
    }

    package func resharersRequest(for id: String) -> HTTPRequest? {
        request(url("/xrpc/app.bsky.feed.getRepostedBy", [("uri", id), ("limit", "100")]))
    }

    /// `getRepostedBy` names accounts without follower counts; the poller completes them with
    /// `followersRequests`.
    package func parseResharers(_ body: Data) throws(FeedError) -> [Resharer] {
        let value = try json(body)
        guard let accounts = value.items("repostedBy") ?? value.items("profiles") else {
            throw FeedError(.unexpectedShape, "expected `repostedBy` or `profiles`")
        }
        return accounts.compactMap { account in
            Self.account(account).map { Resharer(account: $0, followers: account["followersCount"]?.intValue) }
        }
    }

    /// `app.bsky.actor.getProfiles`, 25 accounts a call: the profiles that carry `followersCount`
    /// (search results and `getRepostedBy` name accounts by a view without counts).
    package func followersRequests(for actors: [String]) -> [HTTPRequest] {
        stride(from: 0, to: actors.count, by: 25).map { start in
            request(url("/xrpc/app.bsky.actor.getProfiles", actors[start..<min(start + 25, actors.count)].map { ("actors", $0) }))
        }
    }

    package func parseFollowers(_ body: Data) throws(FeedError) -> [Resharer] { try parseResharers(body) }

    /// Search is often refused logged out: with an app password, a session the poller keeps.
    package var needs: FeedNeeds { FeedNeeds(authentication: .session) }

    package func repliesRequest(for id: String, thread: String?) -> HTTPRequest? {
        request(url("/xrpc/app.bsky.feed.getPostThread", [("uri", id), ("depth", String(ThreadWalk.depth)), ("parentHeight", "0")]))
    }

    package func parseReplies(_ body: Data) throws(FeedError) -> [Mention] {
        // `replies` is optional in the lexicon's threadViewPost: a post nobody answered may have none.
        let thread = try json(body)["thread"]
        guard let thread, thread["post"]?.objectValue != nil else {
            throw FeedError(.unexpectedShape, "expected a thread with its post (a post not found or blocked has none)")
        }
        // Replies to replies too: the brand may answer the customer's follow-up.
        return ThreadWalk.flatten(thread, children: { $0.items("replies") ?? [] }, read: { $0["post"].flatMap(mention) })
    }
}
