import ForeshockConfig
import ForeshockCore
import ForeshockDelivery
import ForeshockService
import ForeshockSupport
import Foundation

/// `foreshock watch`: loads the config (or the embedded default for `--query`), polls every
/// source and reports what it finds.
enum WatchCommand {
    static func run(_ arguments: ParsedArguments, terminal: Terminal, environment: [String: String]) async throws(CommandError) -> ExitCode {
        let options = try LogOptions(arguments)
        // Before anything is loaded or said: a bad option is the one line a usage error is.
        let recordLimit = try recordMaxSize(arguments[.recordMaxSize])
        let (config, off) = try loadConfig(arguments, environment: environment)
        let handler = StreamLogHandler(level: options.level, format: options.format, write: terminal.err)
        handler.redact(config.redactor)
        let logger = Logger(handler: handler)
        sayAnswerRulesOff(off, logger, ownConfig: arguments[.config] != nil)
        let stateDir = CommandAlerting.stateDir(arguments, config: config)
        try checkFiles(config, arguments, stateDir: stateDir)
        let lock: StateLock
        do { lock = try StateLock(directory: stateDir) } catch {
            throw CommandError(.runtime, "foreshock watch: \(error.description).")
        }
        defer { lock.release() }
        let notifier = try CommandAlerting.notifier(config: config, stateDir: stateDir, terminal: terminal, command: "watch", logger: logger)
        for source in config.sources where source.insecureSkipVerify {
            logger.warning("TLS peer verification is off for this source", [("source", source.name)])
        }
        let recording = try openRecording(arguments[.record], maxBytes: recordLimit, logger: logger)
        defer { recording?.close() }
        var record: (@Sendable (RecordedLines) -> Void)?
        if let recording { record = { lines in recording.write(lines) } }
        let factory = WatchService.Factory(
            loadConfig: { () throws(WatchService.ReloadRefused) -> Config in
                do throws(CommandError) {
                    let (fresh, off) = try loadConfig(arguments, environment: environment)
                    try checkFiles(fresh, arguments, stateDir: stateDir)
                    handler.redact(fresh.redactor)
                    sayAnswerRulesOff(off, logger, ownConfig: arguments[.config] != nil)
                    return fresh
                } catch { throw WatchService.ReloadRefused(errors: error.errors, warnings: error.warnings) }
            },
            makeNotifier: { (fresh: Config, previous: Notifier?) throws(WatchService.ReloadRefused) -> Notifier in
                do throws(CommandError) { return try CommandAlerting.notifier(config: fresh, stateDir: stateDir, terminal: terminal, command: "watch", logger: logger, sharing: previous) }
                catch { throw WatchService.ReloadRefused(errors: [error.message]) }
            })
        var serviceOptions = WatchService.Options()
        serviceOptions.once = arguments.has(.once)
        serviceOptions.mentions = arguments[.mentions] ?? "text"
        let service = WatchService(config: config, stateDir: stateDir, notifier: notifier, factory: factory, options: serviceOptions,
                                   terminal: terminal, logger: logger, record: record)
        return await service.run() == .completed ? .success : .failure
    }

    /// The config as watch runs it: rules about the brand's answer only where the brand's
    /// accounts are known (`Config.answerRulesLimitedToBrandSources`), and the sources each
    /// such rule is off for.
    static func loadConfig(_ arguments: ParsedArguments, environment: [String: String]) throws(CommandError) -> (Config, off: [(rule: String, sources: [String])]) {
        guard arguments[.config] != nil || arguments[.query] != nil else {
            throw CommandError(.usage, "foreshock watch: give --config FILE, or --query TEXT to watch with the embedded default config.")
        }
        try CommandConfig.checkEmbeddedOptions(arguments, command: "watch")
        let limited = try CommandConfig.load(arguments, environment: environment, query: arguments[.query] ?? "", requireSecrets: true)
            .answerRulesLimitedToBrandSources()
        return (limited.config, limited.off)
    }

    /// The files only a watch uses (`Config.watchFileProblems`), at start and at each reload.
    static func checkFiles(_ config: Config, _ arguments: ParsedArguments, stateDir: String) throws(CommandError) {
        let problems = config.watchFileProblems(origin: arguments[.config] ?? "embedded default config", stateDir: stateDir)
        if !problems.isEmpty { throw CommandError(.config, errors: problems.map(\.description)) }
    }

    /// Once, the rules about the brand's answer that are off and for which sources, and why:
    /// one line for the rules off for the same sources (with the embedded config, all of them).
    /// - Parameter ownConfig: a config file is in use, where `--brand` is refused: the way to
    ///   turn them on is then each source's `brand_accounts`.
    static func sayAnswerRulesOff(_ off: [(rule: String, sources: [String])], _ logger: Logger, ownConfig: Bool) {
        for (sources, names) in CommandConfig.answerRulesBySources(off) {
            logger.warning("\(names.count == 1 ? "a rule" : "the rules") about the brand's answer \(names.count == 1 ? "is" : "are") off for sources that name no brand accounts: "
                + "no answer by the brand can be seen there (" + (ownConfig ? "give those sources brand_accounts" : "watch --brand HANDLE") + ")",
                           [("rules", names.joined(separator: ",")), ("sources", sources.joined(separator: ","))])
        }
    }

    static func recordMaxSize(_ text: String?) throws(CommandError) -> Int64? {
        guard let text else { return nil }
        guard let bytes = ByteSize.parse(text) else {
            throw CommandError(.usage, "foreshock watch: --record-max-size takes a size from 1KB to 1024TB, such as 500MB or 2GB, not \"\(SafeText.terminal(text))\".")
        }
        return bytes
    }

    static func openRecording(_ path: String?, maxBytes: Int64?, logger: Logger) throws(CommandError) -> RecordingFile? {
        guard let path else { return nil }
        do {
            return try RecordingFile(path: path, maxBytes: maxBytes) { event in
                switch event {
                case .rotated(let removed, let posts):
                    logger.info("recording rotated", [("file", path), ("removed", removed ?? "none"), ("carried_posts", String(posts))])
                case .writeFailed(let reason):
                    logger.warning("cannot write the recording; its lines are lost until a write succeeds", [("file", path), ("reason", reason)])
                case .writingAgain(let lost):
                    logger.info("writing the recording again", [("file", path), ("lines_lost", String(lost))])
                case .restartCarried(let posts):
                    logger.info("recording begins with the posts the state restored", [("file", path), ("carried_posts", String(posts))])
                }
            }
        } catch {
            throw CommandError(.runtime, "foreshock watch: cannot open the recording \(path): \(SystemReason.of(error))")
        }
    }
}
