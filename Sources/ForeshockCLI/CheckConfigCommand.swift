import ForeshockConfig
import ForeshockDelivery
import ForeshockSupport
import Foundation

/// `foreshock check-config FILE`: refuses exactly what `watch` would refuse at start, in the same
/// sentences (the systemd unit runs it before each start), and says which rules are in effect.
/// `check-config --print [FILE]`: the embedded default config, or FILE's effective config with
/// every default filled in.
enum CheckConfigCommand {
    static func run(_ arguments: ParsedArguments, terminal: Terminal, environment: [String: String]) throws(CommandError) -> ExitCode {
        if arguments.has(.printDefault) {
            guard let path = arguments.positionals.first else {
                terminal.out(DefaultConfig.text + "\n")
                return .success
            }
            do {
                let (config, _) = try ConfigLoader.load(path: path, environment: environment, requireSecrets: false)
                terminal.out(ConfigText.render(config, origin: path, off: config.answerRulesLimitedToBrandSources().off))
                return .success
            } catch {
                return refused(error, path: path, terminal: terminal)
            }
        }
        guard let path = arguments.positionals.first else {
            throw CommandError(.usage, "foreshock check-config: give the config FILE to check, or --print for the embedded default config.")
        }
        let config: Config
        do {
            // As watch loads it: a secret whose variable is not set here is refused, as watch
            // would refuse it (the unit loads the same environment file for both).
            let (loaded, warnings) = try ConfigLoader.load(path: path, environment: environment, requireSecrets: true)
            for warning in warnings { terminal.printError(warning.description) }
            config = loaded
        } catch {
            // What it names on disk is checked too, so that every problem is said at once.
            let more = error.partial.map { partial in afterLoading(partial, path: path, terminal: terminal, skipping: sinksWithErrors(error.problems)) } ?? []
            return refused(error, path: path, terminal: terminal, more: more)
        }
        let problems = afterLoading(config, path: path, terminal: terminal, skipping: [])
        if !problems.isEmpty {
            for problem in problems { terminal.printError(problem) }
            terminal.printError("\(path): \(NumberText.count(problems.count, "error")); the config cannot be used")
            return .usage
        }
        let (running, off) = config.answerRulesLimitedToBrandSources()
        for (rule, sources) in off {
            terminal.printError("\(path): warning: rule \(rule) is off for sources \(sources.joined(separator: ", ")): they name no brand_accounts, "
                + "so no answer by the brand can be seen there")
        }
        terminal.print("\(path): ok: \(NumberText.count(config.sources.count, "source")), \(NumberText.count(config.rules.count, "rule")), \(NumberText.count(config.sinks.count, "sink")), "
            + "\(NumberText.count(config.silences.count, "silence"))")
        terminal.print("rules in effect:")
        for rule in running.rules {
            let limited = rule.sources.map { " (sources: \($0.isEmpty ? "none" : $0.joined(separator: ", ")))" } ?? ""
            terminal.print("  \(rule.name) (\(rule.severity.rawValue)): \(rule.when.text)\(limited)")
        }
        let defaults = DefaultConfig.rules.map(\.name).filter { name in !config.rules.contains { $0.name == name } }
        if !config.includesDefaultRules, !defaults.isEmpty {
            terminal.print(config.rules.isEmpty
                ? "note: this config has no rules, and the default ones (\(defaults.joined(separator: ", "))) apply only with include_default_rules: true"
                : "note: this config's rules replace the default ones (\(defaults.joined(separator: ", "))); add include_default_rules: true to keep them too")
        }
        return .success
    }

    /// What watch checks after loading: the files it uses, every sink's template found, parsed
    /// and rendered (not a sink the config's own errors name: nil skips them all).
    private static func afterLoading(_ config: Config, path: String, terminal: Terminal, skipping: Set<Int>?) -> [String] {
        config.watchFileProblems(origin: path, stateDir: config.stateDir).map(\.description)
            + SinkSet.problems(config: config, skipping: skipping ?? Set(config.sinks.indices), terminal: terminal).map { "\(path): \($0.path): \($0.message)" }
    }

    /// The sinks a config's errors name, by index; nil when one of them was left out for a
    /// kind it does not know (the indices of those after it moved).
    private static func sinksWithErrors(_ problems: [ConfigProblem]) -> Set<Int>? {
        var indices = Set<Int>()
        for problem in problems where problem.severity == .error && problem.path.hasPrefix("sinks[") {
            // Left out of the config read (no kind it knows, or not an object): the indices after it moved.
            if problem.path.hasSuffix("].kind") || problem.path.hasSuffix("]") { return nil }
            if let index = Int(problem.path.dropFirst(6).prefix { $0.isNumber }) { indices.insert(index) }
        }
        return indices
    }

    /// Every problem, then the count (none for a file that could not be read at all): exit 2.
    private static func refused(_ error: ConfigError, path: String, terminal: Terminal, more: [String] = []) -> ExitCode {
        for problem in error.problems { terminal.printError(problem.description) }
        for problem in more { terminal.printError(problem) }
        if error.code == .unreadable { return .usage }
        let errors = error.problems.filter { $0.severity == .error }.count + more.count
        terminal.printError("\(path): \(NumberText.count(errors, "error")); the config cannot be used")
        return .usage
    }

}
