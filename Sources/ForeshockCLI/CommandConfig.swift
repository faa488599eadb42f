import ForeshockConfig
import ForeshockSupport

/// The config a command runs on: `--config FILE`, or the embedded default.
enum CommandConfig {
    /// `--query` and `--brand`, which fill in the embedded config's sources: refused with
    /// `--config`, whose sources each say what they search for and name their `brand_accounts`.
    static func checkEmbeddedOptions(_ arguments: ParsedArguments, command: String) throws(CommandError) {
        if let query = arguments[.query], query.trimmingCharacters(in: .whitespaces).isEmpty {
            throw CommandError(.usage, "foreshock \(command): --query is empty; give what to search for, such as your brand's name.")
        }
        if arguments[.brand] != nil, arguments[.config] != nil {
            throw CommandError(.usage, "foreshock \(command): --brand goes with the embedded default config; with --config, give each source its brand_accounts.")
        }
        if let brand = arguments[.brand], let problem = SourceConfig.handleProblem(brand) {
            throw CommandError(.usage, "foreshock \(command): --brand \"\(SafeText.terminal(brand))\" \(problem).")
        }
        // It would be dropped without a word: a config's sources each say what they search for.
        if arguments[.query] != nil, arguments[.config] != nil {
            throw CommandError(.usage, "foreshock \(command): --query goes with the embedded default config; with --config, each source's query says what it searches for.")
        }
    }

    /// The rules about the brand's answer that are off (`Config.answerRulesLimitedToBrandSources`,
    /// `answersAsRecorded`), gathered by the sources they are off for, in the order first met:
    /// what watch says in a line, and replay in a clause, for each.
    static func answerRulesBySources(_ off: [(rule: String, sources: [String])]) -> [(sources: [String], rules: [String])] {
        var order: [[String]] = [], rules: [[String]: [String]] = [:]
        for (rule, sources) in off where !sources.isEmpty {
            if rules[sources] == nil { order.append(sources) }
            rules[sources, default: []].append(rule)
        }
        return order.map { ($0, rules[$0] ?? []) }
    }

    /// The config file `--config` names, or the embedded default one.
    /// - Parameters:
    ///   - query: what the embedded default searches for.
    ///   - requireSecrets: whether unset `_env` secrets are an error (they are for watch).
    static func load(_ arguments: ParsedArguments, environment: [String: String], query: String, requireSecrets: Bool = false) throws(CommandError) -> Config {
        do throws(ConfigError) {
            if let path = arguments[.config] {
                return try ConfigLoader.load(path: path, environment: environment, requireSecrets: requireSecrets).0
            }
            return try ConfigLoader.embeddedDefault(query: query, brand: arguments[.brand], environment: environment).0
        } catch {
            throw CommandError(.config,
                               errors: error.problems.filter { $0.severity == .error }.map(\.description),
                               warnings: error.problems.filter { $0.severity == .warning }.map(\.description))
        }
    }
}
