/// HTML both ways: the HTML that Mastodon and Hacker News send turned into plain text, and text
/// escaped for the pages and mails Foreshock writes.
///
/// `plain` drops tags, writes block ends and `<br>` as newlines and decodes entities. Not a
/// full HTML parser, and it need not be: the text is read by people and the complaint lexicon,
/// never rendered.
package enum HTMLText {
    private static let blockTags: Set<String> = ["p", "div", "li", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "ul", "ol"]

    package static func plain(_ html: String) -> String {
        var out = ""
        out.reserveCapacity(html.utf8.count)
        var index = html.startIndex
        while index < html.endIndex {
            let character = html[index]
            if character == "<", let close = html[index...].firstIndex(of: ">") {
                let inner = html[html.index(after: index)..<close]
                let isEnd = inner.hasPrefix("/")
                let name = inner.drop { $0 == "/" }.prefix { $0.isLetter || $0.isNumber }.lowercased()
                if name == "br" {
                    out += "\n"
                } else if blockTags.contains(name), isEnd || name == "p" {
                    if isEnd { out += "\n" } else if !out.isEmpty, !out.hasSuffix("\n") { out += "\n" }
                }
                index = html.index(after: close)
            } else if character == "&", let semicolon = html[index...].prefix(12).firstIndex(of: ";"),
                      let decoded = entity(String(html[html.index(after: index)..<semicolon])) {
                out += decoded
                index = html.index(after: semicolon)
            } else {
                out.append(character)
                index = html.index(after: index)
            }
        }
        // Paragraph ends become blank lines between paragraphs, never trailing.
        while out.hasSuffix("\n") { out.removeLast() }
        return out.replacingOccurrences(of: "\n\n\n", with: "\n\n")
    }

    private static let named: [String: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "#39": "'", "nbsp": "\u{00A0}",
        "hellip": "…", "mdash": "—", "ndash": "–", "lsquo": "‘", "rsquo": "’", "ldquo": "“", "rdquo": "”",
    ]

    private static func entity(_ name: String) -> String? {
        if let known = named[name] { return known }
        if name.hasPrefix("#x") || name.hasPrefix("#X") {
            return UInt32(name.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init).map { String(Character($0)) }
        }
        if name.hasPrefix("#") {
            return UInt32(name.dropFirst()).flatMap(Unicode.Scalar.init).map { String(Character($0)) }
        }
        return nil
    }

    /// `text` with `& < > " '` as entities, safe in element content and in quoted attributes;
    /// line breaks as `<br>` when `lineBreaks` is set. The caller cleans control characters
    /// and bidi overrides first (`SafeText.clean`).
    package static func escape(_ text: String, lineBreaks: Bool = false) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\n" where lineBreaks: out += "<br>"
            default: out.append(character)
            }
        }
        return out
    }
}
