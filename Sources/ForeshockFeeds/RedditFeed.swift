import ForeshockConfig
import ForeshockSupport
import ForeshockTransport
import Foundation

/// Reddit's OAuth API: site search sorted by new, or a subreddit's new posts. The forward cursor
/// is the newest fullname (`t3_…`) passed as `before`.
package struct RedditFeed: MentionFeed {
    package let source: SourceConfig
    static let pageSize = 100

    package init(source: SourceConfig) {
        self.source = source
    }

    /// An app's client credentials, and `before` naming a post that may since have been deleted.
    package var needs: FeedNeeds { FeedNeeds(authentication: .clientCredentials, olderCursorWhenEmpty: true, pagesGoBack: false) }

    /// Reddit's names are written `u/acme` as often as `acme`; its answers name `acme`.
    package func accountKey(_ name: String) -> String {
        let lower = name.lowercased()
        for prefix in ["/u/", "u/"] where lower.hasPrefix(prefix) { return String(lower.dropFirst(prefix.count)) }
        return AccountHandle.bare(lower)
    }

    package func mentionsRequest(after cursor: String?, page: String?) -> HTTPRequest {
        // `before` returns what is newer than it; a full page continues from its own newest item.
        let before = page ?? cursor
        let query = source.query ?? ""
        if source.mode == .subreddit {
            let name = query.hasPrefix("r/") ? String(query.dropFirst(2)) : query
            return request(url("/r/\(FeedURL.encode(name))/new", [("limit", String(Self.pageSize)), ("before", before), ("raw_json", "1")]))
        }
        return request(url("/search", [("q", query), ("sort", "new"), ("limit", String(Self.pageSize)), ("before", before), ("raw_json", "1")]))
    }

    package func parseMentions(_ body: Data) throws(FeedError) -> MentionPage {
        let value = try json(body)
        guard value["kind"]?.stringValue == "Listing", let children = value.items("data.children") else {
            if let message = value["message"]?.text ?? value["error"]?.idString {
                throw FeedError(.unexpectedShape, "the server answered with an error: \(message)")
            }
            // The API's other error shape: `{"json": {"errors": [["RATELIMIT", "you are doing that too much", "ratelimit"]]}}`.
            if let errors = value[path: "json.errors"]?.arrayValue, let first = errors.first?.arrayValue?.compactMap(\.text), !first.isEmpty {
                throw FeedError(.unexpectedShape, "the server answered with an error: \(first.prefix(2).joined(separator: ": "))")
            }
            throw FeedError(.unexpectedShape, "expected a Listing with data.children")
        }
        var mentions: [Mention] = []
        var fullnames: [String] = []
        var unreadable = 0
        for child in children {
            // `more` stands for comments not sent (a count and their ids), not for a post.
            let kind = child["kind"]?.stringValue
            if kind == "more" { continue }
            guard let data = child["data"], let mention = mention(kind: kind, data) else { unreadable += 1; continue }
            mentions.append(mention)
            if let name = data["name"]?.text { fullnames.append(name) }
        }
        // Listings come newest first.
        let full = children.count >= Self.pageSize
        var page = MentionPage(mentions: mentions, newestCursor: fullnames.first, nextPage: full ? fullnames.first : nil)
        page.olderCursors = Array(fullnames.dropFirst().prefix(8))
        page.unreadable = unreadable
        return page
    }

    func mention(kind: String?, _ data: JSONValue) -> Mention? {
        // Posts (t3) and comments (t1): a listing may also hold subreddits, accounts, messages
        // and awards, and `more` (comments not sent), none of them a post.
        guard let kind, kind == "t3" || kind == "t1", let id = data["id"]?.idString else { return nil }
        var mention = Mention(source: source.name, id: Self.id(fullname: "\(kind)_\(id)"))
        mention.author = Self.present(data["author"]?.text)
        // A path on reddit.com: anything else appended would name another host.
        if let permalink = data["permalink"]?.text, permalink.hasPrefix("/"), !permalink.hasPrefix("//") { mention.url = "https://www.reddit.com" + permalink }
        mention.createdAt = data["created_utc"]?.doubleValue.flatMap(Timestamp.fromEpochSeconds)
        mention.noteUnread("created_utc", data["created_utc"], if: mention.createdAt == nil)
        // `score` is ups less downs; `ups` alone where a client or cache left `score` out.
        let score = data["score"].flatMap { $0.isNull ? nil : $0 } == nil ? "ups" : "score"
        // A comment whose score is hidden (a new one, in a subreddit that hides them for a
        // while) is sent with a score of 1 in its place: no count. A post's `hide_score` only
        // tells clients to hide a score that is real.
        if !(kind == "t1" && data["score_hidden"]?.boolValue == true) { mention.read(\.likes, score, data[score], signed: true) }
        mention.lang = nil
        if kind == "t1" {
            mention.text = Self.present(data["body"]?.stringValue)
            mention.replyTo = data["parent_id"]?.idString.map(Self.id(fullname:))
            mention.replies = nil
        } else {
            // A link post's `url` is the page it shares (a self post's is its own permalink).
            let link = data["is_self"]?.boolValue == true ? nil : data["url_overridden_by_dest"]?.text ?? data["url"]?.text
            let text = Self.text(title: Self.present(data["title"]?.stringValue) ?? "", linking: link, body: Self.present(data["selftext"]?.stringValue), except: Self.ownHosts)
            mention.text = text.isEmpty ? nil : text
            // Posts are voted up far more than crossposted: the upvotes are how one spreads.
            mention.reshares = Self.upvotesAsReshares(mention.likes)
            mention.read(\.replies, "num_comments", data["num_comments"])
            // A crosspost is a post of its own, not a reshare of its parent: as a reshare it
            // would turn the parent's spread from its upvotes to its crossposts, which are few.
        }
        return mention
    }

    /// Reddit's own pages and image hosts: a link there (a crosspost, an uploaded picture) is
    /// no page a brand is named on.
    static let ownHosts = ["reddit.com", "redd.it", "redditmedia.com", "redditstatic.com"]

    /// Nil for Reddit's placeholders: a deleted account is no one in particular (every deleted
    /// author would otherwise be one person), and removed text is not what the post said, nor
    /// is the title and text Reddit's admins put in place of what they removed ("[ Removed by
    /// Reddit ]", "[ Removed by Reddit on account of violating the content policy. ]").
    static func present(_ value: String?) -> String? {
        guard let value else { return nil }
        if value == "[deleted]" || value == "[removed]" { return nil }
        // Reddit's own words, not a title that quotes them ("[ Removed by Reddit ] again [OC]").
        let removed = value == "[ Removed by Reddit ]"
            || value.hasPrefix("[ Removed by Reddit on account of violating the ") && value.hasSuffix(" ]") && !value.contains("\n") && value.count < 200
        return removed ? nil : value
    }

    /// A fullname as Foreshock names the post or comment: posts and comments are numbered
    /// apart, so the same base-36 id may name one of each. A post goes by its bare id, as its
    /// links name it (`t3_abc` → `abc`); a comment by its fullname (`t1_xyz`).
    static func id(fullname: String) -> String {
        fullname.hasPrefix("t3_") ? String(fullname.dropFirst(3)) : fullname
    }

    /// `id(fullname:)` the other way, as `/api/info` asks for it.
    static func fullname(id: String) -> String {
        id.hasPrefix("t1_") ? id : "t3_\(id)"
    }

    package func countsRequests(for ids: [String], batched: Bool) -> [HTTPRequest] {
        stride(from: 0, to: ids.count, by: 100).map { start in
            request(url("/api/info", [("id", ids[start..<min(start + 100, ids.count)].map(Self.fullname(id:)).joined(separator: ",")), ("raw_json", "1")]))
        }
    }

    package func repliesRequest(for id: String, thread: String?) -> HTTPRequest? {
        request(url("/comments/\(FeedURL.encode(id))", [("sort", "new"), ("limit", "500"), ("depth", String(ThreadWalk.depth)), ("raw_json", "1")]))
    }

    /// `/comments/:id` answers with two Listings: the post, then its comments.
    package func parseReplies(_ body: Data) throws(FeedError) -> [Mention] {
        guard let listings = try json(body).arrayValue, listings.count == 2, listings[1].items("data.children") != nil else {
            throw FeedError(.unexpectedShape, "expected the post's Listing and its comments' Listing")
        }
        // A comment's `replies` is a Listing of its own ("" when none): the brand may answer
        // the customer's follow-up.
        return ThreadWalk.flatten(listings[1], children: { ($0["kind"]?.stringValue == "Listing" ? $0.items("data.children") : $0.items("data.replies.data.children")) ?? [] },
                                  read: { child in child["data"].flatMap { mention(kind: child["kind"]?.stringValue, $0) } })
    }
}
