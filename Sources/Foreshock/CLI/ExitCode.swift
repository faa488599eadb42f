/// What the process's exit status means, for every command.
public enum ExitCode: Int32, Sendable {
    /// The work was done.
    case success = 0
    /// The work failed at run time: a source or sink failed, an input file could not be read.
    case failure = 1
    /// The command line or the config is wrong.
    case usage = 2
}

/// An error a person reads: one sentence, and the exit status it leads to.
public struct CommandError: Error, Sendable, CustomStringConvertible {
    public enum Code: Sendable {
        case usage, config, runtime
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var exitCode: ExitCode {
        switch code {
        case .usage, .config: return .usage
        case .runtime: return .failure
        }
    }

    public var description: String { message }
}
