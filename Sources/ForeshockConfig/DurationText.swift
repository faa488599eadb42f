import Foundation

/// Durations in the config: one or more `<number><unit>` with units ms, s, m, h, d
/// (`"500ms"`, `"30s"`, `"1h30m"`), read as seconds.
package enum DurationText {
    /// The longest duration a config means: ten years. Past it a number is a typo, and waits
    /// and times that long overflow what a clock or a sleep can hold.
    package static let longest: Double = 3650 * 86400

    /// Seconds, or nil when the text is not a duration.
    package static func seconds(_ text: String) -> Double? {
        var total = 0.0
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            let unit = rest.prefix { $0.isASCII && $0.isLetter }
            rest = rest.dropFirst(unit.count)
            switch unit {
            case "ms": total += value / 1000
            case "s": total += value
            case "m": total += value * 60
            case "h": total += value * 3600
            case "d": total += value * 86400
            default: return nil
            }
        }
        return total.isFinite ? total : nil
    }

    /// The shortest text that reads back as the same duration, such as "1h30m" or "250ms".
    package static func format(_ seconds: Double) -> String {
        if seconds < 1, seconds > 0 { return "\(Int((seconds * 1000).rounded()))ms" }
        return parts(seconds).joined()
    }

    /// The units written, largest first, with their seconds.
    private static let units = [("d", 86400), ("h", 3600), ("m", 60), ("s", 1)]

    /// A duration for people scanning a table: its largest unit and the next, the second
    /// rounded, such as "3h12m", "1h1m" (not "1h39s", which reads as an hour and 39 minutes),
    /// "2d" or "45s".
    package static func short(_ seconds: Double) -> String {
        let whole = seconds.isFinite ? Int(min(max(0, seconds), longest * 100).rounded()) : 0
        guard let index = units.firstIndex(where: { whole >= $0.1 }), index < units.count - 1 else { return parts(Double(whole)).joined() }
        let (unit, size) = units[index], (next, nextSize) = units[index + 1]
        let inNext = Int((Double(whole) / Double(nextSize)).rounded())
        // Rounded up into the unit above (86,399 s is 1d, not 24h): that unit's turn.
        if index > 0, inNext * nextSize >= units[index - 1].1 { return short(Double(inNext * nextSize)) }
        let (first, second) = (inNext / (size / nextSize), inNext % (size / nextSize))
        return "\(first)\(unit)" + (second > 0 ? "\(second)\(next)" : "")
    }

    /// Whole seconds as "1d", "2h", "30m", "5s", largest first, zero units left out; "0s" for
    /// zero, nothing for a negative duration.
    private static func parts(_ seconds: Double) -> [String] {
        // Bounded, so that no duration, however wrong, traps on the way to a message.
        var left = seconds.isFinite ? Int(min(max(seconds, -longest * 100), longest * 100).rounded()) : 0
        if left == 0 { return ["0s"] }
        var parts: [String] = []
        for (unit, size) in units where left >= size {
            parts.append("\(left / size)\(unit)")
            left %= size
        }
        return parts
    }
}

