import Foundation

/// One post as every adapter reports it, whatever network it came from.
public struct Mention: Sendable, Equatable {
    /// The configured source name (the kind, in `foreshock parse`).
    public var source: String
    public var id: String
    public var url: String?
    public var author: String?
    public var authorFollowers: Int?
    /// When the post was made, RFC 3339 in UTC keeping the source's fractional seconds.
    public var createdAt: String?
    public var reshares: Int?
    public var replies: Int?
    public var likes: Int?
    public var quotes: Int?
    public var replyTo: String?
    public var reshareOf: String?
    public var quoteOf: String?
    public var lang: String?
    /// Plain text: HTML stripped, entities decoded.
    public var text: String?

    public init(source: String, id: String) {
        self.source = source
        self.id = id
    }

    /// `createdAt` as a date.
    public var createdDate: Date? { createdAt.flatMap(Timestamp.parse) }

    /// One JSON object with exactly the keys `foreshock parse` prints, null where there is no value.
    public var jsonLine: String {
        let fields: [(String, String)] = [
            ("source", JSONText.quote(source)), ("id", JSONText.quote(id)), ("url", JSONText.string(url)),
            ("author", JSONText.string(author)), ("author_followers", JSONText.number(authorFollowers.map(Double.init))),
            ("created_at", JSONText.string(createdAt)),
            ("reshares", JSONText.number(reshares.map(Double.init))), ("replies", JSONText.number(replies.map(Double.init))),
            ("likes", JSONText.number(likes.map(Double.init))), ("quotes", JSONText.number(quotes.map(Double.init))),
            ("reply_to", JSONText.string(replyTo)), ("reshare_of", JSONText.string(reshareOf)), ("quote_of", JSONText.string(quoteOf)),
            ("lang", JSONText.string(lang)), ("text", JSONText.string(text)),
        ]
        return "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }
}
