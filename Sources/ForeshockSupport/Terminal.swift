import Foundation

/// Where a command writes: stdout and stderr, replaceable so tests can run commands in-process.
package struct Terminal: Sendable {
    package var out: @Sendable (String) -> Void
    package var err: @Sendable (String) -> Void

    package init(out: @escaping @Sendable (String) -> Void, err: @escaping @Sendable (String) -> Void) {
        self.out = out
        self.err = err
    }

    /// The process's own stdout and stderr.
    package static let standard = Terminal(
        out: { FileHandle.standardOutput.write(Data($0.utf8)) },
        err: { FileHandle.standardError.write(Data($0.utf8)) }
    )

    /// Writes a line to stdout.
    package func print(_ line: String) { out(line + "\n") }
    /// Writes a line to stderr.
    package func printError(_ line: String) { err(line + "\n") }
}
