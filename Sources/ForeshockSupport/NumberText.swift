import Foundation

/// Numbers as people read them in alerts and on terminals.
package enum NumberText {
    /// 12345 → "12,345".
    package static func grouped(_ value: Double) -> String {
        guard value.isFinite else { return "unknown" }
        guard value.magnitude < 1e18 else { return String(format: "%.0f", value) }
        let digits = String(Int(value.magnitude))
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out += "," }
            out.append(digit)
        }
        return (value < 0 ? "-" : "") + out
    }

    /// A whole number, ungrouped, for any value: `Int(_:)` traps past Int.max, and a damaged
    /// status file or a recording can hold 1e19.
    package static func whole(_ value: Double) -> String {
        value.isFinite ? String(format: "%.0f", value.rounded()) : "unknown"
    }

    /// "1 post", "12,345 posts".
    package static func count(_ value: Int, _ noun: String) -> String {
        "\(grouped(Double(value))) \(noun)\(value == 1 ? "" : "s")"
    }

    /// A rate for a table: whole from 10 on, one decimal below.
    package static func rate(_ value: Double) -> String {
        String(format: value >= 10 ? "%.0f" : "%.1f", value)
    }
}
