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
        // The outbox and silences live in the state directory; cursors and scores do not yet.
        let notifier = try CommandAlerting.notifier(config: config, stateDir: stateDir, terminal: terminal, command: "watch", logger: logger)
        defer { notifier.stop() }
        let client = HTTPClient()
        let pollers = config.sources.map { FeedPoller(feed: $0.makeFeed(), client: client) }
        for source in config.sources where source.insecureSkipVerify {
            logger.warning("TLS peer verification is off for this source", [("source", source.name)])
        }
        let scheduler = FeedScheduler(pollers: pollers)
        let report = MentionReport(terminal: terminal, format: arguments["--mentions"] ?? "text")
        let recording = try openRecording(arguments["--record"])
        defer { recording?.close() }
        var record: (@Sendable ([Observation]) -> Void)?
        if let recording {
            record = { observations in recording.append(observations) }
        }
        let pipeline = WatchPipeline(config: config, pollers: pollers, record: record) { notes in
            notifier.submit(notes)
        }
        if arguments.has("--once") {
            let outcomes = await scheduler.pollOnce()
            var failed = 0
            for outcome in outcomes {
                log(outcome, logger)
                report.show(outcome)
                await pipeline.handle(outcome)
                if outcome.error != nil { failed += 1 }
            }
            // Deliver before exiting; what does not make it stays in the outbox for next time.
            let delivered = await notifier.drain(timeout: 10)
            if !delivered { logger.warning("some notifications are not delivered yet; they stay in the outbox", [("outbox", "\(notifier.outbox.depth)")]) }
            let dead = notifier.stats.dead.values.reduce(0, +)
            return failed == 0 && delivered && dead == 0 ? .success : .failure
        }
        logger.info("watching", [("sources", config.sources.map(\.name).joined(separator: ","))])
        let streams = pollers.filter { $0.source.kind == .mastodon && $0.source.stream && $0.source.mode == .tag }
            .map { MastodonStream(poller: $0, client: client) }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await scheduler.run { outcome in
                    log(outcome, logger)
                    report.show(outcome)
                    await pipeline.handle(outcome)
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(nanoseconds: UInt64(config.scoring.evaluationInterval * 1e9))
                    await pipeline.tick(Date())
                }
            }
            for stream in streams {
                let source = logger.with("source", stream.poller.source.name)
                group.addTask {
                    await stream.run({ outcome in
                        report.show(outcome)
                        await pipeline.handle(outcome)
                    }, problem: { source.warning($0) })
                }
            }
        }
        return .success
    }

    static func loadConfig(_ arguments: ParsedArguments, environment: [String: String]) throws(CommandError) -> Config {
        guard arguments["--config"] != nil || arguments["--query"] != nil else {
            throw CommandError(.usage, "foreshock watch: give --config FILE, or --query TEXT to watch with the embedded default config.")
        }
        return try CommandConfig.load(arguments, environment: environment, query: arguments["--query"] ?? "", requireSecrets: true)
    }

    static func openRecording(_ path: String?) throws(CommandError) -> RecordingFile? {
        guard let path else { return nil }
        do {
            return try RecordingFile(path: path)
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
