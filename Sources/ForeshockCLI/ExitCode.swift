/// What the process's exit status means, for every command.
package enum ExitCode: Int32, Sendable {
    /// The work was done.
    case success = 0
    /// The work failed at run time: a source or sink failed, an input file could not be read.
    case failure = 1
    /// The command line or the config is wrong.
    case usage = 2
}

/// An error a person reads: one sentence, and the exit status it leads to.
package struct CommandError: Error, Sendable, CustomStringConvertible {
    package enum Code: Sendable {
        case usage, config, runtime
    }

    package var code: Code
    package var message: String
    /// A config's warnings that came with its errors, printed before them.
    package var warnings: [String] = []

    package init(_ code: Code, _ message: String, warnings: [String] = []) {
        self.code = code
        self.message = message
        self.warnings = warnings
    }

    package var exitCode: ExitCode {
        switch code {
        case .usage, .config: return .usage
        case .runtime: return .failure
        }
    }

    package var description: String { message }
}
