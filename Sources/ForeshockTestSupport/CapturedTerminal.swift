import Foundation
import Synchronization
import ForeshockSupport
import ForeshockCLI

/// A terminal whose output a test reads back.
package final class CapturedTerminal: Sendable {
    private let captured = Mutex((out: "", err: ""))

    package var terminal: Terminal {
        Terminal(out: { text in self.captured.withLock { $0.out += text } },
                 err: { text in self.captured.withLock { $0.err += text } })
    }

    package var out: String { captured.withLock { $0.out } }
    package var err: String { captured.withLock { $0.err } }
}

/// Runs `foreshock` in-process and returns its exit status and output.
package func runForeshock(_ arguments: [String], environment: [String: String] = [:]) async -> (ExitCode, out: String, err: String) {
    let capture = CapturedTerminal()
    let status = await CommandLineTool.run(arguments, terminal: capture.terminal, environment: environment)
    return (status, capture.out, capture.err)
}

/// Writes text to a new temporary file and returns its path.
package func writeTemporaryFile(_ text: String, name: String = "config.json5") throws -> String {
    let path = try makeTemporaryDirectory().appendingPathComponent(name).path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}
