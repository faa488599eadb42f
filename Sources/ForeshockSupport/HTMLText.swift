/// HTML both ways: the HTML that Mastodon and Hacker News send turned into plain text, and text
/// escaped for the pages and mails Foreshock writes.
///
/// `plain` drops tags, writes block ends and `<br>` as newlines and decodes entities. Not a
/// full HTML parser, and it need not be: the text is read by people and the complaint lexicon,
/// never rendered.
package enum HTMLText {
    private static let blockTags: Set<String> = ["p", "div", "li", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "ul", "ol"]

    /// - Parameter dropping: classes whose elements are left out with all they hold: Mastodon
    ///   asks clients to drop `quote-inline`, the "RE: link" a quote carries for older clients.
    package static func plain(_ html: String, dropping: Set<String> = []) -> String {
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
                if !isEnd, !dropping.isEmpty, !name.isEmpty, !classes(String(String.UnicodeScalarView(inner))).isDisjoint(with: dropping) {
                    index = end(of: name, from: scalars.index(after: close), in: scalars)
                    continue
                }
                if name == "br" {
                    out.append("\n")
                } else if blockTags.contains(name), isEnd || name == "p" {
                    if isEnd { out.append("\n") } else if !out.isEmpty, !endsWithLineBreak() { out.append("\n") }
                }
                index = scalars.index(after: close)
            } else {
                index = appendEntityOrScalar(at: index, of: scalars, to: &out)
            }
        }
        // A paragraph is a line of its own; no line break trails.
        while out.last == "\n" { out.removeLast() }
        return String(out).replacingOccurrences(of: "\n\n\n", with: "\n\n")
    }

    /// The classes a start tag's `class` attribute names (quoted with either quote, or bare).
    private static func classes(_ tag: String) -> Set<String> {
        guard let range = tag.range(of: "class=", options: .caseInsensitive) else { return [] }
        var rest = tag[range.upperBound...]
        let value: Substring
        if let quote = rest.first, quote == "\"" || quote == "'" {
            rest = rest.dropFirst()
            value = rest.prefix { $0 != quote }
        } else {
            value = rest.prefix { !$0.isWhitespace && $0 != "/" }
        }
        return Set(value.split(whereSeparator: \.isWhitespace).map { $0.lowercased() })
    }

    /// Where the element `name` opened just before `start` ends: past its matching end tag,
    /// elements of the same name inside it counted; the end of the text if it is never closed.
    private static func end(of name: String, from start: String.UnicodeScalarView.Index, in scalars: String.UnicodeScalarView) -> String.UnicodeScalarView.Index {
        var depth = 1
        var index = start
        while let open = scalars[index...].firstIndex(of: "<") {
            guard let close = scalars[open...].firstIndex(of: ">") else { break }
            let inner = String(String.UnicodeScalarView(scalars[scalars.index(after: open)..<close])).lowercased()
            let isEnd = inner.hasPrefix("/")
            let tag = (isEnd ? inner.dropFirst() : Substring(inner)).prefix { $0.isLetter || $0.isNumber }
            if tag == name { depth += isEnd ? -1 : (inner.hasSuffix("/") ? 0 : 1) }
            index = scalars.index(after: close)
            if depth == 0 { return index }
        }
        return scalars.endIndex
    }

    /// Text whose only markup is its entities (a Hacker News title): each entity decoded,
    /// nothing else touched, no tag dropped (`&lt;dialog&gt;` and `<dialog>` both read
    /// `<dialog>`).
    package static func decodingEntities(_ text: String) -> String {
        guard text.utf8.contains(UInt8(ascii: "&")) else { return text }
        // Scalar by scalar, as `plain` reads entities: `;` followed by a combining mark still ends one.
        let scalars = text.unicodeScalars
        var out = String.UnicodeScalarView()
        var index = scalars.startIndex
        while index < scalars.endIndex { index = appendEntityOrScalar(at: index, of: scalars, to: &out) }
        return String(out)
    }

    /// Appends the entity that starts at `index` decoded, or else the scalar there.
    /// - Returns: the index after what was read.
    private static func appendEntityOrScalar(at index: String.UnicodeScalarView.Index, of scalars: String.UnicodeScalarView,
                                             to out: inout String.UnicodeScalarView) -> String.UnicodeScalarView.Index {
        if scalars[index] == "&", let semicolon = scalars[index...].prefix(12).firstIndex(of: ";"),
           let decoded = entity(String(String.UnicodeScalarView(scalars[scalars.index(after: index)..<semicolon]))) {
            out.append(contentsOf: decoded.unicodeScalars)
            return scalars.index(after: semicolon)
        }
        out.append(scalars[index])
        return scalars.index(after: index)
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

    /// HTML 4's named entities for U+00A0 to U+00FF, in code point order (`&eacute;` is é):
    /// what a post written in a European language may carry.
    private static let latin1 = """
        nbsp iexcl cent pound curren yen brvbar sect uml copy ordf laquo not shy reg macr deg plusmn sup2 sup3 acute \
        micro para middot cedil sup1 ordm raquo frac14 frac12 frac34 iquest Agrave Aacute Acirc Atilde Auml Aring AElig \
        Ccedil Egrave Eacute Ecirc Euml Igrave Iacute Icirc Iuml ETH Ntilde Ograve Oacute Ocirc Otilde Ouml times Oslash \
        Ugrave Uacute Ucirc Uuml Yacute THORN szlig agrave aacute acirc atilde auml aring aelig ccedil egrave eacute ecirc \
        euml igrave iacute icirc iuml eth ntilde ograve oacute ocirc otilde ouml divide oslash ugrave uacute ucirc uuml \
        yacute thorn yuml
        """.split(separator: " ")

    private static let named: [String: String] = {
        var named: [String: String] = [
            "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "#39": "'",
            "hellip": "…", "mdash": "—", "ndash": "–", "lsquo": "‘", "rsquo": "’", "ldquo": "“", "rdquo": "”",
            "sbquo": "‚", "bdquo": "„", "lsaquo": "‹", "rsaquo": "›", "bull": "•", "euro": "€", "trade": "™",
            "dagger": "†", "Dagger": "‡", "permil": "‰", "OElig": "Œ", "oelig": "œ", "Scaron": "Š", "scaron": "š",
            "Yuml": "Ÿ", "minus": "−", "larr": "←", "rarr": "→", "hearts": "♥", "ensp": "\u{2002}", "emsp": "\u{2003}",
            "thinsp": "\u{2009}", "zwnj": "\u{200C}", "zwj": "\u{200D}",
        ]
        for (offset, name) in latin1.enumerated() { named[String(name)] = String(Character(Unicode.Scalar(UInt8(0xA0 + offset)))) }
        return named
    }()

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
