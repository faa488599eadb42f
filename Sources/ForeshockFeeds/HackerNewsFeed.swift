import ForeshockConfig
import ForeshockSupport
import ForeshockTransport
import Foundation

/// Hacker News through Algolia's `search_by_date`: stories and comments, newest first. The
/// cursor is the newest `created_at_i`; each poll re-reads a small overlap before it, and never
/// pages past Algolia's 1,000-hit ceiling.
package struct HackerNewsFeed: MentionFeed {
    package let source: SourceConfig
    /// Algolia's largest page: a burst of a thousand comments is one call, not ten.
    static let pageSize = 1000
    static let maxHits = 1000
    /// Seconds re-read before the cursor: Algolia indexes a few seconds late and out of order.
    static let overlap = 300

    package init(source: SourceConfig) {
        self.source = source
    }

    package func mentionsRequest(after cursor: String?, page: String?) -> HTTPRequest {
        let since = cursor.flatMap(Int.init).map { "created_at_i>\(max(0, $0 - Self.overlap))" }
        // Parentheses make it "story OR comment"; a bare comma would mean AND.
        return request(url("/api/v1/search_by_date", [
            ("query", source.query ?? ""), ("tags", "(story,comment)"), ("hitsPerPage", String(Self.pageSize)),
            ("numericFilters", since), ("page", page),
        ]))
    }

    package func parseMentions(_ body: Data) throws(FeedError) -> MentionPage {
        let value = try json(body)
        guard let hits = value.items("hits") else {
            if let message = value["message"]?.text { throw FeedError(.unexpectedShape, "the server answered with an error: \(message)") }
            throw FeedError(.unexpectedShape, "expected `hits`, got \(value.kindName)")
        }
        let mentions = hits.compactMap(mention)
        let newest = hits.compactMap { $0["created_at_i"]?.intValue }.max()
        var next: String?
        if let page = value["page"]?.intValue, let pages = value["nbPages"]?.intValue, page + 1 < pages,
           let perPage = value["hitsPerPage"]?.intValue, (page + 1) * perPage < Self.maxHits {
            next = String(page + 1)
        }
        var page = MentionPage(mentions: mentions, newestCursor: newest.map(String.init), nextPage: next)
        page.unreadable = hits.count - mentions.count
        // More matched than Algolia lets anyone page to: the oldest of them are not read.
        page.moreThanGiven = next == nil && (value["nbHits"]?.intValue ?? 0) > (value["page"]?.intValue ?? 0) * (value["hitsPerPage"]?.intValue ?? 0) + hits.count
        return page
    }

    func mention(_ hit: JSONValue) -> Mention? {
        guard let id = hit["objectID"]?.idString ?? hit["id"]?.idString else { return nil }
        var mention = Mention(source: source.name, id: id)
        // Items are numbered: anything else in the link would be read as more of its query.
        if id.allSatisfy({ $0.isASCII && $0.isNumber }) { mention.url = "https://news.ycombinator.com/item?id=\(id)" }
        mention.author = hit["author"]?.text
        mention.createdAt = hit["created_at"]?.stringValue.flatMap(Timestamp.normalize)
            ?? hit["created_at_i"]?.doubleValue.flatMap(Timestamp.fromEpochSeconds)
        let timeField = hit["created_at"] == nil && hit["created_at_i"] != nil ? "created_at_i" : "created_at"
        mention.noteUnread(timeField, hit[timeField], if: mention.createdAt == nil)
        mention.read(\.likes, "points", hit["points"], signed: true)
        // Stories are voted up, not reshared (a comment's points Algolia no longer gives).
        mention.reshares = Self.upvotesAsReshares(mention.likes)
        mention.read(\.replies, "num_comments", hit["num_comments"])
        mention.replyTo = hit["parent_id"]?.idString
        if let title = hit["title"]?.text, !title.isEmpty {
            // An Ask HN or other text post says what it is about in its body, not its title.
            let body = Self.first(hit, "story_text", "text").map { HTMLText.plain($0) } ?? ""
            // A story's `url` is the page it is about, often the only place the brand is named.
            // A title may carry entities (`&lt;`, `&gt;`: the HN API's README) but never a tag:
            // a literal `<dialog>` in one is what it says, not markup to drop.
            mention.text = Self.text(title: HTMLText.decodingEntities(title), linking: hit["url"]?.text, body: body)
        } else if let body = Self.first(hit, "comment_text", "story_text", "text") {
            // A comment, or a story with no title (an Ask HN whose title is null): its body.
            mention.text = HTMLText.plain(body)
        }
        return mention
    }

    /// The first of `keys` that holds text: Algolia sends the others as null.
    static func first(_ hit: JSONValue, _ keys: String...) -> String? {
        keys.lazy.compactMap { hit[$0]?.text }.first
    }

    /// The cursor is a `created_at_i`.
    package func cursor(at time: Date) -> String? { String(Int(time.timeIntervalSince1970)) }

    /// One `/items/:id` a post.
    package var needs: FeedNeeds { FeedNeeds(countsRequestPerPost: true, countsCarryReplies: true) }

    /// Algolia has no batch lookup: one `/items/:id` per post.
    package func countsRequests(for ids: [String], batched: Bool) -> [HTTPRequest] {
        ids.map { request(url("/api/v1/items/\(FeedURL.encode($0))")) }
    }

    /// An item with its nested `children`: replies are counted over the whole tree.
    package func parseCounts(_ body: Data) throws(FeedError) -> [Mention] {
        let item = try json(body)
        guard item.objectValue != nil, var mention = mention(item) else {
            throw FeedError(.unexpectedShape, "expected an item object with an id")
        }
        func descendants(_ node: JSONValue) -> Int {
            (node.items("children") ?? []).reduce(0) { $0 + 1 + descendants($1) }
        }
        mention.replies = descendants(item)
        return [mention]
    }

    package func repliesRequest(for id: String, thread: String?) -> HTTPRequest? {
        request(url("/api/v1/items/\(FeedURL.encode(id))"))
    }

    package func parseReplies(_ body: Data) throws(FeedError) -> [Mention] {
        let value = try json(body)
        // Every item has `children`, empty when no one replied: without it, this is no item, and
        // reading it as "no replies" would page an answered complaint as unanswered.
        guard value.items("children") != nil else {
            if let message = value["message"]?.text ?? value["error"]?.text { throw FeedError(.unexpectedShape, "the server answered with an error: \(message)") }
            throw FeedError(.unexpectedShape, "expected an item with `children`, got \(value.kindName)\(value.objectValue != nil ? " without them" : "")")
        }
        // Replies to replies too, each naming its parent: the brand may answer a follow-up.
        return ThreadWalk.flatten(value, children: { $0.items("children") ?? [] }, read: mention)
    }
}
