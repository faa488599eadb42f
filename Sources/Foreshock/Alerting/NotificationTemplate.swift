import Foundation

/// A notification template: text with `{{name}}` placeholders, each escaped for where it lands
/// (a JSON string, HTML, a mail header), so nothing in a post can add a header, break the JSON
/// or inject markup. One pass, left to right: `{{` inside a value is never expanded again.
public struct NotificationTemplate: Sendable {
    /// Where the rendered text goes, which decides the escaping.
    public enum Context: Sendable {
        /// Plain text: control characters dropped, line breaks kept.
        case text
        /// HTML: `& < > " '` as entities, line breaks as `<br>`.
        case html
        /// JSON: inside a string literal a value is escaped text (`"{{author}}"`, `"{{reshares}} now"`);
        /// outside one it is a JSON value (`{{reshares}}` a number, `{{author}}` a whole string).
        case json
        /// JSON for Slack, whose mrkdwn also reads `& < >` as markup.
        case slack
        /// One mail header line: no line breaks at all.
        case header
    }

    public struct Problem: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    enum Part: Sendable {
        case literal(String)
        /// A name, and whether it stands inside a JSON string literal of the template.
        case placeholder(String, inString: Bool)
    }

    public let name: String
    let parts: [Part]

    /// - Throws: `Problem` for an unclosed `{{` or a name no alert has.
    public init(_ text: String, name: String) throws(Problem) {
        self.name = name
        var parts: [Part] = []
        var rest = Substring(text)
        var inString = false, escaped = false
        func scan(_ literal: Substring) {
            for character in literal {
                if escaped { escaped = false } else if character == "\\" { escaped = inString } else if character == "\"" { inString.toggle() }
            }
        }
        while let open = rest.range(of: "{{") {
            parts.append(.literal(String(rest[..<open.lowerBound])))
            scan(rest[..<open.lowerBound])
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                throw Problem(description: "\(name): \"{{\" without a closing \"}}\"")
            }
            let key = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            guard TemplateValues.names.contains(key) else {
                throw Problem(description: "\(name): unknown placeholder {{\(key)}} (known: \(TemplateValues.names.sorted().joined(separator: ", ")))")
            }
            parts.append(.placeholder(key, inString: inString))
            rest = rest[close.upperBound...]
        }
        parts.append(.literal(String(rest)))
        self.parts = parts
    }

    public func render(_ values: TemplateValues, context: Context) -> String {
        var out = ""
        for part in parts {
            switch part {
            case .literal(let text): out += text
            case .placeholder(let key, let inString): out += Self.escape(values[key], context: context, inString: inString)
            }
        }
        return out
    }

    static func escape(_ value: TemplateValue, context: Context, inString: Bool = true) -> String {
        if context == .json || context == .slack, !inString {
            switch value {
            case .number(let number, _): return JSONText.number(number)
            case .flag(let flag): return flag ? "true" : "false"
            case .text: return "\"" + escape(value, context: context, inString: true) + "\""
            }
        }
        let text = SafeText.clean(value.text, keepLineBreaks: context != .header)
        switch context {
        case .text, .header: return text
        case .html:
            var out = ""
            for character in text {
                switch character {
                case "&": out += "&amp;"
                case "<": out += "&lt;"
                case ">": out += "&gt;"
                case "\"": out += "&quot;"
                case "'": out += "&#39;"
                case "\n": out += "<br>"
                default: out.append(character)
                }
            }
            return out
        case .json:
            return String(JSONText.quote(text).dropFirst().dropLast())
        case .slack:
            let marked = text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            return String(JSONText.quote(marked).dropFirst().dropLast())
        }
    }
}

/// Text from posts made safe to show: no control characters (line breaks only where allowed),
/// no bidirectional overrides that could make a line read differently from what it is.
public enum SafeText {
    public static func clean(_ text: String, keepLineBreaks: Bool) -> String {
        var out = String.UnicodeScalarView()
        var lastWasSpace = false
        for scalar in text.unicodeScalars {
            let value = scalar.value
            if value == 0x0A || value == 0x0D || value == 0x2028 || value == 0x2029 {
                if keepLineBreaks, value != 0x0D { out.append("\n"); lastWasSpace = false; continue }
                if !lastWasSpace { out.append(" "); lastWasSpace = true }
                continue
            }
            if value == 0x09 { if !lastWasSpace { out.append(" "); lastWasSpace = true }; continue }
            // C0, DEL, C1, and the bidi embeddings, overrides and isolates (U+202A–202E, U+2066–2069).
            if value < 0x20 || (0x7F...0x9F).contains(value) || (0x202A...0x202E).contains(value) || (0x2066...0x2069).contains(value) { continue }
            out.append(scalar)
            lastWasSpace = scalar == " "
        }
        return String(out)
    }

    /// Whether a scalar must not reach a terminal raw: C0 and C1 controls, DEL, line and
    /// paragraph separators, and the bidi embeddings, overrides and isolates.
    @inline(__always)
    public static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        return value < 0x20 || (0x7F...0x9F).contains(value) || (0x202A...0x202E).contains(value)
            || (0x2066...0x2069).contains(value) || value == 0x2028 || value == 0x2029
    }

    /// One line for a terminal: every unsafe scalar (see `isUnsafe`) written out as an escape
    /// (`\x1b`, `\u202e`), so an `ESC]0;…BEL` in a post cannot retitle the terminal and a
    /// right-to-left override cannot make a line read as something else.
    public static func terminal(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isUnsafe) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            guard isUnsafe(scalar) else { out.unicodeScalars.append(scalar); continue }
            let hex = String(scalar.value, radix: 16)
            out += scalar.value < 0x100 ? "\\x" + String(repeating: "0", count: 2 - hex.count) + hex : JSONText.unicodeEscape(scalar)
        }
        return out
    }

    /// JSON text with every unsafe scalar inside its strings as a `\\uXXXX` escape (JSON
    /// encoders leave U+202E and the C1 controls as they are). Outside strings JSON has none.
    public static func escapingUnsafeInJSON(_ json: String) -> String {
        guard json.unicodeScalars.contains(where: isUnsafe) else { return json }
        var out = ""
        for scalar in json.unicodeScalars {
            guard isUnsafe(scalar), scalar != "\n", scalar != "\t", scalar != "\r" else { out.unicodeScalars.append(scalar); continue }
            out += JSONText.unicodeEscape(scalar)
        }
        return out
    }

    /// At most `limit` characters, cut with an ellipsis.
    public static func cut(_ text: String, _ limit: Int) -> String {
        guard text.count > limit else { return text }
        return String(text.prefix(max(0, limit - 1))) + "…"
    }
}
