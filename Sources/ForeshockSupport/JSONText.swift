import Foundation

/// Writing JSON text by hand where building Foundation objects would cost more than it brings
/// (log lines, alert lines, recordings).
package enum JSONText {
    /// A JSON string literal, quotes included; every control character escaped, and so are
    /// the C1 controls and the bidi overrides, so a line printed on a terminal stays as it reads.
    package static func quote(_ text: String) -> String {
        // Most text needs no escaping at all: then it is copied whole. (0xC2 leads the C1
        // controls, 0xE2 the separators and bidi controls.)
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || $0 == 0x7F || $0 == 0xE2 || $0 == 0xC2 }) {
            return "\"" + text + "\""
        }
        var out = "\""
        out.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default:
                if SafeText.isUnsafe(scalar) {
                    out += unicodeEscape(scalar)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// `\\u` and four hex digits: a scalar of the Basic Multilingual Plane as JSON escapes it.
    static func unicodeEscape(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16)
        return "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }

    /// A JSON number, or null for nil and non-finite values; whole numbers without ".0".
    package static func number(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "null" }
        if value.rounded() == value, abs(value) < 1e15 { return String(Int(value)) }
        return String(value)
    }

    package static func string(_ value: String?) -> String {
        value.map(quote) ?? "null"
    }
}

extension JSONText {
    /// The encoder of the watch's own JSON (status.json, the web API): snake_case keys, sorted,
    /// slashes kept. A figure that is not finite (a rate over no time) is written as the string
    /// `"NaN"`, `"+Inf"` or `"-Inf"`, as Prometheus writes them, so one odd number never turns
    /// the whole answer into an error.
    package static func encoder(pretty: Bool) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "+Inf", negativeInfinity: "-Inf", nan: "NaN")
        return encoder
    }

    /// Reads what `encoder(pretty:)` wrote.
    package static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "+Inf", negativeInfinity: "-Inf", nan: "NaN")
        return decoder
    }
}
