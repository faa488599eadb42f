/// The Prometheus text exposition format (version 0.0.4), for node_exporter's textfile
/// collector: `# HELP`, `# TYPE`, then one sample per label set.
package struct MetricsText: Sendable {
    private var lines: [String] = []

    package init() {}

    /// Adds one metric family.
    /// - Parameters:
    ///   - samples: label sets and values; an empty label list for a metric without labels.
    package mutating func add(_ name: String, _ type: String, _ help: String, _ samples: [([(String, String)], Double)]) {
        lines.append("# HELP \(name) \(help)")
        lines.append("# TYPE \(name) \(type)")
        for (labels, value) in samples {
            let set = labels.isEmpty ? "" : "{" + labels.map { "\($0.0)=\"\(Self.escape($0.1))\"" }.joined(separator: ",") + "}"
            lines.append("\(name)\(set) \(Self.number(value))")
        }
    }

    package var text: String { lines.joined(separator: "\n") + "\n" }

    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }

    static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        return value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
