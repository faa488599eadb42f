import ForeshockSupport
import Foundation

/// A notification template: text with `{{name}}` placeholders, each escaped for where it lands
/// (a JSON string, HTML, a mail header), so nothing in a post can add a header, break the JSON
/// or inject markup. One pass, left to right: `{{` inside a value is never expanded again.
///
/// `{{#name}}…{{/name}}` keeps what it holds only when `name` has a value (text that is not
/// empty, a known number, a true flag), and `{{^name}}…{{/name}}` only when it has none, as in
/// Mustache: a post with no link has no "Open the post" link rather than an empty one.
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
        /// What stands between `{{#name}}` (or `{{^name}}`, `inverted`) and `{{/name}}`.
        case section(String, inverted: Bool, [Part])
    }

    package let name: String
    let parts: [Part]

    /// - Throws: `Problem` for an unclosed `{{`, a name no alert has, or a section that is not
    ///   closed, or closed under another name.
    package init(_ text: String, name: String) throws(Problem) {
        self.name = name
        // Sections open so far, innermost last, each with the parts before it.
        var open: [(name: String, inverted: Bool, outer: [Part])] = []
        var parts: [Part] = []
        var rest = Substring(text)
        var inString = false, escaped = false
        func scan(_ literal: Substring) {
            for character in literal {
                if escaped { escaped = false } else if character == "\\" { escaped = inString } else if character == "\"" { inString.toggle() }
            }
        }
        while let brace = rest.range(of: "{{") {
            parts.append(.literal(String(rest[..<brace.lowerBound])))
            scan(rest[..<brace.lowerBound])
            guard let close = rest[brace.upperBound...].range(of: "}}") else {
                throw Problem(description: "\(name): \"{{\" without a closing \"}}\"")
            }
            var key = rest[brace.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            let sigil = key.first.flatMap { "#^/".contains($0) ? $0 : nil }
            if sigil != nil { key = String(key.dropFirst()).trimmingCharacters(in: .whitespaces) }
            guard TemplateValues.names.contains(key) else {
                throw Problem(description: "\(name): unknown placeholder {{\(sigil.map(String.init) ?? "")\(key)}} (known: \(TemplateValues.names.sorted().joined(separator: ", ")))")
            }
            var after = rest[close.upperBound...]
            // A section tag alone on its line takes the line with it, as in Mustache, so a
            // template can put its sections on lines of their own.
            if sigil != nil {
                let lineStart = text[..<brace.lowerBound].lastIndex(where: \.isNewline).map { text.index(after: $0) } ?? text.startIndex
                let indent = text[lineStart..<brace.lowerBound]
                let lineEnd = after.firstIndex(where: \.isNewline) ?? after.endIndex
                if indent.allSatisfy(\.isBlank), after[..<lineEnd].allSatisfy(\.isBlank), case .literal(let before)? = parts.last {
                    parts[parts.count - 1] = .literal(String(before.dropLast(indent.count)))
                    after = lineEnd < after.endIndex ? after[after.index(after: lineEnd)...] : after[lineEnd...]
                }
            }
            switch sigil {
            case "#"?, "^"?:
                open.append((key, sigil == "^", parts))
                parts = []
            case "/"?:
                guard let section = open.popLast() else {
                    throw Problem(description: "\(name): {{/\(key)}} closes no section")
                }
                guard section.name == key else {
                    throw Problem(description: "\(name): {{/\(key)}} closes the section {{\(section.inverted ? "^" : "#")\(section.name)}}")
                }
                parts = section.outer + [.section(key, inverted: section.inverted, parts)]
            default:
                parts.append(.placeholder(key, inString: inString))
            }
            rest = after
        }
        if let section = open.last {
            throw Problem(description: "\(name): the section {{\(section.inverted ? "^" : "#")\(section.name)}} is never closed with {{/\(section.name)}}")
        }
        parts.append(.literal(String(rest)))
        self.parts = parts
    }

    package func render(_ values: TemplateValues, context: Context) -> String {
        var out = ""
        var quoting = false
        render(parts, values, context: context, into: &out, quoting: &quoting)
        return out
    }

    private func render(_ parts: [Part], _ values: TemplateValues, context: Context, into out: inout String, quoting: inout Bool) {
        for part in parts {
            switch part {
            case .literal(let text):
                out += text
                // Slack quotes a line that starts with `>`; a value placed there quotes only its
                // first line unless each of its lines starts with one too. (The empty text
                // between two tags, as in `>{{#text}}{{text}}`, leaves it as it was.)
                if !text.isEmpty { quoting = context == .slack && (text.hasSuffix("\\n>") || text.hasSuffix("\">")) }
            case .placeholder(let key, let inString):
                var raw = values[key]
                // What people write, short of Slack's section limit with a link beside it,
                // counted as Slack counts (UTF-16: an emoji family is 11).
                if context == .slack, Self.written.contains(key), case .text(let text) = raw { raw = .text(SafeText.cut(text, utf16Units: 900)) }
                var value = Self.escape(raw, context: context, inString: inString, lineBreaks: key == Self.multiline)
                // In plain text a post's later lines start under its first, never at the margin,
                // where a line of the post could pass for one of the alert's own rows.
                if context == .text, value.contains("\n") {
                    let column = (out.lastIndex(of: "\n").map { out[out.index(after: $0)...] } ?? out[...]).count
                    if column > 0 { value = value.replacingOccurrences(of: "\n", with: "\n" + String(repeating: " ", count: column)) }
                }
                out += quoting ? Self.quotingLines(value) : value
            case .section(let key, let inverted, let inner):
                if values[key].isSet != inverted { render(inner, values, context: context, into: &out, quoting: &quoting) }
            }
        }
    }

    /// The values people write (a post, a name), as against those Foreshock makes.
    static let written: Set<String> = ["text", "author"]

    /// The one value that keeps its line breaks: a post's text. Any other (an author's name, a
    /// post id) is one line wherever it goes, a mail's body, a Slack headline, a page summary.
    static let multiline = "text"

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

    static func escape(_ value: TemplateValue, context: Context, inString: Bool = true, lineBreaks: Bool = true) -> String {
        if context == .json || context == .slack, !inString {
            switch value {
            case .number(let number, _): return JSONText.number(number)
            case .flag(let flag): return flag ? "true" : "false"
            // A text with nothing in it is JSON's null: "" would say the value is known and empty.
            case .text(let text): return text.isEmpty ? "null" : "\"" + escape(value, context: context, inString: true, lineBreaks: lineBreaks) + "\""
            }
        }
        let text = SafeText.clean(value.text, keepLineBreaks: lineBreaks && context != .header)
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

extension Character {
    /// A space or a tab: what may stand beside a section tag on a line of its own.
    fileprivate var isBlank: Bool { self == " " || self == "\t" }
}
