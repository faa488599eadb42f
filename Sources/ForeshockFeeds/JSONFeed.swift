import ForeshockConfig
import ForeshockSupport
import ForeshockTransport
import Foundation

/// Any endpoint that returns JSON: `items` says where the array is, `fields` which dotted path
/// in an item holds each `Mention` field. A cursor, if configured, is the largest value of
/// `cursor_field` seen, sent back as `cursor_param`.
package struct JSONFeed: MentionFeed {
    package let source: SourceConfig

    package init(source: SourceConfig) {
        self.source = source
    }

    package func mentionsRequest(after cursor: String?, page: String?) -> HTTPRequest {
        let base = source.url?.value ?? ""
        var request = request(FeedURL.join(base, [(source.cursorParam ?? "", source.cursorParam == nil ? nil : cursor)]))
        for (name, value) in source.headers.sorted(by: { $0.key < $1.key }) { request.headers.set(name, value) }
        return request
    }

    package func parseMentions(_ body: Data) throws(FeedError) -> MentionPage {
        let value = try json(body)
        let path = source.items ?? ""
        let found = path.isEmpty || path == "." ? value : value[path: path]
        guard let items = found?.arrayValue else {
            throw FeedError(.unexpectedShape, found == nil ? "no `\(path)` in the response" : "`\(path)` is \(found!.kindName), not an array")
        }
        var mentions: [Mention] = []
        var cursors: [JSONValue] = []
        var unreadable = 0
        for item in items {
            guard let mention = mention(item) else { unreadable += 1; continue }
            mentions.append(mention)
            if let field = source.cursorField, let cursor = item[path: field] { cursors.append(cursor) }
        }
        var page = MentionPage(mentions: mentions, newestCursor: Self.largest(cursors))
        page.unreadable = unreadable
        return page
    }

    func mention(_ item: JSONValue) -> Mention? {
        func field(_ name: String) -> JSONValue? { source.fields[name].flatMap { item[path: $0] } }
        guard let id = field("id")?.idString else { return nil }
        var mention = Mention(source: source.name, id: id)
        mention.url = field("url")?.text
        mention.author = field("author")?.idString
        mention.authorFollowers = field("author_followers")?.intValue
        if let created = field("created_at") {
            // Text is read as text only: "2024" is no time in 1970, and neither is the number 2024.
            mention.createdAt = if let text = created.stringValue { Self.time(text) } else { created.doubleValue.flatMap(Self.plausibleEpoch) }
        }
        mention.reshares = field("reshares")?.intValue
        mention.replies = field("replies")?.intValue
        mention.likes = field("likes")?.intValue
        mention.quotes = field("quotes")?.intValue
        mention.replyTo = field("reply_to")?.idString
        mention.reshareOf = field("reshare_of")?.idString
        mention.quoteOf = field("quote_of")?.idString
        mention.lang = field("lang")?.text
        if let text = field("text")?.stringValue {
            mention.text = text.contains("<") ? HTMLText.plain(text) : text
        }
        return mention
    }

    /// A time as any JSON API may write it: RFC 3339; the same without a zone (`2024-11-24
    /// 07:19:04`, taken as UTC, as such APIs mean); an HTTP date (`Sun, 24 Nov 2024 07:19:04
    /// GMT`); or epoch seconds, milliseconds or microseconds as text.
    static func time(_ text: String) -> String? {
        if let normalized = Timestamp.normalize(text) { return normalized }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let utc = Timestamp.normalize(trimmed + "Z") { return utc }
        // Digits as text are an epoch only where one is likely (1973 to 2096, in seconds,
        // milliseconds or microseconds): "2024" or "20241124" is not a time in 1970.
        if let value = Double(trimmed) { return plausibleEpoch(value) }
        return Timestamp.parseHTTPDate(trimmed, formats: [Timestamp.httpDateFormat, Timestamp.mailDateFormat]).map(Timestamp.format)
    }

    /// Epoch seconds, milliseconds (past 10¹¹: the year 5138 in seconds) or microseconds (past
    /// 10¹⁴), as seconds.
    static func seconds(_ value: Double) -> Double {
        value > 1e14 ? value / 1e6 : value > 1e11 ? value / 1000 : value
    }

    /// An epoch in seconds, milliseconds or microseconds as RFC 3339 UTC, if it falls from 1973
    /// to 2096.
    static func plausibleEpoch(_ value: Double) -> String? {
        value.isFinite && (1e8...4e9).contains(seconds(value)) ? epoch(value) : nil
    }

    /// Epoch seconds, milliseconds or microseconds as RFC 3339 UTC.
    static func epoch(_ value: Double) -> String {
        Timestamp.fromEpoch(seconds(value))
    }

    /// Numbers compare as numbers, numeric strings by value, timestamps by time, anything else as text.
    static func largest(_ values: [JSONValue]) -> String? {
        let texts = values.compactMap { $0.idString ?? $0.doubleValue.map { String($0) } }
        guard !texts.isEmpty else { return nil }
        if texts.allSatisfy({ $0.allSatisfy(\.isNumber) }) { return NumericID.newest(texts) }
        if texts.allSatisfy({ Timestamp.parse($0) != nil }) { return texts.max { Timestamp.parse($0)! < Timestamp.parse($1)! } }
        return texts.max()
    }
}
