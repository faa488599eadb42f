import ForeshockSupport
import Foundation

/// One post as every adapter reports it, whatever network it came from.
package struct Mention: Sendable, Equatable {
    /// The configured source name (the kind, in `foreshock parse`).
    package var source: String
    package var id: String
    package var url: String?
    package var author: String?
    package var authorFollowers: Int?
    /// When the post was made, RFC 3339 in UTC keeping the source's fractional seconds.
    package var createdAt: String?
    package var reshares: Int?
    package var replies: Int?
    package var likes: Int?
    package var quotes: Int?
    package var replyTo: String?
    package var reshareOf: String?
    package var quoteOf: String?
    package var lang: String?
    /// Plain text: HTML stripped, entities decoded.
    package var text: String?
    /// The id its network reads its thread under, where that is not its own: X's
    /// `conversation_id`, the thread's first post, for a post that is itself a reply.
    package var thread: String?

    package init(source: String, id: String) {
        self.source = source
        self.id = id
    }

    /// `createdAt` as a date.
    package var createdDate: Date? { createdAt.flatMap(Timestamp.parse) }

    /// One JSON object with exactly the keys `foreshock parse` prints, null where there is no value.
    package var jsonLine: String {
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
