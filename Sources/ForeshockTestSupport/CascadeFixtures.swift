import Foundation

/// A cascade file: the original first, then one line per reshare (seconds after, followers).
package func loadCascade(_ name: String) throws -> [(time: Double, followers: Double)] {
    let text = try String(contentsOf: repositoryRoot.appendingPathComponent("fixtures/cascades/\(name)"), encoding: .utf8)
    var rows: [(Double, Double)] = []
    for (index, line) in text.split(separator: "\n").enumerated() {
        let fields = line.split(whereSeparator: { $0 == "," || $0 == " " }).compactMap { Double($0) }
        // seismic_tweet.csv has a header; TiDeH files start with "<final size> <start day>".
        if index == 0 && (fields.count < 2 || name.hasPrefix("tideh")) { continue }
        if fields.count >= 2 { rows.append((fields[0], fields[1])) }
    }
    return rows
}
