/// One thing wrong (or worth a warning) in a config file, at a key path.
public struct ConfigProblem: Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable { case error, warning }

    /// The file (or "embedded default config") the problem is in.
    public var origin: String
    /// The key path, as `sources[1].interval`; empty for the whole file.
    public var path: String
    /// What is wrong, then what would be right in parentheses.
    public var message: String
    public var severity: Severity

    public init(origin: String, path: String, message: String, severity: Severity = .error) {
        self.origin = origin
        self.path = path
        self.message = message
        self.severity = severity
    }

    /// `FILE: key.path: what is wrong (what would be right)`, with "warning: " before a warning's path.
    public var description: String {
        let place = path.isEmpty ? "" : "\(path): "
        return "\(origin): \(severity == .warning ? "warning: " : "")\(place)\(message)"
    }
}

/// A config that could not be used, with every problem found in it.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public enum Code: Sendable { case unreadable, invalid }
    public var code: Code
    public var problems: [ConfigProblem]

    public var description: String { problems.map(\.description).joined(separator: "\n") }
}
