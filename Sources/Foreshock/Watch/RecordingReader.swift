import Foundation

/// Reads a recording: JSON Lines of observations in time order, as `watch --record` writes
/// them. Unknown types and keys are ignored; a malformed line is reported with its number and
/// skipped, never fatal.
public struct RecordingReader: Sendable {
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public var line: Int
        public var reason: String
        public var description: String { "line \(line): \(reason)" }
    }

    public init() {}

    /// Decodes one line.
    /// - Returns: the observation, nil for a line to ignore (blank, or of an unknown type).
    /// - Throws: `Problem` for a line that cannot be read.
    /// Decodes one line given as UTF-8 bytes (without its newline).
    public func observation(_ line: ArraySlice<UInt8>, number: Int) throws(Problem) -> Observation? {
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D }
        guard let first = line.firstIndex(where: { !isSpace($0) }), let last = line.lastIndex(where: { !isSpace($0) }) else { return nil }
        let value: JSONValue
        do {
            value = try JSONValue.parse(bytes: Array(line[first...last]))
        } catch {
            throw Problem(line: number, reason: error.description)
        }
        guard value.objectValue != nil else { throw Problem(line: number, reason: "expected a JSON object, got \(value.kindName)") }
        guard let type = value["type"]?.stringValue else { throw Problem(line: number, reason: "no \"type\"") }
        guard ["post", "reshare", "counts", "answer"].contains(type) else { return nil }
        guard let time = Self.time(value["time"]) else { throw Problem(line: number, reason: "\"time\" is missing or not RFC 3339 or Unix seconds") }
        let source = value["source"]?.stringValue ?? ""
        let idField = type == "post" ? "id" : "post"
        guard let id = value[idField]?.idString else { throw Problem(line: number, reason: "no \"\(idField)\"") }
        let key = PostKey(source: source, id: id)
        func followers() -> Double? { value["followers"]?.doubleValue.flatMap { $0.isFinite && $0 >= 0 ? $0 : nil } }
        switch type {
        case "post":
            return .post(key: key, time: time, createdAt: Self.time(value["created_at"]) ?? time, author: value["author"]?.stringValue,
                         followers: followers(), text: value["text"]?.stringValue, url: value["url"]?.stringValue)
        case "reshare":
            return .reshare(key: key, time: time, user: value["user"]?.idString, followers: followers())
        case "counts":
            return .counts(key: key, time: time, reshares: value["reshares"]?.intValue, replies: value["replies"]?.intValue,
                           likes: value["likes"]?.intValue, quotes: value["quotes"]?.intValue)
        default:
            return .answer(key: key, time: time, author: value["author"]?.stringValue)
        }
    }

    /// RFC 3339 text or Unix seconds.
    static func time(_ value: JSONValue?) -> Double? {
        switch value {
        case .number(let seconds)?: return seconds.isFinite ? seconds : nil
        case .string(let text)?: return Timestamp.parse(text)?.timeIntervalSince1970 ?? Double(text)
        default: return nil
        }
    }
}

/// Writes observations as recording lines (`watch --record`).
public enum RecordingWriter {
    public static func line(_ observation: Observation) -> String {
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
        return "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }
}
