import ForeshockConfig
import ForeshockSupport
import Foundation

/// `foreshock check-config FILE`, and `check-config --print` for the embedded default config.
enum CheckConfigCommand {
    static func run(_ arguments: ParsedArguments, terminal: Terminal, environment: [String: String]) throws(CommandError) -> ExitCode {
        if arguments.has(.printDefault) {
            guard arguments.positionals.isEmpty else {
                throw CommandError(.usage, "foreshock check-config: --print prints the embedded default config, the one to start your own from; give it no FILE.")
            }
            terminal.out(DefaultConfig.text + "\n")
            return .success
        }
        guard let path = arguments.positionals.first else {
            throw CommandError(.usage, "foreshock check-config: give the config FILE to check, or --print for the embedded default config.")
        }
        do {
            // Secrets from the environment may be set only where the service runs: warn, don't fail.
            let (config, warnings) = try ConfigLoader.load(path: path, environment: environment, requireSecrets: false)
            for warning in warnings { terminal.printError(warning.description) }
            terminal.print("\(path): ok: \(count(config.sources.count, "source")), \(count(config.rules.count, "rule")), \(count(config.sinks.count, "sink")), \(count(config.silences.count, "silence"))")
            return .success
        } catch {
            for problem in error.problems { terminal.printError(problem.description) }
            if error.code == .unreadable { return .failure }
            let errors = error.problems.filter { $0.severity == .error }.count
            terminal.printError("\(path): \(count(errors, "error")); the config cannot be used")
            return .usage
        }
    }

    private static func count(_ number: Int, _ noun: String) -> String {
        "\(number) \(noun)\(number == 1 ? "" : "s")"
    }
}
