import Foundation

/// Text from posts made safe to show: no control characters (line breaks only where allowed),
/// no bidirectional overrides that could make a line read differently from what it is.
package enum SafeText {
    package static func clean(_ text: String, keepLineBreaks: Bool) -> String {
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

    /// An identifier (a post id, a source name) as a hostile API or recording may write it, with
    /// what must not reach a terminal, a header or a log raw written as `%XX` of its UTF-8
    /// bytes: the id is then the same text in every sink, log line and silence command (a
    /// `\r\n` in it was a space in a webhook's key and a line break in PagerDuty's). Any other id
    /// is returned as it is, and so is one already escaped: a silence command or a link gives
    /// the escaped id back, and it must name the same post. (So `%` itself is not escaped, and
    /// a source that sends both `a%0Ab` and `a\nb` makes one post of them; it can name its
    /// posts anything anyway.)
    package static func identifier(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isUnsafe) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            if isUnsafe(scalar) {
                for byte in String(scalar).utf8 { out += String(format: "%%%02X", byte) }
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Whether a scalar must not reach a terminal raw: C0 and C1 controls, DEL, line and
    /// paragraph separators, and the bidi embeddings, overrides and isolates.
    @inline(__always)
    package static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        return value < 0x20 || (0x7F...0x9F).contains(value) || (0x202A...0x202E).contains(value)
            || (0x2066...0x2069).contains(value) || value == 0x2028 || value == 0x2029
    }

    /// One line for a terminal: every unsafe scalar (see `isUnsafe`) written out as an escape
    /// (`\x1b`, `\u202e`), so an `ESC]0;…BEL` in a post cannot retitle the terminal and a
    /// right-to-left override cannot make a line read as something else.
    package static func terminal(_ text: String) -> String {
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
    package static func escapingUnsafeInJSON(_ json: String) -> String {
        guard json.unicodeScalars.contains(where: isUnsafe) else { return json }
        var out = ""
        for scalar in json.unicodeScalars {
            guard isUnsafe(scalar), scalar != "\n", scalar != "\t", scalar != "\r" else { out.unicodeScalars.append(scalar); continue }
            out += JSONText.unicodeEscape(scalar)
        }
        return out
    }

    /// At most `limit` Unicode scalars, cut at a character's edge with an ellipsis. Scalars,
    /// not characters: one character may carry thousands of combining marks, and what reads
    /// the text (a receiver's 1,024, a page's width) counts them.
    package static func cut(_ text: String, _ limit: Int) -> String {
        // No more bytes than the limit: no more scalars either, and counting those is slower.
        guard text.utf8.count > limit, text.unicodeScalars.count > limit else { return text }
        return cut(text, limit, measure: { $0.unicodeScalars.count })
    }

    /// `text` cut at a character's edge to at most `units` UTF-16 units, the ellipsis included:
    /// how Slack and PagerDuty count (an emoji family is 11). Only a character longer than the
    /// whole limit is cut inside (see below).
    package static func cut(_ text: String, utf16Units units: Int) -> String {
        guard text.utf16.count > units else { return text }
        return cut(text, units, measure: { $0.utf16.count })
    }

    /// Whole characters while they fit in `limit - 1` (the ellipsis is one); a character that
    /// could never fit whole (a letter with a thousand marks) gives as many of its scalars as
    /// fit, rather than cutting the text off before it.
    private static func cut(_ text: String, _ limit: Int, measure: (String) -> Int) -> String {
        guard limit > 0 else { return "" }
        var kept = String.UnicodeScalarView()
        var used = 0
        for character in text {
            let size = measure(String(character))
            if used + size <= limit - 1 {
                kept.append(contentsOf: character.unicodeScalars)
                used += size
                continue
            }
            guard size > limit - 1 else { break }
            for scalar in character.unicodeScalars {
                let size = measure(String(scalar))
                guard used + size <= limit - 1 else { break }
                kept.append(scalar)
                used += size
            }
            // A joiner left at the end would join the ellipsis to what it joined.
            while kept.last?.properties.isJoinControl == true { kept.removeLast() }
            break
        }
        return String(kept) + "…"
    }
}
