import ForeshockConfig
import ForeshockSupport
import ForeshockTransport
import Foundation

/// Mastodon's REST API: a hashtag timeline, status search or the account's mention
/// notifications. Ids are strings holding big numbers; `min_id` pages forward from the cursor.
package struct MastodonFeed: MentionFeed {
    package let source: SourceConfig
    static let pageSize = 40

    package init(source: SourceConfig) {
        self.source = source
    }

    package func mentionsRequest(after cursor: String?, page: String?) -> HTTPRequest {
        // On timelines min_id returns the statuses right after it, so a full page is continued
        // from its newest id. Search returns the newest above min_id, so a full page of it is
        // continued below its oldest (max_id), down to the cursor. With no cursor a page goes on
        // below the oldest (`olderPage`) everywhere.
        let (minID, maxID) = cursor == nil ? (nil, page) : (page ?? cursor, nil)
        let limit = String(Self.pageSize)
        switch source.mode ?? .tag {
        case .search:
            return request(url("/api/v2/search", [("q", source.query ?? ""), ("type", "statuses"), ("resolve", "false"), ("limit", limit),
                                                  ("min_id", cursor), ("max_id", page)]))
        case .mentions:
            return request(url("/api/v1/notifications", [("types[]", "mention"), ("limit", limit), ("min_id", minID), ("max_id", maxID)]))
        case .tag, .subreddit:
            return request(url("/api/v1/timelines/tag/\(FeedURL.encode(tag))", [("limit", limit), ("min_id", minID), ("max_id", maxID)]))
        }
    }

    /// Status ids are snowflakes, milliseconds since 1970 shifted 16 bits; notification ids are
    /// a plain sequence, which no time names.
    package func cursor(at time: Date) -> String? {
        guard source.mode != .mentions, time.timeIntervalSince1970 > 0 else { return nil }
        return String(UInt64(time.timeIntervalSince1970 * 1000) << 16)
    }

    /// `GET /api/v1/statuses?id[]=` came with Mastodon 4.3; older servers answer 404. A
    /// snowflake made from a time means nothing to a server whose ids are not snowflakes
    /// (GoToSocial's are ULIDs).
    package var needs: FeedNeeds {
        FeedNeeds(countsOneByOneWhenBatchMissing: true, timeCursorMayBeMisread: true, pagesGoBack: source.mode == .search)
    }

    /// An account's `acct` is its bare username on its own server and `username@domain`
    /// elsewhere: `@acme@server` names the same account as `acme` when `server` is this
    /// source's host. Any other domain is another person (a server whose accounts carry a
    /// domain other than its host's has its brand accounts given bare).
    package func accountKey(_ name: String) -> String {
        let (user, domain) = AccountHandle.parts(name)
        guard let domain else { return user }
        return domain == URLParts(source.baseURL).host?.lowercased() ? user : "\(user)@\(domain)"
    }

    /// A hashtag source with `stream: true` also listens on `/api/v1/streaming/hashtag`.
    package func streamRequest() -> HTTPRequest? {
        guard source.stream, (source.mode ?? .tag) == .tag else { return nil }
        var request = request(url("/api/v1/streaming/hashtag", [("tag", tag)]))
        request.timeout = 0 // a stream lasts as long as the server keeps it open
        request.headers.set("Accept", "text/event-stream")
        return request
    }

    /// An `update` event is one status, as the timelines give it; the others carry no mention.
    package func parseStreamEvent(type: String, data: String) throws(FeedError) -> [Mention]? {
        guard type == "update" else { return nil }
        let page = try parseMentions(Data("[\(data)]".utf8))
        // One status an event: one not read is the event's failure, said by the stream.
        if page.unreadable > 0 { throw FeedError(.unexpectedShape, "the status is not an object with an id") }
        return page.mentions
    }

    /// The hashtag the source follows, without its `#`.
    var tag: String {
        let query = source.query ?? ""
        return query.hasPrefix("#") ? String(query.dropFirst()) : query
    }

    package func parseMentions(_ body: Data) throws(FeedError) -> MentionPage {
        let value = try json(body)
        var statuses: [JSONValue]
        var cursorIDs: [String] = []
        var isNotifications = false
        if let array = value.arrayValue {
            // A mentions source reads notifications even when none on the page has a status (a
            // server that ignores `types[]` sends follows and favourites, which must not become
            // posts by the follower under the notification's id).
            // Read without a source (`parse`): a notification has a `type` and an `account`; a
            // status has neither `type` nor a notification's lack of `content`.
            if source.mode == .mentions || array.contains(where: { $0["type"]?.stringValue != nil && ($0["status"] != nil || ($0["account"] != nil && $0["content"] == nil)) }) {
                // Notifications: the cursor is the notification id, the mention is its status.
                isNotifications = true
                cursorIDs = array.compactMap { $0["id"]?.idString }
                // `status` is optional: a mention whose status is gone (null) carries nothing.
                statuses = array.compactMap { $0["type"]?.stringValue == "mention" ? $0["status"].flatMap { $0.objectValue != nil ? $0 : nil } : nil }
            } else {
                statuses = array
            }
        } else if let found = value.items("statuses") {
            statuses = found
        } else if let error = value["error"]?.stringValue {
            throw FeedError(.unexpectedShape, "the server answered with an error: \(error)")
        } else {
            throw FeedError(.unexpectedShape, "expected an array of statuses (or v2 search results), got \(value.kindName)")
        }
        var mentions: [Mention] = []
        var unreadable = 0
        for status in statuses {
            // Skipped and counted, not the whole page refused: it would stay in the answer and
            // fail every poll until it left.
            guard status.objectValue != nil, let wrapperID = status["id"]?.idString else { unreadable += 1; continue }
            if !isNotifications { cursorIDs.append(wrapperID) }
            if let original = status["reblog"], original != .null {
                // A boost of what cannot be read is not a post of its own.
                guard original.objectValue != nil, let boosted = self.mention(original) else { unreadable += 1; continue }
                mentions.append(boosted)
                var boost = self.mention(status) ?? Mention(source: source.name, id: wrapperID)
                boost.reshareOf = boosted.id
                boost.text = nil
                mentions.append(boost)
            } else if let mention = self.mention(status) {
                mentions.append(mention)
            }
        }
        let newest = NumericID.newest(cursorIDs)
        let full = (value.arrayValue?.count ?? statuses.count) >= Self.pageSize
        let oldest = cursorIDs.min { NumericID.newer($1, than: $0) }
        var page = MentionPage(mentions: mentions, newestCursor: newest, nextPage: full ? (source.mode == .search ? oldest : newest) : nil)
        page.olderPage = full ? oldest : nil
        page.unreadable = unreadable
        return page
    }

    func mention(_ status: JSONValue) -> Mention? {
        guard let id = status["id"]?.idString else { return nil }
        var mention = Mention(source: source.name, id: id)
        mention.url = status["url"]?.text ?? status["uri"]?.text
        mention.author = status[path: "account.acct"]?.text
        mention.read(\.authorFollowers, "account.followers_count", status[path: "account.followers_count"])
        mention.createdAt = status["created_at"]?.stringValue.flatMap(Timestamp.normalize)
        mention.noteUnread("created_at", status["created_at"], if: mention.createdAt == nil)
        mention.noteUnread("account.acct", status[path: "account.acct"] ?? status["account"], if: mention.author == nil)
        mention.read(\.reshares, "reblogs_count", status["reblogs_count"])
        mention.read(\.replies, "replies_count", status["replies_count"])
        mention.read(\.likes, "favourites_count", status["favourites_count"])
        mention.read(\.quotes, "quotes_count", status["quotes_count"])
        mention.replyTo = status["in_reply_to_id"]?.idString
        // 4.4+ quotes carry `quote.quoted_status`, or only its id (a ShallowQuote, nested in a
        // quote); Fedibird-style servers send `quote_id` / `quote`.
        mention.quoteOf = status[path: "quote.quoted_status.id"]?.idString ?? status[path: "quote.quoted_status_id"]?.idString
            ?? status["quote_id"]?.idString ?? status[path: "quote.id"]?.idString
        mention.lang = status["language"]?.text
        if let content = status["content"]?.stringValue {
            let spoiler = status["spoiler_text"]?.text
            // Mastodon asks clients to drop a quote's "RE: link", there for clients that do not
            // show quotes: it would put the quoted post's address (the brand's, often) in the text.
            var text = HTMLText.plain(content, dropping: ["quote-inline"])
            // A poll's choices are the author's words too ("Acme support: awful / worse").
            let choices = (status.items("poll.options") ?? []).compactMap { $0["title"]?.text }.filter { !$0.isEmpty }
            if !choices.isEmpty { text += (text.isEmpty ? "" : "\n") + choices.map { "· " + $0 }.joined(separator: "\n") }
            mention.text = spoiler.map { text.isEmpty ? $0 : "\($0)\n\n\(text)" } ?? text
        } else {
            mention.text = status["text"]?.stringValue
        }
        return mention
    }

    package func countsRequests(for ids: [String], batched: Bool) -> [HTTPRequest] {
        if batched {
            return stride(from: 0, to: ids.count, by: 20).map { start in
                request(url("/api/v1/statuses", ids[start..<min(start + 20, ids.count)].map { ("id[]", $0) }))
            }
        }
        return ids.map { request(url("/api/v1/statuses/\(FeedURL.encode($0))")) }
    }

    package func parseCounts(_ body: Data) throws(FeedError) -> [Mention] {
        let value = try json(body)
        // One status alone (the one-by-one fallback) or an array of them.
        if value.objectValue != nil, value["id"] != nil { return mention(value).map { [$0] } ?? [] }
        return try parseMentions(body).mentions
    }

    package func resharersRequest(for id: String) -> HTTPRequest? {
        request(url("/api/v1/statuses/\(FeedURL.encode(id))/reblogged_by", [("limit", "80")]))
    }

    package func parseResharers(_ body: Data) throws(FeedError) -> [Resharer] {
        guard let accounts = try json(body).arrayValue else {
            throw FeedError(.unexpectedShape, "expected an array of accounts")
        }
        return accounts.compactMap { account in
            account["acct"]?.text.map { Resharer(account: $0, followers: account["followers_count"]?.intValue) }
        }
    }

    package func repliesRequest(for id: String, thread: String?) -> HTTPRequest? {
        request(url("/api/v1/statuses/\(FeedURL.encode(id))/context"))
    }

    package func parseReplies(_ body: Data) throws(FeedError) -> [Mention] {
        guard let descendants = try json(body).items("descendants") else {
            throw FeedError(.unexpectedShape, "expected a context with descendants")
        }
        return descendants.compactMap(mention)
    }
}
