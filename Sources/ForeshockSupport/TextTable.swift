/// Columns for a terminal: left-aligned, two spaces apart, the last one not padded. Widths are
/// counted in characters (a rule name or a post's author may not be ASCII).
package enum TextTable {
    package static func lines(_ rows: [[String]], indent: String = "") -> [String] {
        guard let columns = rows.map(\.count).max() else { return [] }
        var widths = [Int](repeating: 0, count: columns)
        for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
        return rows.map { row in
            indent + row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count)
            }.joined(separator: "  ")
        }
    }
}
