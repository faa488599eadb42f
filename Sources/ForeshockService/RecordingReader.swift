import ForeshockCore
import ForeshockSupport
import Foundation

/// Reads a recording: JSON Lines of observations in the order the watch learned of them, as
/// `watch --record` writes them (`seen` where a line is older than those before it). Unknown
/// keys are ignored; a line of an unknown type (a misspelt `"reshar"`) or a malformed one is
/// reported with its number and skipped, never fatal.
package struct RecordingReader: Sendable {
    package struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        package var line: Int
        package var reason: String
        /// Every bad line is skipped, and every message says so.
        package var description: String { "line \(line): \(reason); skipped" }
    }

    package init() {}

    /// The members a recording line may have that the reader reads; others are ignored.
    enum Field: Int, CaseIterable {
        case type, time, createdAt, source, id, post, author, followers, text, url, user, reshares, replies, likes, quotes, seen, carried

        var name: String {
            switch self {
            case .createdAt: return "created_at"
            default: return String(describing: self)
            }
        }

        static let names: [[UInt8]] = allCases.map { Array($0.name.utf8) }

        /// The field a member's name (as UTF-8) is, if the reader reads it.
        static func named(_ bytes: ArraySlice<UInt8>) -> Int? {
            guard let first = bytes.first else { return nil }
            for (place, name) in names.enumerated() where name.count == bytes.count && name[0] == first && name.elementsEqual(bytes) {
                return place
            }
            return nil
        }
    }

    /// The fields of one line, kept without building its whole object (nor an array of them:
    /// a line is read in well under a microsecond, and an allocation would be much of that).
    struct Fields {
        private var type, time, createdAt, source, id, post, author, followers, text, url, user, reshares, replies, likes, quotes, seen, carried: JSONValue?

        subscript(field: Field) -> JSONValue? {
            get {
                switch field {
                case .type: type
                case .time: time
                case .createdAt: createdAt
                case .source: source
                case .id: id
                case .post: post
                case .author: author
                case .followers: followers
                case .text: text
                case .url: url
                case .user: user
                case .reshares: reshares
                case .replies: replies
                case .likes: likes
                case .quotes: quotes
                case .seen: seen
                case .carried: carried
                }
            }
            set {
                switch field {
                case .type: type = newValue
                case .time: time = newValue
                case .createdAt: createdAt = newValue
                case .source: source = newValue
                case .id: id = newValue
                case .post: post = newValue
                case .author: author = newValue
                case .followers: followers = newValue
                case .text: text = newValue
                case .url: url = newValue
                case .user: user = newValue
                case .reshares: reshares = newValue
                case .replies: replies = newValue
                case .likes: likes = newValue
                case .quotes: quotes = newValue
                case .seen: seen = newValue
                case .carried: carried = newValue
                }
            }
        }

        mutating func set(_ place: Int, _ value: JSONValue) {
            if let field = Field(rawValue: place) { self[field] = value }
        }
    }

    /// Decodes one line given as UTF-8 bytes (without its newline).
    /// - Returns: the observation, nil for a blank line or one of the state journal's own.
    /// - Throws: `Problem` for a line that cannot be read.
    /// - Parameter fullParser: read the line's whole object first, as a line the fast path
    ///   passes over is read (for tests that hold the two to the same answers).
    package func observation(_ line: ArraySlice<UInt8>, number: Int, fullParser: Bool = false) throws(Problem) -> Observation? {
        try observed(line, number: number, fullParser: fullParser)?.observation
    }

    /// Decodes one line with when the watch learned of it: its `seen`, where the line has one
    /// (a reshare dated from a list of resharers, the brand's answer: what happened before the
    /// lines written ahead of it), else its `time`.
    /// - Returns: nil for a blank line or one of the state journal's own; `carried` for a line
    ///   a new file starts with, repeating what the file before holds (`RecordingFile`).
    /// - Throws: `Problem` for a line that cannot be read.
    package func observed(_ line: ArraySlice<UInt8>, number: Int, fullParser: Bool = false) throws(Problem) -> (observation: Observation, seen: Double, carried: Bool)? {
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D }
        guard let first = line.firstIndex(where: { !isSpace($0) }), let last = line.lastIndex(where: { !isSpace($0) }) else { return nil }
        let text = line[first...last]
        var fields = Fields()
        if fullParser || !JSONParser.members(text, slot: Field.named, keep: { fields.set($0, $1) }) {
            // Not a plain object: the full parser says what is wrong, or reads what is unusual.
            let value: JSONValue
            do {
                value = try JSONValue.parse(bytes: Array(text))
            } catch {
                throw Problem(line: number, reason: error.description)
            }
            guard value.objectValue != nil else { throw Problem(line: number, reason: "expected a JSON object, got \(value.kindName)") }
            for field in Field.allCases { fields[field] = value[field.name] }
        }
        guard let observation = try Self.observation(fields, number: number) else { return nil }
        var carried = false
        if let given = fields[.carried] {
            guard let flag = given.boolValue else { throw Problem(line: number, reason: "\"carried\" is not true or false") }
            carried = flag
        }
        guard let given = fields[.seen], given != .null else { return (observation, observation.time, carried) }
        guard let seen = Self.time(given) else { throw Problem(line: number, reason: "\"seen\" is not RFC 3339 or Unix seconds from 1970 to 9999") }
        // A carried line repeats, at a rotation, what happened before it: replay plays it at its
        // time (`RecordingDecoder`), and one dated later would move the clock past the file.
        if carried, observation.time > seen + 1 { throw Problem(line: number, reason: "a carried line dated after its \"seen\", when it was written") }
        return (observation, max(seen, observation.time), carried)
    }

    private static func observation(_ value: Fields, number: Int) throws(Problem) -> Observation? {
        guard let type = value[.type]?.stringValue else { throw Problem(line: number, reason: "no \"type\"") }
        guard ["post", "reshare", "counts", "answer"].contains(type) else {
            // The state journal is a recording too, with the watch's own lines between the observations.
            if StateJournal.stateTypes.contains(type) { return nil }
            throw Problem(line: number, reason: "unknown type \(JSONText.quote(SafeText.cut(type, 40))) (a line is a post, reshare, counts or answer)")
        }
        guard let time = Self.time(value[.time]) else { throw Problem(line: number, reason: "\"time\" is missing, or not RFC 3339 or Unix seconds from 1970 to 9999") }
        let source = SafeText.identifier(value[.source]?.stringValue ?? "")
        let idField: Field = type == "post" ? .id : .post
        guard let id = value[idField]?.idString else { throw Problem(line: number, reason: "no \"\(idField.name)\"") }
        let key = PostKey(source: source, id: id)
        // A count that is there must be a number: "many" followers or 2.5 reshares is a damaged
        // line, said and skipped, not a number the scorer would take or drop without a word.
        // Reshares, replies and quotes cannot be negative either. Likes can (Reddit's score),
        // and a negative follower count is no count (a Mastodon fork's -1 for a hidden one,
        // which journals written before the watch dropped it still hold): unknown.
        func count(_ field: Field, whole: Bool, signed: Bool = false) throws(Problem) -> Double? {
            guard let given = value[field], given != .null else { return nil }
            guard let amount = given.doubleValue, amount.isFinite, signed || amount >= 0, !whole || given.intValue != nil else {
                let shown = switch given {
                case .number(let value): JSONText.number(value)
                case .string(let text): JSONText.quote(SafeText.cut(text, 40))
                default: given.kindName
                }
                throw Problem(line: number, reason: "\"\(field.name)\" is \(shown), not a count")
            }
            return amount
        }
        func followers() throws(Problem) -> Double? { MentionObservations.followers(try count(.followers, whole: false, signed: true)) }
        switch type {
        case "post":
            return .post(key: key, time: time, createdAt: Self.time(value[.createdAt]) ?? time, author: value[.author]?.stringValue,
                         followers: try followers(), text: value[.text]?.stringValue, url: WebLink.safe(value[.url]?.stringValue))
        case "reshare":
            return .reshare(key: key, time: time, user: value[.user]?.idString, followers: try followers())
        case "counts":
            func whole(_ field: Field, signed: Bool = false) throws(Problem) -> Int? { try count(field, whole: true, signed: signed).map { Int($0) } }
            return .counts(key: key, time: time, reshares: try whole(.reshares), replies: try whole(.replies),
                           likes: try whole(.likes, signed: true), quotes: try whole(.quotes))
        default:
            return .answer(key: key, time: time, author: value[.author]?.stringValue)
        }
    }

    /// RFC 3339 text or Unix seconds, from 1970 to the end of 9999 (what RFC 3339 can write,
    /// and what alerts print): a time far outside that is a bad line, not years of ticks.
    static func time(_ value: JSONValue?) -> Double? {
        let seconds: Double?
        switch value {
        case .number(let number)?: seconds = number
        case .string(let text)?: seconds = Timestamp.parse(text)?.timeIntervalSince1970 ?? Double(text)
        default: seconds = nil
        }
        guard let seconds, seconds.isFinite, seconds >= 0, seconds <= latest else { return nil }
        return seconds
    }

    /// 9999-12-31T23:59:59Z.
    static let latest = 253_402_300_799.0
}

/// Writes observations as recording lines (`watch --record`).
package enum RecordingWriter {
    /// - Parameter seen: when the watch learned of it; written as `seen` where it is past the
    ///   observation's `time`, so that replay runs its clock as the watch's ran.
    /// - Parameter carried: a line a new file starts with, repeating one the file before holds
    ///   (`RecordingFile`): replay drops it for a post it knows already.
    package static func line(_ observation: Observation, seen: Double? = nil, carried: Bool = false) -> String {
        func time(_ t: Double) -> String { JSONText.quote(Timestamp.format(Date(timeIntervalSince1970: t))) }
        func number(_ value: Double?) -> String { JSONText.number(value) }
        func int(_ value: Int?) -> String { value.map(String.init) ?? "null" }
        let fields: [(String, String)]
        switch observation {
        case .post(let key, let t, let created, let author, let followers, let text, let url):
            fields = [("type", "\"post\""), ("time", time(t)), ("created_at", time(created)), ("source", JSONText.quote(key.source)),
                      ("id", JSONText.quote(key.id)), ("author", JSONText.string(author)), ("followers", number(followers)),
                      ("text", JSONText.string(text)), ("url", JSONText.string(url))]
        case .reshare(let key, let t, let user, let followers):
            fields = [("type", "\"reshare\""), ("time", time(t)), ("source", JSONText.quote(key.source)), ("post", JSONText.quote(key.id)),
                      ("user", JSONText.string(user)), ("followers", number(followers))]
        case .counts(let key, let t, let reshares, let replies, let likes, let quotes):
            fields = [("type", "\"counts\""), ("time", time(t)), ("source", JSONText.quote(key.source)), ("post", JSONText.quote(key.id)),
                      ("reshares", int(reshares)), ("replies", int(replies)), ("likes", int(likes)), ("quotes", int(quotes))]
        case .answer(let key, let t, let author):
            fields = [("type", "\"answer\""), ("time", time(t)), ("source", JSONText.quote(key.source)), ("post", JSONText.quote(key.id)),
                      ("author", JSONText.string(author))]
        }
        var written = fields
        // A second's slack: a post's or counter's own line is stamped when it was seen. A carried
        // line always is: it was written at the rotation, whatever its time.
        if let seen, carried || seen > observation.time + 1 { written.insert(("seen", time(seen)), at: 2) }
        if carried { written.insert(("carried", "true"), at: 2) }
        return "{" + written.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }
}
