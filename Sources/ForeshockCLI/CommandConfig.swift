import ForeshockConfig

/// The config a command runs on: `--config FILE`, or the embedded default.
enum CommandConfig {
    /// - Parameters:
    ///   - command: the command's name, for the error line.
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
