import ForeshockConfig
import ForeshockSupport

/// The config a command runs on: `--config FILE`, or the embedded default.
enum CommandConfig {
    /// `--brand`, which names the brand's account on the embedded config's sources: refused with
    /// `--config`, whose sources each name their own `brand_accounts`.
    static func checkBrand(_ arguments: ParsedArguments, command: String) throws(CommandError) {
        if arguments[.brand] != nil, arguments[.config] != nil {
            throw CommandError(.usage, "foreshock \(command): --brand goes with the embedded default config; with --config, give each source its brand_accounts.")
        }
        if let brand = arguments[.brand], let problem = SourceConfig.handleProblem(brand) {
            throw CommandError(.usage, "foreshock \(command): --brand \"\(SafeText.terminal(brand))\" \(problem).")
        }
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
