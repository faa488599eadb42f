import ForeshockSupport
import Foundation

/// Reads and checks a config file, reporting every problem at once.
package enum ConfigLoader {
    /// What loading produced: the config when it has no errors, and every problem and warning.
    package struct Result: Sendable {
        package var config: Config?
        package var problems: [ConfigProblem]
        /// The config as read, errors or not (nil when the text is not a JSON5 object).
        package var partial: Config? = nil

        package var errors: [ConfigProblem] { problems.filter { $0.severity == .error } }
        package var warnings: [ConfigProblem] { problems.filter { $0.severity == .warning } }
    }

    /// Loads a config file.
    /// - Parameters:
    ///   - path: the JSON5 file.
    ///   - environment: where `_env` secrets are looked up.
    ///   - requireSecrets: whether an unset `_env` variable is an error (true when running).
    /// - Throws: `ConfigError` with code `.unreadable` when the file cannot be read, `.invalid`
    ///   with every error (warnings included) when it cannot be used.
    package static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment, requireSecrets: Bool = true, now: Date = Date()) throws(ConfigError) -> (Config, warnings: [ConfigProblem]) {
        let data: Data
        do {
            // A config is a few KB; 16 MB leaves room for any, and not for /dev/zero.
            data = try InputFile.read(path, atMost: 16 << 20)
        } catch {
            let reason = switch error.description {
            case "is a directory": "is a directory, not a config file"
            case SystemReason.describe(errno: ENOENT): "does not exist"
            default: error.description
            }
            throw ConfigError(code: .unreadable, problems: [ConfigProblem(origin: path, path: "", message: reason)])
        }
        return try checked(parse(data, origin: path, environment: environment, requireSecrets: requireSecrets, now: now))
    }

    /// The embedded default config, with `query` as what every source searches for and
    /// `brand` (a handle, if given) as the brand's account on every source.
    package static func embeddedDefault(query: String?, brand: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigError) -> (Config, warnings: [ConfigProblem]) {
        var (config, warnings) = try checked(parse(Data(DefaultConfig.text.utf8), origin: DefaultConfig.origin, environment: environment, requireSecrets: true, now: Date()))
        for index in config.sources.indices {
            if let query { config.sources[index].query = config.sources[index].mode == .tag ? DefaultConfig.hashtag(from: query) : query }
            if let brand { config.sources[index].brandAccounts = [brand] }
        }
        return (config, warnings)
    }

    private static func checked(_ result: Result) throws(ConfigError) -> (Config, warnings: [ConfigProblem]) {
        guard let config = result.config, result.errors.isEmpty else {
            throw ConfigError(code: .invalid, problems: result.problems, partial: result.partial)
        }
        return (config, result.warnings)
    }

    /// Checks config text without touching the file system (except `_file` secrets).
    package static func parse(_ data: Data, origin: String, environment: [String: String], requireSecrets: Bool, now: Date = Date()) -> Result {
        let reader = ConfigReader(origin: origin, environment: environment, requireSecrets: requireSecrets)
        let root: JSONValue
        do {
            root = try JSONValue.parse(data, json5: true)
        } catch {
            reader.error("", "not valid JSON5: \(error.reason)")
            return Result(config: nil, problems: reader.problems)
        }
        // The decoder keeps one of a key given twice without a word: `query` twice is a mistake to show.
        for duplicate in JSONSyntaxLocator.duplicateKeys([UInt8](data), json5: true) {
            reader.error(duplicate.path, "given twice in one object (again on line \(duplicate.line)); keep one")
        }
        guard let object = ObjectReader(root, path: "", reader: reader) else {
            return Result(config: nil, problems: reader.problems)
        }
        var config = Config()
        config.stateDir = object.string("state_dir") ?? config.stateDir
        config.metricsFile = object.string("metrics_file")
        config.shutdownTimeout = object.duration("shutdown_timeout", min: 0) ?? config.shutdownTimeout
        config.sourceDownAfter = object.duration("source_down_after", min: 1) ?? config.sourceDownAfter
        config.templatesDir = object.string("templates_dir")
        config.sources = object.objects("sources").compactMap { SourceConfig.read($0, reader: reader) }
        // Each source is a poller with its own connections and state: past a thousand it is a
        // generated file gone wrong, and 20,000 ran a 4 GB address space out in Foundation.
        if config.sources.count > Config.maxSources {
            reader.error(object.keyPath("sources"), "\(config.sources.count) sources; a watch takes at most \(Config.maxSources) (run several watches)")
        }
        if let scoring = object.object("scoring") { config.scoring = ScoringConfig.read(scoring, reader: reader) }
        config.rules = object.objects("rules").compactMap { RuleConfig.read($0, reader: reader) }
        // A config's own rules replace the default ones unless it asks to keep them; its rule
        // of the same name as a default one wins.
        config.includesDefaultRules = object.bool("include_default_rules") ?? false
        if config.includesDefaultRules, origin != DefaultConfig.origin {
            let own = Set(config.rules.map(\.name))
            config.rules += DefaultConfig.rules.filter { !own.contains($0.name) }
        }
        if let alerting = object.object("alerting") { config.alerting = AlertingConfig.read(alerting) }
        var silences: [(index: Int, silence: SilenceConfig)] = []
        for (index, silence) in object.objects("silences").enumerated() {
            if let read = SilenceConfig.read(silence, reader: reader, now: now) { silences.append((index, read)) }
        }
        config.silences = silences.map(\.silence)
        // As `silence add` checks it: a silence naming a rule or source the config does not have
        // would hold nothing back and look as if it did.
        for (index, silence) in silences {
            if let problem = config.unknownName(in: silence.matchers) { reader.error("silences[\(index)]", "names \(problem)") }
        }
        config.sinks = object.objects("sinks").compactMap { SinkConfig.read($0, reader: reader) }
        if let web = object.object("web") { config.web = WebConfig.read(web, reader: reader) }
        object.finish(elsewhere: Self.sectionKeys)
        crossCheck(config, reader: reader)
        return Result(config: reader.hasErrors ? nil : config, problems: reader.problems, partial: config)
    }

    /// Names must be unique, and rules may name only sinks and sources that exist.
    private static func crossCheck(_ config: Config, reader: ConfigReader) {
        duplicates(config.sources.map(\.name), list: "sources", reader: reader)
        duplicates(config.sinks.map(\.name), list: "sinks", reader: reader)
        duplicates(config.rules.map(\.name), list: "rules", reader: reader)
        let sinkNames = config.sinks.map(\.name), sourceNames = config.sources.map(\.name)
        for (index, rule) in config.rules.enumerated() {
            for (position, sink) in rule.sinks.enumerated() where !sinkNames.contains(sink) {
                let hint = Suggestion.closest(to: sink, among: sinkNames).map { "did you mean \"\($0)\"?" } ?? "sinks: \(sinkNames.joined(separator: ", "))"
                reader.error("rules[\(index)].sinks[\(position)]", "no sink is named \"\(sink)\" (\(sinkNames.isEmpty ? "add it to sinks[]" : hint))")
            }
            for (position, source) in (rule.sources ?? []).enumerated() where !sourceNames.contains(source) {
                let hint = Suggestion.closest(to: source, among: sourceNames).map { "did you mean \"\($0)\"?" } ?? "sources: \(sourceNames.joined(separator: ", "))"
                reader.error("rules[\(index)].sources[\(position)]", "no source is named \"\(source)\" (\(sourceNames.isEmpty ? "add it to sources[]" : hint))")
            }
        }
        if config.sources.isEmpty {
            reader.warning("sources", "no sources: fine for replay and check-config, but watch will have nothing to poll")
        }
        if config.rules.isEmpty {
            reader.warning("rules", "no rules: nothing will ever alert")
        }
        if config.scoring.replaceBuiltinLexicon, config.scoring.complaintTerms.isEmpty {
            for (index, rule) in config.rules.enumerated() where rule.when.leastComplaintScore > 0 {
                reader.warning("rules[\(index)].when", "can never hold: it asks for a complaint, and scoring.lexicon replaces the built-in complaint terms with none")
            }
        }
    }

    private static func duplicates(_ names: [String], list: String, reader: ConfigReader) {
        var seen: Set<String> = []
        for (index, name) in names.enumerated() where !seen.insert(name).inserted {
            reader.error("\(list)[\(index)].name", "\"\(name)\" is used twice (names in \(list) must be unique)")
        }
    }
}

extension ConfigLoader {
    /// The keys of the top level's sections, each with its place (`lexicon` is
    /// `scoring.lexicon`): read from each section's own reader given an empty object, so the
    /// list is the one the readers keep, not a second one to keep in step.
    static let sectionKeys: [String: String] = {
        var places: [String: String] = [:]
        let scratch = ConfigReader(origin: "", environment: [:], requireSecrets: false)
        func keys(of section: String, _ read: (ObjectReader) -> Void) {
            guard let empty = ObjectReader(.object([:]), path: section, reader: scratch) else { return }
            read(empty)
            for key in empty.askedKeys where places[key] == nil { places[key] = "\(section).\(key)" }
        }
        keys(of: "scoring") { _ = ScoringConfig.read($0, reader: scratch) }
        keys(of: "alerting") { _ = AlertingConfig.read($0) }
        keys(of: "web") { _ = WebConfig.read($0, reader: scratch) }
        return places
    }()
}
