import Foundation

/// `foreshock watch`: loads the config (or the embedded default for `--query`), polls every
/// source and reports what it finds.
enum WatchCommand {
    static func run(_ arguments: ParsedArguments, terminal: Terminal, environment: [String: String]) async throws(CommandError) -> ExitCode {
        let options = try LogOptions(arguments)
        let config = try loadConfig(arguments, environment: environment)
        let handler = StreamLogHandler(level: options.level, format: options.format, write: terminal.err)
        handler.redact(config.redactor)
        let logger = Logger(handler: handler)
        let stateDir = CommandAlerting.stateDir(arguments, config: config)
        let lock: StateLock
        do { lock = try StateLock(directory: stateDir) } catch {
            throw CommandError(.runtime, "foreshock watch: \(error.description).")
        }
        defer { lock.release() }
        let notifier = try CommandAlerting.notifier(config: config, stateDir: stateDir, terminal: terminal, command: "watch", logger: logger)
        for source in config.sources where source.insecureSkipVerify {
            logger.warning("TLS peer verification is off for this source", [("source", source.name)])
        }
        let recording = try openRecording(arguments["--record"], maxBytes: arguments["--record-max-size"])
        defer { recording?.close() }
        var record: (@Sendable ([Observation]) -> Void)?
        if let recording {
            record = { observations in recording.append(observations) }
        }
        let factory = WatchService.Factory(
            loadConfig: { () throws(CommandError) -> Config in
                let fresh = try loadConfig(arguments, environment: environment)
                handler.redact(fresh.redactor)
                return fresh
            },
            makeNotifier: { (fresh: Config, previous: Notifier?) throws(CommandError) -> Notifier in
                try CommandAlerting.notifier(config: fresh, stateDir: stateDir, terminal: terminal, command: "watch", logger: logger, sharing: previous)
            })
        var serviceOptions = WatchService.Options()
        serviceOptions.once = arguments.has("--once")
        serviceOptions.mentions = arguments["--mentions"] ?? "text"
        let service = WatchService(config: config, stateDir: stateDir, notifier: notifier, factory: factory, options: serviceOptions,
                                   terminal: terminal, logger: logger, record: record)
        return await service.run()
    }

    static func loadConfig(_ arguments: ParsedArguments, environment: [String: String]) throws(CommandError) -> Config {
        guard arguments["--config"] != nil || arguments["--query"] != nil else {
            throw CommandError(.usage, "foreshock watch: give --config FILE, or --query TEXT to watch with the embedded default config.")
        }
        return try CommandConfig.load(arguments, environment: environment, query: arguments["--query"] ?? "", requireSecrets: true)
    }

    static func openRecording(_ path: String?, maxBytes: String?) throws(CommandError) -> RecordingFile? {
        guard let path else { return nil }
        var limit: Int64?
        if let maxBytes {
            guard let bytes = ByteSize.parse(maxBytes) else {
                throw CommandError(.usage, "foreshock watch: --record-max-size takes a size such as 500MB or 2GB, not \"\(maxBytes)\".")
            }
            limit = bytes
        }
        do {
            return try RecordingFile(path: path, maxBytes: limit)
        } catch {
            throw CommandError(.runtime, "foreshock watch: cannot open the recording \(path): \((error as NSError).localizedDescription)")
        }
    }
}
