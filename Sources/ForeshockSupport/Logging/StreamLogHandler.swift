import Foundation
import Synchronization

/// Writes one line per event to a stream (stderr by default), as logfmt or JSON, with every
/// known secret, bearer token and URL credential replaced by `<redacted>` (`Redactor`).
package final class StreamLogHandler: LogHandler {
    package enum Format: String, Sendable, CaseIterable { case logfmt, json }

    package let level: LogLevel
    package let format: Format
    private let write: @Sendable (String) -> Void
    private let redactor: Mutex<Redactor>

    /// - Parameters:
    ///   - write: receives each finished line, newline included; stderr when nil.
    package init(level: LogLevel = .info, format: Format = .logfmt, write: (@Sendable (String) -> Void)? = nil) {
        self.level = level
        self.format = format
        self.write = write ?? { line in Terminal.standardError(line) }
        self.redactor = Mutex(Redactor())
    }

    /// Secrets that must never appear in a log line (tokens, passwords, webhook URLs), on top of
    /// those already known: a reload adds the new config's.
    package func redact(_ more: Redactor) {
        redactor.withLock { $0 = $0.merged(with: more) }
    }

    /// Values that must never appear in a log line.
    package func redact(_ values: [String]) {
        redact(Redactor(secrets: values))
    }

    package func log(level: LogLevel, message: String, metadata: [(String, String)], time: Date) {
        // Defence in depth: errors are scrubbed where they are made, but a line may quote
        // anything. Each value is scrubbed before it is quoted, so a secret holding a quote
        // still matches and a redaction never eats an escape.
        let redactor = redactor.withLock { $0 }
        let fields = [("ts", Timestamp.format(time)), ("level", level.rawValue), ("msg", redactor.scrub(message))]
            + metadata.map { ($0.0, redactor.scrub($0.1)) }
        let line: String
        switch format {
        case .logfmt:
            line = fields.map { "\($0.0)=\(Self.logfmtValue($0.1))" }.joined(separator: " ")
        case .json:
            line = "{" + fields.map { "\(JSONText.quote($0.0)):\(JSONText.quote($0.1))" }.joined(separator: ",") + "}"
        }
        write(line + "\n")
    }

    /// Bare when safe, else quoted with escapes; control characters never reach the terminal raw.
    static func logfmtValue(_ value: String) -> String {
        let plain = !value.isEmpty && value.unicodeScalars.allSatisfy {
            $0.value > 0x20 && $0 != "\"" && $0 != "=" && $0 != "\\" && !SafeText.isUnsafe($0)
        }
        return plain ? value : JSONText.quote(value)
    }
}
