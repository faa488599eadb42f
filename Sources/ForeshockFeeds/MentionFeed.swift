import ForeshockConfig
import ForeshockSupport
import ForeshockTransport
import Foundation

/// One network's API: how to ask for new mentions and how to read what comes back. Like
/// swift-log's `LogHandler`, this is the one small protocol every adapter implements; the
/// polling, cursors, rate limits, credentials and retries around it live in `FeedPoller`, once.
package protocol MentionFeed: Sendable {
    /// The source this feed reads, as configured.
    var source: SourceConfig { get }

    /// The request for mentions newer than `cursor` (nil on the first poll). `page` is a
    /// continuation from the previous response's `MentionPage.nextPage`, when one full page did
    /// not reach back to the cursor; with no cursor, from its `MentionPage.olderPage`.
    func mentionsRequest(after cursor: String?, page: String?) -> HTTPRequest

    /// Reads one response body of the mentions endpoint (or of the re-poll endpoint, which
    /// answers in the same shape for every kind but Hacker News).
    /// - Parameter body: The response body as received.
    /// - Returns: The mentions in it and the cursors to continue from.
    /// - Throws: `FeedError` with one line saying what is wrong with the body.
    func parseMentions(_ body: Data) throws(FeedError) -> MentionPage

    /// Requests that fetch fresh counts of posts already seen, or none if the API has no such
    /// endpoint. `batched: false` asks for one request per post (older Mastodon servers).
    func countsRequests(for ids: [String], batched: Bool) -> [HTTPRequest]

    /// Reads a response of a `countsRequests` request.
    func parseCounts(_ body: Data) throws(FeedError) -> [Mention]

    /// Whether an error answer to `mentionsRequest` refuses the cursor itself, so that sending
    /// it again can only fail again (a position the API no longer searches). The poller then
    /// starts again from the latest page, as on its first poll.
    func refusesCursor(_ response: HTTPResponse) -> Bool

    /// A cursor for what is posted after `time`, or nil where the API cannot be asked by time.
    /// A first poll that finds nothing leaves no cursor of its own, and without one the next
    /// poll would read only the latest page of whatever burst came since.
    func cursor(at time: Date) -> String?

    /// The request for the accounts that reshared a post, or nil where the API does not say.
    func resharersRequest(for id: String) -> HTTPRequest?

    /// Reads a `resharersRequest` response.
    func parseResharers(_ body: Data) throws(FeedError) -> [Resharer]

    /// The request for the replies to a post (to see whether the brand answered), or nil.
    /// - Parameters:
    ///   - id: the post whose replies are wanted.
    ///   - thread: the id its thread goes under, when the post's mention named one
    ///     (`Mention.thread`).
    /// - Returns: a request whose answer holds the post's replies and the replies to those, as
    ///   deep as the API goes in one call; nil where the API cannot say.
    func repliesRequest(for id: String, thread: String?) -> HTTPRequest?

    /// The request for the brand's replies to the post's author in the post's thread, where the
    /// API can search for just those (X's thread may hold thousands of replies, of which a search
    /// gives the newest hundred): every post in its answer by a brand account answers the post.
    /// Nil where the API cannot (then `repliesRequest`). Read with `parseReplies`.
    /// - Parameters:
    ///   - id: the post.
    ///   - thread: the id its thread goes under (`Mention.thread`), if not its own.
    ///   - author: who wrote the post.
    func answersRequest(for id: String, thread: String?, author: String) -> HTTPRequest?

    /// Reads a `repliesRequest` response.
    func parseReplies(_ body: Data) throws(FeedError) -> [Mention]

    /// What this API needs from the poller beyond asking and reading: the poller asks a feed
    /// what it needs, never which network it is.
    var needs: FeedNeeds { get }

    /// An account's name as this API's answers compare: `brand_accounts` as people write them
    /// and the authors the answers name both go through it, so `@Acme` is `acme`, and on
    /// Mastodon `@acme@server` is the `acme` its own server names without the domain.
    func accountKey(_ name: String) -> String

    /// The requests for the follower counts of accounts the API named without them (authors in
    /// search results, resharers), in as many batches as the API needs; none when the API names
    /// accounts with their followers (or cannot say at all).
    func followersRequests(for accounts: [String]) -> [HTTPRequest]

    /// Reads a `followersRequests` response: the accounts with their followers.
    func parseFollowers(_ body: Data) throws(FeedError) -> [Resharer]

    /// The streaming request (server-sent events) that pushes new mentions as they are made, or
    /// nil when the source is only polled.
    func streamRequest() -> HTTPRequest?

    /// Reads one event of the stream: the mentions it carries, nil for an event that carries
    /// none (a deletion, a heartbeat).
    /// - Throws: `FeedError` when an event that should carry a mention does not.
    func parseStreamEvent(type: String, data: String) throws(FeedError) -> [Mention]?
}

/// The quirks of an API the poller has to know about, declared by the feed.
package struct FeedNeeds: Sendable, Equatable {
    /// How the poller gets the credential each request carries.
    package enum Authentication: Sendable, Equatable {
        /// None, or a static bearer token the feed puts on its own requests.
        case none
        /// OAuth client credentials exchanged for a token the poller renews (Reddit).
        case clientCredentials
        /// A session logged into with an app password and refreshed (Bluesky).
        case session
    }

    package var authentication: Authentication = .none
    /// An empty answer after a cursor may mean the post the cursor names was deleted (Reddit's
    /// `before`): step back to the previous cursor seen instead of waiting on it for ever.
    package var olderCursorWhenEmpty = false
    /// A 404 or 410 to a batched counts request means the server is too old for it (Mastodon
    /// before 4.3): ask one post at a time from then on.
    package var countsOneByOneWhenBatchMissing = false
    /// A cursor made from a time (`cursor(at:)`) may mean nothing to some servers of this API (a
    /// Mastodon-API server whose ids are not snowflakes would answer nothing to it for ever): one
    /// that finds nothing is dropped, and the next poll reads the latest page. Elsewhere it stays
    /// until a post replaces it, so no burst after a quiet start is cut to its latest page.
    package var timeCursorMayBeMisread = false
    /// A full page continues to older posts, down to the cursor (X's `next_token`, Bluesky's
    /// `cursor`, Algolia's pages, Mastodon's search), rather than to newer ones from it: when a
    /// later page fails for a while (a 503, a timeout), the cursor stays where it was, or what
    /// lay below that page would be skipped for good. Forward pages move it, losing nothing.
    package var pagesGoBack = true
    /// Fresh counts are asked one request a post (Algolia's `/items/:id`): an answer 404 or
    /// 410 names that post gone, not the endpoint missing.
    package var countsRequestPerPost = false
    /// A counts answer is the post's thread too (Algolia's `/items/:id` carries its
    /// `children`): the brand's replies are read from it at each refresh (`parseReplies`), with
    /// no call of their own, instead of at the next thread read, ten minutes on.
    package var countsCarryReplies = false

    package init(authentication: Authentication = .none, olderCursorWhenEmpty: Bool = false, countsOneByOneWhenBatchMissing: Bool = false,
                 timeCursorMayBeMisread: Bool = false, pagesGoBack: Bool = true, countsRequestPerPost: Bool = false, countsCarryReplies: Bool = false) {
        self.countsCarryReplies = countsCarryReplies
        self.authentication = authentication
        self.olderCursorWhenEmpty = olderCursorWhenEmpty
        self.countsOneByOneWhenBatchMissing = countsOneByOneWhenBatchMissing
        self.timeCursorMayBeMisread = timeCursorMayBeMisread
        self.pagesGoBack = pagesGoBack
        self.countsRequestPerPost = countsRequestPerPost
    }
}

/// An account that reshared a post. `followers` is nil when the API did not say.
package struct Resharer: Sendable, Equatable {
    package var account: String
    package var followers: Int?

    package init(account: String, followers: Int?) {
        self.account = account
        self.followers = followers
    }
}

/// What one response of a mentions endpoint held.
package struct MentionPage: Sendable {
    /// Mentions in the order the API sent them (originals before the reshares that wrap them).
    package var mentions: [Mention]
    /// The cursor that asks for what is newer than everything on this page.
    package var newestCursor: String?
    /// How to continue towards the previous cursor when this page was full; nil when the API
    /// says there is nothing more.
    package var nextPage: String?
    /// How to continue to what is older than this full page, asked with no cursor; nil where the
    /// API cannot be paged back. The poller asks only when all the listing holds is new: it was
    /// empty at the last poll, and an API that cannot be asked by time (notification ids, a
    /// server whose ids are no snowflakes) would otherwise give a first burst's latest page only.
    package var olderPage: String?
    /// The cursors of the posts below the newest on this page, newest first: where a feed whose
    /// cursor's post may vanish (`FeedNeeds.olderCursorWhenEmpty`) steps back to. Read from a
    /// latest page, they make a quiet listing cost one call a poll from the start (and after a
    /// restart), not two.
    package var olderCursors: [String] = []
    /// The API says more matched than it gives at all (Algolia's 1,000 hits): after a cursor,
    /// some new mentions are not read.
    package var moreThanGiven = false
    /// Items the page listed that could not be read as a post (a JSON feed's item with nothing
    /// at its `fields.id`): skipped, and worth a word, since a wrong mapping reads nothing at all.
    package var unreadable = 0
    /// Per field of a JSON feed's mapping, the items where it held a value that is not what the
    /// field is (a time no format reads, an object for a name): left empty, and worth a word,
    /// since an unreadable time makes an old post look new.
    package var misread: [String: Misread] = [:]

    /// How often one field held what it cannot be, and the first such value; or, for a JSON
    /// feed's mapping, a path that named nothing in any item of the answer.
    package struct Misread: Sendable, Equatable {
        package var count: Int
        package var example: String
        /// A field of a JSON feed's mapping (`fields.NAME`), else one of a network's API.
        package var mapped = true
        /// The mapping's path, when it named nothing in any of `count` items (`example` then
        /// says what the first item has there instead): a misspelt path reads as a feed whose
        /// posts never spread, and nothing would page.
        package var absentPath: String? = nil

        /// The key of `misread` for a JSON feed's `cursor_field`, which is no field of `fields`.
        package static let cursorField = "cursor_field"

        /// How a message names the field: its key in the config (`fields.reshares`,
        /// `cursor_field`), or the API's own name for it.
        package func named(_ field: String) -> String {
            !mapped ? "the API's \(field)" : field == Self.cursorField ? field : "fields.\(field)"
        }
    }

    /// `misread` with the fields the network adapters found unreadable post by post
    /// (`Mention.unread`).
    package var allMisread: [String: Misread] {
        var all = misread
        for mention in mentions {
            for (field, example) in mention.unread {
                all[field, default: Misread(count: 0, example: example, mapped: false)].count += 1
            }
        }
        return all
    }

    package init(mentions: [Mention], newestCursor: String? = nil, nextPage: String? = nil) {
        self.mentions = mentions
        self.newestCursor = newestCursor
        self.nextPage = nextPage
    }
}

extension MentionFeed {
    /// How far a post has spread where it is voted up, not reshared (a Hacker News story, a
    /// Reddit post): its upvotes beyond the one every post starts with, its author's. Without
    /// them such a post would never spread at all, and no rule would ever hold for it.
    package static func upvotesAsReshares(_ score: Int?) -> Int? {
        score.map { max(0, $0 - 1) }
    }

    /// A post's text: its title, the page it links to, and its body, a blank line between, as a
    /// Mastodon post's text carries its links. A story or link post often names the brand only
    /// in its link ("Their support lost my order" linking `https://acme.com/…`), and the
    /// complaint lexicon and the alert's excerpt read the text; the link comes before the body,
    /// which an excerpt may cut. Only an http(s) link with a host (`WebLink.safe`), and none on
    /// `ownHosts` or under them (the network's own pages and images name no one).
    static func text(title: String, linking link: String?, body: String?, except ownHosts: [String] = []) -> String {
        var shown: String?
        if let link = WebLink.safe(link), let host = URLParts(link).host?.lowercased(),
           !ownHosts.contains(where: { host == $0 || host.hasSuffix("." + $0) }) {
            shown = link
        }
        return [title, shown ?? "", body ?? ""].filter { !$0.isEmpty }.joined(separator: "\n\n")
    }

    package func accountKey(_ name: String) -> String { AccountHandle.bare(name) }

    package func countsRequests(for ids: [String], batched: Bool) -> [HTTPRequest] { [] }
    package func parseCounts(_ body: Data) throws(FeedError) -> [Mention] { try parseMentions(body).mentions }
    package func refusesCursor(_ response: HTTPResponse) -> Bool { false }
    package func cursor(at time: Date) -> String? { nil }
    package func resharersRequest(for id: String) -> HTTPRequest? { nil }
    package func parseResharers(_ body: Data) throws(FeedError) -> [Resharer] { [] }
    package func repliesRequest(for id: String, thread: String?) -> HTTPRequest? { nil }
    package func answersRequest(for id: String, thread: String?, author: String) -> HTTPRequest? { nil }
    package func parseReplies(_ body: Data) throws(FeedError) -> [Mention] { try parseMentions(body).mentions }
    package var needs: FeedNeeds { FeedNeeds() }
    package func followersRequests(for accounts: [String]) -> [HTTPRequest] { [] }
    package func parseFollowers(_ body: Data) throws(FeedError) -> [Resharer] { [] }
    package func streamRequest() -> HTTPRequest? { nil }
    package func parseStreamEvent(type: String, data: String) throws(FeedError) -> [Mention]? { nil }

    /// Decodes a body as JSON, ids written as numbers past 2⁵³ kept exact.
    func json(_ body: Data) throws(FeedError) -> JSONValue {
        do {
            return try JSONValue.parse(bytes: [UInt8](body), exactIntegers: true)
        } catch {
            throw FeedError.notJSON([UInt8](body.prefix(400)), error)
        }
    }

    /// A base URL joined with a path and query items, each value percent-encoded.
    func url(_ path: String, _ query: [(String, String?)] = []) -> String {
        FeedURL.join(source.baseURL + path, query)
    }

    /// A GET with the source's timeouts and TLS settings, and its static bearer token if it has one.
    func request(_ url: String) -> HTTPRequest {
        var request = source.httpRequest(url)
        request.headers.add("Accept", "application/json")
        if let token = source.token?.value { request.headers.add("Authorization", "Bearer \(token)") }
        return request
    }
}

/// Building query strings the way every API here expects them.
enum FeedURL {
    static func join(_ base: String, _ query: [(String, String?)]) -> String {
        let items = query.compactMap { name, value in value.map { "\(name)=\(encode($0))" } }
        guard !items.isEmpty else { return base }
        return base + (base.contains("?") ? "&" : "?") + items.joined(separator: "&")
    }

    static func encode(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }
}

/// Reading values out of API payloads leniently: a missing optional field is nil, not an error.
extension JSONValue {
    /// A string, or a whole number written as a number (ids come both ways); what must not reach
    /// a terminal or a header raw is written `%XX` (`SafeText.identifier`).
    package var idString: String? {
        switch self {
        case .string(let text): return text.isEmpty ? nil : SafeText.identifier(text)
        case .number(let number) where number.rounded() == number && abs(number) < 9e15: return String(Int64(number))
        default: return nil
        }
    }

    /// A non-empty string.
    var text: String? {
        if case .string(let text) = self, !text.isEmpty { return text }
        return nil
    }

    /// The elements of an array, or nil when this is not one.
    package func items(_ path: String) -> [JSONValue]? { self[path: path]?.arrayValue }
}

/// Ids that are decimal numbers written as strings (Mastodon, X): compare by value, not text.
enum NumericID {
    static func newer(_ a: String, than b: String) -> Bool {
        let x = a.drop { $0 == "0" }, y = b.drop { $0 == "0" }
        return x.count != y.count ? x.count > y.count : x > y
    }

    static func newest(_ ids: [String]) -> String? {
        ids.reduce(nil) { best, id in best.map { newer(id, than: $0) ? id : $0 } ?? id }
    }
}
