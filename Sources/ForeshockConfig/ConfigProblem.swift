import ForeshockSupport

/// One thing wrong (or worth a warning) in a config file, at a key path.
package struct ConfigProblem: Sendable, Equatable, CustomStringConvertible {
    package enum Severity: String, Sendable { case error, warning }

    /// The file (or "embedded default config") the problem is in.
    package var origin: String
    /// The key path, as `sources[1].interval`; empty for the whole file.
    package var path: String
    /// What is wrong, then what would be right in parentheses.
    package var message: String
    package var severity: Severity

    package init(origin: String, path: String, message: String, severity: Severity = .error) {
        self.origin = origin
        self.path = path
        self.message = message
        self.severity = severity
    }

    /// `FILE: key.path: what is wrong (what would be right)`, with "warning: " before a warning's
    /// path. One line, terminal-safe: a problem may quote a value, and a value may hold a line
    /// break or an escape sequence.
    package var description: String {
        let place = path.isEmpty ? "" : "\(path): "
        return SafeText.terminal("\(origin): \(severity == .warning ? "warning: " : "")\(place)\(message)")
    }
}

/// A config that could not be used, with every problem found in it.
package struct ConfigError: Error, Sendable, CustomStringConvertible {
    package enum Code: Sendable { case unreadable, invalid }
    package var code: Code
    package var problems: [ConfigProblem]
    /// The config as far as it could be read, for checks of what it names on disk (check-config
    /// says every problem at once); nil when the file could not be read or parsed.
    package var partial: Config? = nil

    package var description: String { problems.map(\.description).joined(separator: "\n") }
}
