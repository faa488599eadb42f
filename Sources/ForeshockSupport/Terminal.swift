import Foundation

/// Where a command writes: stdout and stderr, replaceable so tests can run commands in-process.
package struct Terminal: Sendable {
    package var out: @Sendable (String) -> Void
    package var err: @Sendable (String) -> Void

    package init(out: @escaping @Sendable (String) -> Void, err: @escaping @Sendable (String) -> Void) {
        self.out = out
        self.err = err
    }

    /// The process's own stdout and stderr. A write that fails (a full disk under a log file, a
    /// file size limit) loses that text, not the process: Foundation's `write(_:)` traps on
    /// any error, so these use the throwing `write(contentsOf:)`.
    package static let standard = Terminal(out: { standardOut($0) }, err: { standardError($0) })

    package static func standardOut(_ text: String) { try? FileHandle.standardOutput.write(contentsOf: Data(text.utf8)) }
    package static func standardError(_ text: String) { try? FileHandle.standardError.write(contentsOf: Data(text.utf8)) }

    /// Writes a line to stdout.
    package func print(_ line: String) { out(line + "\n") }
    /// Writes a line to stderr.
    package func printError(_ line: String) { err(line + "\n") }
}
