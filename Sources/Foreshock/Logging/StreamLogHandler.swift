import Foundation
import Synchronization

/// Writes one line per event to a stream (stderr by default), as logfmt or JSON, with every
/// known secret replaced by `<redacted>`.
public final class StreamLogHandler: LogHandler {
    public enum Format: String, Sendable, CaseIterable { case logfmt, json }

    public let level: LogLevel
    public let format: Format
    private let write: @Sendable (String) -> Void
    private let secrets: Mutex<[String]>

    /// - Parameters:
    ///   - write: receives each finished line, newline included; stderr when nil.
    public init(level: LogLevel = .info, format: Format = .logfmt, write: (@Sendable (String) -> Void)? = nil) {
        self.level = level
        self.format = format
        self.write = write ?? { line in FileHandle.standardError.write(Data(line.utf8)) }
        self.secrets = Mutex([])
    }

    /// Values that must never appear in a log line (tokens, passwords, webhook URLs).
    public func redact(_ values: [String]) {
        // Short values would blank out ordinary words; a real secret is longer than this.
        let usable = values.filter { $0.count >= 6 }
        secrets.withLock { $0.append(contentsOf: usable) }
    }

    public func log(level: LogLevel, message: String, metadata: [(String, String)], time: Date) {
        let fields = [("ts", Timestamp.format(time)), ("level", level.rawValue), ("msg", message)] + metadata
        var line: String
        switch format {
        case .logfmt:
            line = fields.map { "\($0.0)=\(Self.logfmtValue($0.1))" }.joined(separator: " ")
        case .json:
            line = "{" + fields.map { "\(JSONText.quote($0.0)):\(JSONText.quote($0.1))" }.joined(separator: ",") + "}"
        }
        for secret in secrets.withLock({ $0 }) where line.contains(secret) {
            line = line.replacingOccurrences(of: secret, with: "<redacted>")
        }
        write(line + "\n")
    }

    /// Bare when safe, else quoted with escapes; control characters never reach the terminal raw.
    static func logfmtValue(_ value: String) -> String {
        let plain = !value.isEmpty && value.unicodeScalars.allSatisfy {
            $0.value > 0x20 && $0 != "\"" && $0 != "=" && $0 != "\\" && $0.value != 0x7F && !(0x80...0x9F).contains($0.value)
        }
        return plain ? value : JSONText.quote(value)
    }
}
