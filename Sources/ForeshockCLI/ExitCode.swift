/// What the process's exit status means, for every command.
package enum ExitCode: Int32, Sendable {
    /// The work was done.
    case success = 0
    /// The work failed at run time: a source or sink failed, an input file could not be read.
    case failure = 1
    /// The command line or the config is wrong (a config file that is not there or cannot be
    /// read included: the command cannot start without it).
    case usage = 2
}

/// An error a person reads: one sentence, and the exit status it leads to.
package struct CommandError: Error, Sendable, CustomStringConvertible {
    package enum Code: Sendable {
        case usage, config, runtime
    }

    package let code: Code
    /// What went wrong: `errors`, a line each.
    package var message: String { errors.joined(separator: "\n") }
    /// Each problem on its own (a config has several at once), for a reload refused to list.
    package let errors: [String]
    /// A config's warnings that came with its errors, printed before them.
    package let warnings: [String]

    package init(_ code: Code, _ message: String, warnings: [String] = []) {
        self.init(code, errors: [message], warnings: warnings)
    }

    package init(_ code: Code, errors: [String], warnings: [String] = []) {
        self.code = code
        self.errors = errors
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
