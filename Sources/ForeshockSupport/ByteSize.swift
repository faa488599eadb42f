import Foundation

/// Sizes as people write them (`500MB`, `2GB`, `64KB`, or bytes) and read them.
package enum ByteSize {
    /// The sizes a recording may rotate at: a line or so at least, and less than any disk.
    package static let range: ClosedRange<Int64> = 1 << 10 ... 1 << 50

    /// `500MB`, `2g`, `64KB`, `4096`: bytes within `range`, nil otherwise (`1e400MB` too,
    /// which `Int64(_:)` would trap on).
    package static func parse(_ text: String) -> Int64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).uppercased()
        let units: [(String, Int64)] = [("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10), ("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10), ("B", 1)]
        let number = units.first { trimmed.hasSuffix($0.0) }.map { (trimmed.dropLast($0.0.count).trimmingCharacters(in: .whitespaces), $0.1) } ?? (trimmed, 1)
        guard let value = Double(number.0) else { return nil }
        let bytes = (value * Double(number.1)).rounded()
        guard bytes >= Double(range.lowerBound), bytes <= Double(range.upperBound) else { return nil }
        return Int64(bytes)
    }

    /// 1 << 30 → "1 GB", 65536 → "64 KB": the largest unit the size is a whole number of.
    package static func text(_ bytes: Int) -> String {
        for (size, unit) in [(1 << 30, "GB"), (1 << 20, "MB"), (1 << 10, "KB")] where bytes >= size && bytes % size == 0 { return "\(bytes / size) \(unit)" }
        return "\(bytes) bytes"
    }
}
