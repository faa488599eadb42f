import Foundation

/// A decoder for `text/event-stream`: bytes in, in whatever pieces the network delivers them;
/// complete events out. Comment lines (`:` heartbeats) are dropped.
package struct ServerSentEvents: Sendable {
    package struct Event: Sendable, Equatable {
        package var type: String
        package var data: String
    }

    private var pending: [UInt8] = []
    private var type = ""
    private var data: [String] = []
    /// Longest line kept: a stream that never ends a line must not grow memory without bound.
    package static let maxLine = 4 << 20

    package init() {}

    /// Adds received bytes.
    /// - Returns: the events they completed.
    package mutating func feed(_ bytes: Data) -> [Event] {
        var events: [Event] = []
        pending.append(contentsOf: bytes)
        var start = 0
        var index = 0
        while index < pending.count {
            let byte = pending[index]
            if byte == 10 || byte == 13 {
                let end = index
                if byte == 13 {
                    // CRLF counts once; a lone CR at the end of the buffer waits for more.
                    if index + 1 >= pending.count { break }
                    if pending[index + 1] == 10 { index += 1 }
                }
                if let event = line(String(decoding: pending[start..<end], as: UTF8.self)) { events.append(event) }
                start = index + 1
            }
            index += 1
        }
        pending.removeFirst(start)
        if pending.count > Self.maxLine { pending.removeAll() }
        return events
    }

    private mutating func line(_ text: String) -> Event? {
        if text.isEmpty {
            defer { type = ""; data = [] }
            guard !data.isEmpty else { return nil }
            return Event(type: type.isEmpty ? "message" : type, data: data.joined(separator: "\n"))
        }
        if text.hasPrefix(":") { return nil }
        let field: Substring, value: Substring
        if let colon = text.firstIndex(of: ":") {
            field = text[..<colon]
            let rest = text[text.index(after: colon)...]
            value = rest.hasPrefix(" ") ? rest.dropFirst() : rest
        } else {
            field = Substring(text)
            value = ""
        }
        switch field {
        case "event": type = String(value)
        case "data": data.append(String(value))
        default: break
        }
        return nil
    }
}
