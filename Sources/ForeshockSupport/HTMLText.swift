/// HTML both ways: the HTML that Mastodon and Hacker News send turned into plain text, and text
/// escaped for the pages and mails Foreshock writes.
///
/// `plain` drops tags, writes block ends and `<br>` as newlines and decodes entities. Not a
/// full HTML parser, and it need not be: the text is read by people and the complaint lexicon,
/// never rendered.
package enum HTMLText {
    private static let blockTags: Set<String> = ["p", "div", "li", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "ul", "ol"]

    package static func plain(_ html: String) -> String {
        // Scalar by scalar, as a browser reads it: `;` or `>` followed by a combining mark is
        // one Character that is neither, and must still end the entity or the tag.
        let scalars = html.unicodeScalars
        var out = String.UnicodeScalarView()
        out.reserveCapacity(html.utf8.count)
        func endsWithLineBreak() -> Bool { out.last == "\n" }
        var index = scalars.startIndex
        while index < scalars.endIndex {
            let scalar = scalars[index]
            // A tag starts with a letter, `/`, `!` or `?` after the `<`; anything else is text, as in a browser.
            let next = scalars.index(after: index) < scalars.endIndex ? scalars[scalars.index(after: index)] : " "
            if scalar == "<", next.isASCII, next.properties.isAlphabetic || "/!?".unicodeScalars.contains(next),
               let close = scalars[index...].firstIndex(of: ">") {
                let inner = scalars[scalars.index(after: index)..<close]
                let isEnd = inner.first == "/"
                let name = String(String.UnicodeScalarView(inner.drop { $0 == "/" }.prefix { $0.properties.isAlphabetic || ("0"..."9").contains($0) })).lowercased()
                if name == "br" {
                    out.append("\n")
                } else if blockTags.contains(name), isEnd || name == "p" {
                    if isEnd { out.append("\n") } else if !out.isEmpty, !endsWithLineBreak() { out.append("\n") }
                }
                index = scalars.index(after: close)
            } else if scalar == "&", let semicolon = scalars[index...].prefix(12).firstIndex(of: ";"),
                      let decoded = entity(String(String.UnicodeScalarView(scalars[scalars.index(after: index)..<semicolon]))) {
                out.append(contentsOf: decoded.unicodeScalars)
                index = scalars.index(after: semicolon)
            } else {
                out.append(scalar)
                index = scalars.index(after: index)
            }
        }
        // A paragraph is a line of its own; no line break trails.
        while out.last == "\n" { out.removeLast() }
        return String(out).replacingOccurrences(of: "\n\n\n", with: "\n\n")
    }

    /// Plain text in which only `&`, `<` and `>` were escaped, as X's API sends a post's text:
    /// those three decoded in one pass (`&amp;lt;` is the text `&lt;`), nothing else touched,
    /// no tag dropped (a post that says `<b>` said it).
    package static func unescapingAmpLtGt(_ text: String) -> String {
        guard text.utf8.contains(UInt8(ascii: "&")) else { return text }
        // Byte by byte: an entity's `;` followed by a combining mark is still its end.
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "&"),
               let (length, byte) = [(5, "amp;", UInt8(ascii: "&")), (4, "lt;", UInt8(ascii: "<")), (4, "gt;", UInt8(ascii: ">"))]
                   .first(where: { bytes[(index + 1)...].starts(with: $0.1.utf8) }).map({ ($0.0, $0.2) }) {
                out.append(byte)
                index += length
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
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
    /// line breaks as `<br>` when `lineBreaks` is set. Scalar by scalar: a quote followed by a
    /// combining mark is one Character that is not `"`, and must not slip through as one. The
    /// caller cleans control characters and bidi overrides first (`SafeText.clean`).
    package static func escape(_ text: String, lineBreaks: Bool = false) -> String {
        var out = String.UnicodeScalarView()
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out.append(contentsOf: "&amp;".unicodeScalars)
            case "<": out.append(contentsOf: "&lt;".unicodeScalars)
            case ">": out.append(contentsOf: "&gt;".unicodeScalars)
            case "\"": out.append(contentsOf: "&quot;".unicodeScalars)
            case "'": out.append(contentsOf: "&#39;".unicodeScalars)
            case "\n" where lineBreaks: out.append(contentsOf: "<br>".unicodeScalars)
            default: out.append(scalar)
            }
        }
        return String(out)
    }
}
