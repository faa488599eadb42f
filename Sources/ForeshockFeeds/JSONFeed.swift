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
        var misread: [String: MentionPage.Misread] = [:]
        var firstRead: JSONValue?
        for item in items {
            guard let mention = mention(item, misread: &misread) else { unreadable += 1; continue }
            if firstRead == nil { firstRead = item }
            mentions.append(mention)
            if let field = source.cursorField, let cursor = item[path: field] { cursors.append(cursor) }
        }
        // A path that names nothing in any item read is a mistake in the mapping, not posts
        // without that field (an API writes null or 0 for those): said, with what is there.
        if let first = firstRead {
            var paths = Self.expectedInEvery.compactMap { name in source.fields[name].map { (name, $0) } }
            if let field = source.cursorField { paths.append((MentionPage.Misread.cursorField, field)) }
            for (name, path) in paths where misread[name] == nil && !items.contains(where: { $0[path: path] != nil }) {
                misread[name] = MentionPage.Misread(count: mentions.count, example: Self.nearby(path, in: first), absentPath: path)
            }
        }
        var page = MentionPage(mentions: mentions, newestCursor: Self.largest(cursors))
        page.unreadable = unreadable
        page.misread = misread
        return page
    }

    /// The mapped fields every post of a feed has, if its API has them at all; a reply's
    /// `reply_to`, a title or a language may well be missing from a whole page.
    static let expectedInEvery = ["author", "author_followers", "created_at", "reshares", "replies", "likes", "quotes", "text", "url"]

    /// What an item has where `path` names nothing: the members of the object the path ends in,
    /// or the first step of the path that is missing.
    static func nearby(_ path: String, in item: JSONValue) -> String {
        let steps = path.split(separator: ".").map(String.init)
        var reached: [String] = []
        var current = item
        for step in steps.dropLast() {
            guard let next = current[path: step] else { break }
            reached.append(step)
            current = next
        }
        let at = reached.isEmpty ? "the item" : reached.joined(separator: ".")
        guard reached.count == steps.count - 1, let members = current.objectValue?.keys.sorted() else {
            return "no \(steps[reached.count]) in \(at)"
        }
        return "\(at) has " + (members.isEmpty ? "nothing" : members.prefix(12).joined(separator: ", ") + (members.count > 12 ? ", …" : ""))
    }

    func mention(_ item: JSONValue, misread: inout [String: MentionPage.Misread]) -> Mention? {
        func field(_ name: String) -> JSONValue? { source.fields[name].flatMap { item[path: $0] } }
        guard let id = field("id")?.idString else { return nil }
        // A field that holds something (not null) it cannot be read as is counted, not taken
        // silently for a missing one.
        func read<T>(_ name: String, _ as: (JSONValue) -> T?) -> T? {
            guard let value = field(name), !value.isNull else { return nil }
            if let read = `as`(value) { return read }
            misread[name, default: MentionPage.Misread(count: 0, example: String(value.jsonText.prefix(60)))].count += 1
            return nil
        }
        var mention = Mention(source: source.name, id: id)
        // A path on the feed's own host (Discourse's `/t/slug/12`) is a link there.
        mention.url = read("url") { $0.text }.map { link in
            guard link.hasPrefix("/"), !link.hasPrefix("//"), let origin = URLParts(source.url?.value ?? "").origin else { return link }
            return origin + link
        }
        mention.author = read("author") { $0.idString }
        mention.authorFollowers = read("author_followers") { $0.intValue }
        // Text is read as text only: "2024" is no time in 1970, and neither is the number 2024.
        mention.createdAt = read("created_at") { created in
            if let text = created.stringValue { Self.time(text) } else { created.doubleValue.flatMap(Self.plausibleEpoch) }
        }
        // A count is none or more (likes may be a score, which can be less).
        func count(_ value: JSONValue) -> Int? { value.intValue.flatMap { $0 >= 0 ? $0 : nil } }
        mention.reshares = read("reshares", count)
        mention.replies = read("replies", count)
        mention.likes = read("likes") { $0.intValue }
        mention.quotes = read("quotes", count)
        mention.replyTo = read("reply_to") { $0.idString }
        mention.reshareOf = read("reshare_of") { $0.idString }
        mention.quoteOf = read("quote_of") { $0.idString }
        mention.lang = read("lang") { $0.text }
        // HTML, or text with HTML's entities (Discourse's excerpts, YouTube's textDisplay); a
        // title first, as Reddit's and Hacker News' posts read (Lemmy, GitHub, Stack Exchange).
        func plain(_ value: JSONValue) -> String? { value.stringValue.map { $0.contains("<") || $0.contains("&") ? HTMLText.plain($0) : $0 } }
        let parts = [read("title", plain), read("text", plain)].compactMap { $0 }.filter { !$0.isEmpty }
        mention.text = parts.isEmpty ? nil : parts.joined(separator: "\n\n")
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
        return Timestamp.parseHTTPDate(trimmed, formats: [Timestamp.httpDateFormat, Timestamp.mailDateFormat] + otherFormats).map(Timestamp.format)
    }

    /// Times JSON APIs write that are neither RFC 3339 nor HTTP's: Twitter's v1.1 and its
    /// copies (`Fri Jul 12 23:40:37 +0000 2019`), and Ruby's `Time#to_s` (`2019-07-12 23:40:37
    /// +0000`).
    static let otherFormats = ["EEE MMM dd HH:mm:ss Z yyyy", "yyyy-MM-dd HH:mm:ss Z"]

    /// Epoch seconds, milliseconds (past 10¹¹: the year 5138 in seconds) or microseconds (past
    /// 10¹⁴), as seconds.
    static func seconds(_ value: Double) -> Double {
        value > 1e14 ? value / 1e6 : value > 1e11 ? value / 1000 : value
    }

    /// An epoch in seconds, milliseconds or microseconds as RFC 3339 UTC, if it falls from 1973
    /// to 2096.
    static func plausibleEpoch(_ value: Double) -> String? {
        Timestamp.fromEpochSeconds(seconds(value))
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
