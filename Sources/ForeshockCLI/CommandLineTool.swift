import ForeshockConfig
import ForeshockSupport
import ForeshockTransport
import Foundation

/// `foreshock`'s command line: parses the subcommand and its arguments, runs it, and turns
/// every error into one readable line and an exit status.
package enum CommandLineTool {
    /// Runs one command line.
    /// - Parameters:
    ///   - arguments: the arguments after the program name.
    ///   - terminal: where output goes.
    ///   - environment: the environment `_env` secrets are read from.
    /// - Returns: the exit status.
    package static func run(_ arguments: [String], terminal: Terminal = .standard, environment: [String: String] = ProcessInfo.processInfo.environment) async -> ExitCode {
        do {
            return try await dispatch(arguments, terminal: terminal, environment: environment)
        } catch {
            // One line per problem, terminal-safe: problems quote paths, values and answers from
            // elsewhere, and a line break inside one is written as \x0a, not a second line.
            for line in error.warnings + error.errors { terminal.printError(SafeText.terminal(line)) }
            return error.exitCode
        }
    }

    private static func dispatch(_ arguments: [String], terminal: Terminal, environment: [String: String]) async throws(CommandError) -> ExitCode {
        guard let first = arguments.first else {
            terminal.err(overview(width: TextWrap.width(environment)))
            return .usage
        }
        let rest = Array(arguments.dropFirst())
        switch first {
        case "--version", "version":
            terminal.print("foreshock \(Foreshock.version) (\(CurlGlobal.version))")
            return .success
        case "help", "--help", "-h":
            if let topic = rest.first, topic != "help" {
                guard let spec = Commands.all.first(where: { $0.name == topic }) else {
                    throw unknownCommand(topic)
                }
                terminal.out(spec.help(width: TextWrap.width(environment)))
            } else {
                terminal.out(overview(width: TextWrap.width(environment)))
            }
            return .success
        default:
            break
        }
        guard let spec = Commands.all.first(where: { $0.name == first }) else {
            throw unknownCommand(first)
        }
        let parsed = try spec.parse(rest)
        if parsed.helpRequested {
            terminal.out(spec.help(width: TextWrap.width(environment)))
            return .success
        }
        return try await spec.run(parsed, terminal, environment)
    }

    private static func unknownCommand(_ name: String) -> CommandError {
        let hint = Suggestion.closest(to: name, among: Commands.all.map(\.name)).map { " Did you mean '\($0)'?" } ?? ""
        return CommandError(.usage, "foreshock: '\(name)' is not a command.\(hint) (see foreshock help)")
    }

    /// `foreshock help`: every command with the first sentence of its summary, wrapped to `width`.
    static func overview(width: Int) -> String {
        let column = (Commands.all.map(\.name.count).max() ?? 0) + 5
        func row(_ name: String, _ text: String) -> String {
            let lines = TextWrap.lines(text, width: max(20, width - column))
            let first: String = "  " + name.padding(toLength: column - 2, withPad: " ", startingAt: 0) + (lines.first ?? "")
            let pad = String(repeating: " ", count: column)
            let rest: [String] = lines.dropFirst().map { pad + $0 }
            return ([first] + rest).joined(separator: "\n")
        }
        let rows = Commands.all.map { row($0.name, $0.headline) } + [row("help COMMAND", "A command's options and what they do (or COMMAND --help).")]
        return """
        \(TextWrap.hanging("foreshock \(Foreshock.version): hears a complaint about your brand before it goes viral.", width: width, indent: 0))

        Usage: foreshock COMMAND [OPTIONS]

        Commands:
        \(rows.joined(separator: "\n"))

        \(TextWrap.hanging("Exit status: 0 success, 1 the work failed at run time, 2 usage or config error.", width: width, indent: 0))

        """
    }
}

/// `--log-format` and `--log-level`, checked.
struct LogOptions {
    var format: StreamLogHandler.Format = .logfmt
    var level: LogLevel = .info

    init(_ parsed: ParsedArguments) throws(CommandError) {
        if let text = parsed[.logFormat] {
            guard let format = StreamLogHandler.Format(rawValue: text) else {
                throw CommandError(.usage, "foreshock: --log-format must be logfmt or json, not \"\(text)\".")
            }
            self.format = format
        }
        if let text = parsed[.logLevel] {
            guard let level = LogLevel(rawValue: text.lowercased()) else {
                throw CommandError(.usage, "foreshock: --log-level must be one of \(LogLevel.allCases.map(\.rawValue).joined(separator: ", ")), not \"\(text)\".")
            }
            self.level = level
        }
    }
}
