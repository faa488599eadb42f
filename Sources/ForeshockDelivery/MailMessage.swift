import ForeshockSupport
import Foundation

/// An RFC 5322 message with a `multipart/alternative` body (text and HTML), built so that no
/// value can end a header or add one: header values are single lines, non-ASCII ones RFC 2047
/// encoded (Hebrew subjects arrive readable), bodies base64 in 76-column lines.
package struct MailMessage: Sendable {
    package var from: String
    package var to: [String]
    package var subject: String
    package var messageID: String
    package var inReplyTo: String?
    package var references: [String] = []
    package var date: Date
    package var text: String
    package var html: String
    package var extraHeaders: [(String, String)] = []

    package init(from: String, to: [String], subject: String, messageID: String, date: Date, text: String, html: String) {
        self.from = from
        self.to = to
        self.subject = subject
        self.messageID = messageID
        self.date = date
        self.text = text
        self.html = html
    }

    /// The message as sent: CRLF line ends.
    package var data: Data {
        let boundary = "=_foreshock_" + String(UInt64(truncatingIfNeeded: messageID.hashValueFNV), radix: 16)
        var lines = [
            "Date: \(Self.rfc5322Date(date))",
            "Message-ID: \(messageID)",
            "From: \(from)",
            Self.folded("To", to, separator: ","),
            Self.header("Subject", subject),
            "MIME-Version: 1.0",
        ]
        if let inReplyTo { lines.append("In-Reply-To: \(inReplyTo)") }
        // RFC 5322 caps a line at 998 characters: a group of alerts names a thread for each.
        if !references.isEmpty { lines.append(Self.folded("References", references, separator: "")) }
        for (name, value) in extraHeaders { lines.append(Self.header(name, value)) }
        lines += [
            "Content-Type: multipart/alternative; boundary=\"\(boundary)\"",
            "",
            "This is a MIME message: a text part and an HTML part.",
            "--\(boundary)",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: base64",
            "",
        ]
        lines += Self.base64Lines(text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n"))
        lines += ["--\(boundary)", "Content-Type: text/html; charset=utf-8", "Content-Transfer-Encoding: base64", ""]
        lines += Self.base64Lines(html)
        lines += ["--\(boundary)--", ""]
        return Data(lines.joined(separator: "\r\n").utf8)
    }

    /// `Name: a, b, c` with one item a line after the first when they would not fit on one:
    /// folded (CRLF and a space) between items, never inside one.
    static func folded(_ name: String, _ items: [String], separator: String) -> String {
        var lines = ["\(name):"]
        for (index, item) in items.enumerated() {
            let piece = " " + item + (index < items.count - 1 ? separator : "")
            if lines[lines.count - 1].utf8.count + piece.utf8.count > 78, lines[lines.count - 1] != "\(name):" {
                lines.append(piece)
            } else {
                lines[lines.count - 1] += piece
            }
        }
        return lines.joined(separator: "\r\n")
    }

    /// `Name: value` on one logical line: control characters dropped, folded on spaces when
    /// long, and RFC 2047 encoded-words (UTF-8, base64, each at most 75 characters, folded) when
    /// the value is not plain ASCII or holds what reads as an encoded-word.
    static func header(_ name: String, _ value: String) -> String {
        let clean = SafeText.clean(value, keepLineBreaks: false)
        // ASCII that holds `=?` is encoded too: a client would decode an encoded-word written
        // in a post's author or text as its own (a right-to-left override, a line break).
        if clean.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }), !clean.contains("=?") {
            // Plain ASCII stays plain (filters match on it): folded on its spaces when long.
            if clean.utf8.count + name.count < 900 { return "\(name): \(clean)" }
            let words = clean.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            if words.allSatisfy({ $0.utf8.count < 900 }) { return folded(name, words, separator: "") }
        }
        // Split on scalars, each whole: no encoded-word holds half a UTF-8 sequence, and a
        // character of many scalars (a letter under 30 combining marks) cannot make one too long.
        // A line holding an encoded-word is at most 76 characters, the header's name on the
        // first one included (RFC 2047 §2): 45 bytes make 72 after the space of a folded line,
        // fewer fit beside `Subject: `.
        // A name so long that no word fits beside it starts the words on the next line.
        let beside = (76 - (name.utf8.count + 2) - 12) / 4 * 3
        let first = beside >= 4 ? beside : 45
        var words: [String] = [], chunk = String.UnicodeScalarView()
        for scalar in clean.unicodeScalars {
            if !chunk.isEmpty, String(chunk).utf8.count + String(scalar).utf8.count > (words.isEmpty ? first : 45) {
                words.append(String(chunk))
                chunk = String.UnicodeScalarView()
            }
            chunk.append(scalar)
        }
        if !chunk.isEmpty { words.append(String(chunk)) }
        return "\(name):" + (beside >= 4 ? " " : "\r\n ") + words.map { "=?UTF-8?B?\(Data($0.utf8).base64EncodedString())?=" }.joined(separator: "\r\n ")
    }

    static func base64Lines(_ text: String) -> [String] {
        let encoded = Data(text.utf8).base64EncodedString()
        var lines: [String] = []
        var index = encoded.startIndex
        while index < encoded.endIndex {
            let end = encoded.index(index, offsetBy: 76, limitedBy: encoded.endIndex) ?? encoded.endIndex
            lines.append(String(encoded[index..<end]))
            index = end
        }
        return lines
    }

    /// `Tue, 24 Nov 2026 09:30:00 +0000`.
    static func rfc5322Date(_ date: Date) -> String {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let ofDay = seconds - days * 86400
        let (year, month, day) = Timestamp.civilFromDays(days)
        let weekdays = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"] // 1970-01-01 was a Thursday
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(weekdays[((days % 7) + 7) % 7]), \(day) \(months[month - 1]) \(year) \(two(ofDay / 3600)):\(two(ofDay / 60 % 60)):\(two(ofDay % 60)) +0000"
    }
}

extension String {
    /// FNV-1a: stable across processes, unlike `hashValue`.
    var hashValueFNV: UInt64 {
        var hash: UInt64 = 0xcbf29ce484222325
        for byte in utf8 { hash = (hash ^ UInt64(byte)) &* 0x100000001b3 }
        return hash
    }
}
