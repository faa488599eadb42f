import Foundation

/// `foreshock watch`: loads the config (or the embedded default for `--query`), polls every
/// source and reports what it finds.
enum WatchCommand {
    static func run(_ arguments: ParsedArguments, terminal: Terminal, environment: [String: String]) async throws(CommandError) -> ExitCode {
        let options = try LogOptions(arguments)
        let config = try loadConfig(arguments, environment: environment)
        let handler = StreamLogHandler(level: options.level, format: options.format, write: terminal.err)
        handler.redact(config.secretValues)
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
                handler.redact(fresh.secretValues)
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

    /// One line per poll that says something: a failure, or how many new mentions came.
    static func log(_ outcome: PollOutcome, _ logger: Logger) {
        let source = logger.with("source", outcome.source)
        if let error = outcome.error {
            source.warning("poll failed: \(error.message)", [("retry_in", "\(Int(outcome.nextPollAfter.rounded()))s")])
        } else {
            source.debug("polled", [("new", "\(outcome.mentions.count)"), ("requests", "\(outcome.requests)"), ("not_modified", "\(outcome.notModified)")])
            if outcome.truncated { source.warning("more new mentions than one poll reads; the rest follow next poll") }
            if outcome.cursorFellBack { source.info("the newest post seen is gone; the cursor stepped back to an older one") }
        }
    }
}

/// New mentions on the terminal: one short line each, or JSON Lines for piping.
struct MentionReport: Sendable {
    var terminal: Terminal
    var format: String

    func show(_ outcome: PollOutcome) {
        guard format != "none" else { return }
        for mention in outcome.mentions {
            if format == "jsonl" {
                terminal.print(mention.jsonLine)
                continue
            }
            let text = (mention.text ?? "").replacingOccurrences(of: "\n", with: " ")
            let excerpt = text.count > 100 ? text.prefix(99) + "…" : Substring(text)
            let counts = [("reshares", mention.reshares), ("replies", mention.replies), ("likes", mention.likes)]
                .compactMap { name, value in value.map { "\($0) \(name)" } }.joined(separator: ", ")
            let kind = mention.reshareOf.map { "reshare of \($0)" } ?? (mention.replyTo.map { "reply to \($0)" } ?? "post")
            terminal.print("[\(outcome.source)] \(mention.author ?? "?") \(kind)\(counts.isEmpty ? "" : " (\(counts))"): \(excerpt) \(mention.url ?? "")")
        }
    }
}
