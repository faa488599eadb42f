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
            terminal.printError(error.message)
            return error.exitCode
        }
    }

    private static func dispatch(_ arguments: [String], terminal: Terminal, environment: [String: String]) async throws(CommandError) -> ExitCode {
        guard let first = arguments.first else {
            terminal.err(overview)
            return .usage
        }
        let rest = Array(arguments.dropFirst())
        switch first {
        case "--version", "version":
            terminal.print("foreshock \(Foreshock.version) (\(CurlGlobal.version))")
            return .success
        case "help", "--help", "-h":
            if let topic = rest.first {
                guard let spec = Commands.all.first(where: { $0.name == topic }) else {
                    throw unknownCommand(topic)
                }
                terminal.out(spec.help)
            } else {
                terminal.out(overview)
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
            terminal.out(spec.help)
            return .success
        }
        switch spec.name {
        case "check-config":
            return try CheckConfigCommand.run(parsed, terminal: terminal, environment: environment)
        case "bench":
            return try await BenchCommand.run(parsed, terminal: terminal, environment: environment)
        case "eval":
            // Minutes of CPU on both cores (concurrentPerform blocks its caller): off Swift
            // concurrency's threads.
            let outcome: Result<ExitCode, CommandError> = await onDispatchThread {
                do throws(CommandError) { return .success(try EvalCommand.run(parsed, terminal: terminal, environment: environment)) } catch { return .failure(error) }
            }
            return try outcome.get()
        case "replay":
            return try await ReplayCommand.run(parsed, terminal: terminal, environment: environment)
        case "parse":
            return try ParseCommand.run(parsed, terminal: terminal, environment: environment)
        case "watch":
            return try await WatchCommand.run(parsed, terminal: terminal, environment: environment)
        case "test-alert":
            return try await TestAlertCommand.run(parsed, terminal: terminal, environment: environment)
        case "silence":
            return try SilenceCommand.run(parsed, terminal: terminal, environment: environment)
        case "demo":
            return try await DemoCommand.run(parsed, terminal: terminal, environment: environment)
        case "status":
            return try StatusCommand.run(parsed, terminal: terminal, environment: environment)
        default:
            return notImplemented(spec, terminal)
        }
    }

    private static func notImplemented(_ spec: CommandSpec, _ terminal: Terminal) -> ExitCode {
        terminal.printError("foreshock \(spec.name): not implemented yet.")
        return .failure
    }

    private static func unknownCommand(_ name: String) -> CommandError {
        let hint = Suggestion.closest(to: name, among: Commands.all.map(\.name)).map { " Did you mean '\($0)'?" } ?? ""
        return CommandError(.usage, "foreshock: '\(name)' is not a command.\(hint) (see foreshock help)")
    }

    static var overview: String {
        let width = Commands.all.map(\.name.count).max() ?? 0
        let lines = Commands.all.map { spec in
            "  " + spec.name.padding(toLength: width + 3, withPad: " ", startingAt: 0) + (spec.summary.split(separator: "\n").first.map(String.init) ?? "")
        }
        return """
        foreshock \(Foreshock.version): hears a complaint about your brand before it goes viral.

        Usage: foreshock COMMAND [OPTIONS]

        Commands:
        \(lines.joined(separator: "\n"))
          \("help COMMAND".padding(toLength: width + 3, withPad: " ", startingAt: 0))show a command's options (or COMMAND --help)

        Exit status: 0 success, 1 the work failed at run time, 2 usage or config error.

        """
    }
}

/// `--log-format` and `--log-level`, checked.
struct LogOptions {
    var format: StreamLogHandler.Format = .logfmt
    var level: LogLevel = .info

    init(_ parsed: ParsedArguments) throws(CommandError) {
        if let text = parsed["--log-format"] {
            guard let format = StreamLogHandler.Format(rawValue: text) else {
                throw CommandError(.usage, "foreshock: --log-format must be logfmt or json, not \"\(text)\".")
            }
            self.format = format
        }
        if let text = parsed["--log-level"] {
            guard let level = LogLevel(rawValue: text.lowercased()) else {
                throw CommandError(.usage, "foreshock: --log-level must be one of \(LogLevel.allCases.map(\.rawValue).joined(separator: ", ")), not \"\(text)\".")
            }
            self.level = level
        }
    }
}
