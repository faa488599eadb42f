import ForeshockSupport
import Foundation

/// One post as every adapter reports it, whatever network it came from.
package struct Mention: Sendable, Equatable {
    /// The configured source name (the kind, in `foreshock parse`).
    package var source: String
    package var id: String
    package var url: String?
    package var author: String?
    /// The author's lasting id where the network names one beside the handle people know it
    /// by (Bluesky's DID): a brand account may be given either way.
    package var authorID: String?
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
    /// Fields of the API's answer that held what they cannot (a time no format reads, no
    /// account), by the API's name, with the value as sent ("absent" when missing): left empty
    /// here, and said by the poller (`MentionPage.allMisread`).
    package var unread: [String: String] = [:]

    package init(source: String, id: String) {
        self.source = source
        self.id = id
    }

    /// Notes `field` as unread (`unread`) when `condition` holds: its value as sent, or absent.
    mutating func noteUnread(_ field: String, _ value: JSONValue?, if condition: Bool) {
        guard condition else { return }
        unread[field] = value.map { $0.isNull ? "null" : String($0.jsonText.prefix(60)) } ?? "absent"
    }

    /// Sets a count from the API's `field`: a whole number (or its digits in a string), else
    /// nothing, noted as unread by the API's name when something else was there (a fraction,
    /// 1e23, "five"), as is a count below zero unless `signed` (a score). Absent or null is
    /// no count, and no misread.
    mutating func read(_ count: WritableKeyPath<Mention, Int?>, _ field: String, _ value: JSONValue?, signed: Bool = false) {
        guard let value, !value.isNull else { self[keyPath: count] = nil; return }
        guard let number = value.intValue, signed || number >= 0 else {
            self[keyPath: count] = nil
            noteUnread(field, value, if: true)
            return
        }
        self[keyPath: count] = number
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
