import ForeshockSupport
import Foundation

/// A notification template: text with `{{name}}` placeholders, each escaped for where it lands
/// (a JSON string, HTML, a mail header), so nothing in a post can add a header, break the JSON
/// or inject markup. One pass, left to right: `{{` inside a value is never expanded again.
package struct NotificationTemplate: Sendable {
    /// Where the rendered text goes, which decides the escaping.
    package enum Context: Sendable {
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

    package struct Problem: Error, Sendable, CustomStringConvertible {
        package var description: String
    }

    enum Part: Sendable {
        case literal(String)
        /// A name, and whether it stands inside a JSON string literal of the template.
        case placeholder(String, inString: Bool)
    }

    package let name: String
    let parts: [Part]

    /// - Throws: `Problem` for an unclosed `{{` or a name no alert has.
    package init(_ text: String, name: String) throws(Problem) {
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

    package func render(_ values: TemplateValues, context: Context) -> String {
        var out = ""
        var quoting = false
        for part in parts {
            switch part {
            case .literal(let text):
                out += text
                // Slack quotes a line that starts with `>`; a value placed there quotes only its
                // first line unless each of its lines starts with one too.
                quoting = context == .slack && (text.hasSuffix("\\n>") || text.hasSuffix("\">"))
            case .placeholder(let key, let inString):
                var raw = values[key]
                // What people write, short of Slack's section limit with a link beside it,
                // counted as Slack counts (UTF-16: an emoji family is 11).
                if context == .slack, Self.written.contains(key), case .text(let text) = raw { raw = .text(SafeText.cut(text, utf16Units: 900)) }
                let value = Self.escape(raw, context: context, inString: inString)
                out += quoting ? Self.quotingLines(value) : value
            }
        }
        return out
    }

    /// The values people write (a post, a name), as against those Foreshock makes.
    static let written: Set<String> = ["text", "author"]

    /// A JSON-escaped text with `>` after each of its line breaks (`\n`), and nowhere else: an
    /// escaped backslash followed by an `n` (`C:\\new`) is not a line break.
    static func quotingLines(_ escaped: String) -> String {
        var out = "", pendingBackslash = false
        for character in escaped {
            if pendingBackslash {
                out.append(character)
                if character == "n" { out.append(">") }
                pendingBackslash = false
            } else {
                out.append(character)
                pendingBackslash = character == "\\"
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
            return HTMLText.escape(text, lineBreaks: true)
        case .json:
            return String(JSONText.quote(text).dropFirst().dropLast())
        case .slack:
            let marked = text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            return String(JSONText.quote(marked).dropFirst().dropLast())
        }
    }
}
