import ForeshockConfig
import ForeshockCore
import ForeshockDelivery
import ForeshockService
import ForeshockSupport
import Foundation

/// `foreshock replay`: what the thresholds in a config would have done on recorded traffic.
enum ReplayCommand {
    static func run(_ arguments: ParsedArguments, terminal: Terminal, environment: [String: String]) async throws(CommandError) -> ExitCode {
        var notifier: Notifier?
        // Held until the last message is settled, on a refusal too: a watch started on the same
        // state directory meanwhile would send from the same outbox.
        var lock: StateLock?
        defer { lock?.release() }
        do {
            return try await replay(arguments, terminal: terminal, environment: environment, notifier: &notifier, lock: &lock)
        } catch {
            // With --send, a refusal after the replay (a report that cannot be written) still
            // delivers what it sent, its closing resolutions too: no test incident stays open.
            // A refusal before anything was sent (a --trace of no post) adds no line of its own.
            if let notifier { _ = await finishSending(notifier, stateDir: arguments[.stateDir], terminal: terminal, sayIfIdle: false) }
            throw error
        }
    }

    /// Delivers what `--send` handed over (for up to a minute), stops the workers and says how
    /// it went in one line.
    /// - Parameter sayIfIdle: whether to say so when nothing was sent or left.
    /// - Returns: whether everything was delivered and nothing dead-lettered.
    private static func finishSending(_ notifier: Notifier, stateDir: String?, terminal: Terminal, sayIfIdle: Bool = true) async -> Bool {
        let delivered = await notifier.drain(timeout: sendingTime)
        await notifier.stopAndWait()
        let stats = notifier.stats
        let sent = stats.delivered.values.reduce(0, +), dead = stats.dead.values.reduce(0, +)
        let left = notifier.outbox.depth
        guard sayIfIdle || sent + dead + stats.silenced + left > 0 else { return true }
        terminal.printError("replay: \(NumberText.count(sent, "message")) delivered, \(dead) dead-lettered, "
            + "\(NumberText.count(stats.silenced, "notification")) silenced"
            + (delivered ? "" : ", \(left) still undelivered after \(Int(sendingTime)) s"
                + (stateDir.map { " (kept in \(SafeText.terminal($0))'s outbox: replay --send with it sends them)" } ?? " (no --state-dir keeps them)")))
        return delivered && dead == 0
    }

    /// How long `--send` waits for its messages to be delivered at the end.
    static let sendingTime = 60.0

    /// - Parameters:
    ///   - notifier: set to the notifier `--send` delivers through, once it exists.
    ///   - lock: set to the state directory's lock `--send` takes, for the caller to release.
    private static func replay(_ arguments: ParsedArguments, terminal: Terminal, environment: [String: String],
                               notifier: inout Notifier?, lock: inout StateLock?) async throws(CommandError) -> ExitCode {
        let format = arguments[.format] ?? "text"
        var traceEvery = 60.0
        if let text = arguments[.traceEvery] {
            guard arguments[.trace] != nil else {
                throw CommandError(.usage, "foreshock replay: --trace-every says how often to trace a post; name the post with --trace POST.")
            }
            // A row a second is 86,400 a day already; a row a millisecond would print for ever.
            guard let seconds = DurationText.seconds(text), seconds >= 1 else {
                throw CommandError(.usage, "foreshock replay: --trace-every takes a duration of a second or more, such as 60s or 5m, not \"\(text)\".")
            }
            traceEvery = seconds
        }
        let target = try targetSize(arguments, command: "replay")
        try CommandConfig.checkEmbeddedOptions(arguments, command: "replay")
        // The query names the brand (`brand_terms`): what tells a complaint about it from others.
        let loaded = try CommandConfig.load(arguments, environment: environment, query: arguments[.query] ?? "replay", requireSecrets: arguments.has(.send))
        var sweep: [SweepSpec] = []
        for text in arguments.all(.sweep) {
            do { sweep += try SweepSpec.parse(text, rules: loaded.rules) } catch { throw CommandError(.usage, "foreshock replay: \(error.description)") }
        }
        do { try SweepSpec.checkDistinct(sweep) } catch { throw CommandError(.usage, "foreshock replay: \(error.description)") }
        guard sweep.count <= 2 else { throw CommandError(.usage, "foreshock replay: --sweep takes one or two conditions, not \(sweep.count).") }
        guard sweep.isEmpty || !arguments.has(.send) else { throw CommandError(.usage, "foreshock replay: --sweep cannot --send: it replays once per value.") }
        // Before the state directory is touched: a report that cannot go where it is asked leaves
        // no lock or outbox behind.
        try CommandFile.checkReportPlace(arguments[.report], command: "replay")
        let paths = arguments.positionals, path = paths.joined(separator: " ")
        if let report = arguments[.report], paths.contains(where: { CommandFile.same(report, $0) }) {
            throw CommandError(.usage, "foreshock replay: --report \(SafeText.terminal(report)) is the recording itself; the report would replace it.")
        }
        // Sending through a state directory's outbox is what a watch on it does: not both at once.
        if arguments.has(.send), let stateDir = arguments[.stateDir] {
            do { lock = try StateLock(directory: stateDir) } catch { throw CommandError(.runtime, "foreshock replay: \(error.description).") }
        }
        if arguments.has(.send) {
            let options = try LogOptions(arguments)
            let handler = StreamLogHandler(level: options.level, format: options.format, write: terminal.err)
            handler.redact(loaded.redactor)
            notifier = try CommandAlerting.notifier(config: loaded, stateDir: arguments[.stateDir], terminal: terminal, command: "replay", logger: Logger(handler: handler))
        }
        var parts: [Recording.Part] = []
        for file in paths { parts.append(Recording.Part(name: file, data: try CommandFile.read(file, command: "replay"))) }
        let recording = Recording(parts: parts)
        // As the watch that wrote it: where it looked for no answer, no complaint was unanswered.
        let asRecorded = loaded.answersAsRecorded(answeredOn: recording.answeredSources())
        let config = asRecorded.config
        // A post the recording cannot hold is a usage error before the replay, not after it: if
        // its id is nowhere in the files, no line names it. (Found, it is checked at the end.)
        if let trace = arguments[.trace], !parts.contains(where: { Self.mayHold($0.data, post: trace) }) {
            throw CommandError(.usage, Self.traceMissing(trace))
        }
        let trace = arguments[.trace], sending = notifier, every = traceEvery, nStar = config.scoring.seismic.nStar
        // The scoring core blocks its thread while its shards work: a Dispatch thread, never
        // one of Swift concurrency's.
        let (backtest, missing) = await onDispatchThread {
            var rows: [[String]] = []
            var createdAt: Double?
            func traced(_ features: PostFeatures) {
                if format == "json" {
                    terminal.print(ReplayTrace.jsonLine(features))
                } else {
                    // A table is printed whole at the end, its columns as wide as their widest cell.
                    createdAt = createdAt ?? features.time - features.age
                    rows.append(ReplayTrace.row(features, createdAt: createdAt!, nStar: nStar))
                }
            }
            // What was sent and is still firing: resolved at the end, as test-alert resolves its
            // own, or the rehearsal's incidents would stay open for good.
            var open: [String: AlertNotification] = [:]
            let replay = Replay(config: config, target: target, trace: trace, traceEvery: every, traced: traced) { note in
                terminal.print(format == "json" ? note.jsonLine : AlertText.line(note))
                guard let sending else { return }
                sending.submit([note.replayed])
                open[note.alertKey] = note.state == .resolved ? nil : note
            }
            replay.play(recording) { terminal.printError($0) }
            let backtest = replay.finish()
            if let sending, !open.isEmpty {
                let end = backtest.outcomes.end ?? 0
                sending.submit(open.keys.sorted().compactMap { key in
                    guard var resolution = open[key] else { return nil }
                    resolution.reason = .resolved
                    resolution.closedAtRecordingEnd = true
                    resolution.time = max(resolution.time, end)
                    return resolution.replayed
                })
                terminal.printError("replay: \(NumberText.count(open.count, "alert")) still firing at the recording's end resolved, so that no test incident stays open")
            }
            if !rows.isEmpty {
                terminal.print("")
                terminal.print("Trace of \(trace ?? ""):")
                for line in TextTable.lines([ReplayTrace.header] + rows, indent: "  ") { terminal.print(line) }
            }
            return (backtest, replay.traceNotFound)
        }
        // Not one line read (a CSV, the config given for the recording): nothing was replayed,
        // and a summary of nothing would read as "no alerts".
        if backtest.observations == 0, backtest.malformed > 0 {
            throw CommandError(.runtime, "foreshock replay: no line of \(SafeText.terminal(path)) is a recording (\(NumberText.count(backtest.malformed, "line")) skipped); "
                               + "a recording is JSON Lines of observations, as watch --record writes.")
        }
        // An empty file is a recording of nothing (a watch that saw nothing), and its summary
        // says so; but a pipe that gave nothing reads the same, so one line says it was empty.
        if backtest.observations == 0, backtest.malformed == 0 {
            terminal.printError("foreshock replay: \(SafeText.terminal(path)) holds no observations: nothing was replayed.")
        }
        if let missing { terminal.printError(Self.traceMissing(missing)) }
        let recorded = Set(backtest.outcomes.posts.map(\.key.source))
        if let off = Self.answerRulesOff(asRecorded.off, recorded: recorded, ownConfig: arguments[.config] != nil) {
            terminal.printError(off)
        }
        // A recording of `watch --query` on the embedded config, replayed without the query: the
        // brand is then the word "replay", and no complaint about the real one is seen as such.
        if arguments[.config] == nil, arguments[.query] == nil, config.sources.contains(where: { recorded.contains($0.name) }) {
            terminal.printError("foreshock replay: warning: no --query: the embedded config knows the brand by the query the watch had, so no complaint here "
                + "is taken as about the brand and unanswered-complaint cannot fire; give the watch's --query")
        }
        if format == "json" {
            terminal.print(BacktestText.jsonSummary(backtest, rules: config.rules))
        } else {
            terminal.print(BacktestText.summary(backtest, rules: config.rules))
        }
        let status: ExitCode = missing == nil ? .success : .usage
        var table: SweepRun.Table?
        if !sweep.isEmpty {
            table = await SweepRun.run(recording, config: config, specs: sweep, target: target)
            if format == "json" {
                for line in BacktestText.sweepJSON(table!) { terminal.print(line) }
            } else {
                terminal.print("")
                for line in BacktestText.sweepTable(table!) { terminal.print(line) }
            }
        }
        if let report = arguments[.report] {
            try await writeReport(report, recording: recording, config: config, backtest: backtest, sweep: table, terminal: terminal)
        }
        guard let notifier else { return status }
        return await finishSending(notifier, stateDir: arguments[.stateDir], terminal: terminal) ? status : .failure
    }

    static func traceMissing(_ post: String) -> String {
        "foreshock replay: --trace: the recording has no post \"\(SafeText.terminal(post))\" (give its id or source:id as the post line has it)."
    }

    /// Whether `data` may hold a post line for `post` (an id, or `source:id`): its id appears
    /// somewhere, as written or with JSON's escaped slashes. An id JSON may write otherwise
    /// (anything but plain printable ASCII) is not looked for: it may be.
    static func mayHold(_ data: Data, post: String) -> Bool {
        guard post.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F && $0 != "\"" && $0 != "\\" }) else { return true }
        var ids = [post]
        if let colon = post.firstIndex(of: ":") { ids.append(String(post[post.index(after: colon)...])) }
        return ids.contains { id in
            !id.isEmpty && [id, id.replacingOccurrences(of: "/", with: "\\/")].contains { data.range(of: Data($0.utf8)) != nil }
        }
    }

    /// `--target N`: the size posts are judged against (default 1,000).
    static func targetSize(_ arguments: ParsedArguments, command: String) throws(CommandError) -> Int {
        guard let text = arguments[.target] else { return 1000 }
        guard let value = Int(text), value >= 1 else {
            throw CommandError(.usage, "foreshock \(command): --target takes a number of reshares, such as 1000, not \"\(text)\".")
        }
        return value
    }

    /// The rules about the brand's answer that were off for the recording's sources, and why, in
    /// one line; nil when none was (a source the recording has no line of is not named). Rules
    /// off for the same sources share a clause.
    /// - Parameter ownConfig: a config file is in use, where `--brand` is refused.
    static func answerRulesOff(_ off: [(rule: String, sources: [String])], recorded: Set<String>, ownConfig: Bool) -> String? {
        let groups = CommandConfig.answerRulesBySources(off.map { ($0.rule, $0.sources.filter(recorded.contains)) })
        guard !groups.isEmpty else { return nil }
        let clauses = groups.map { sources, names in
            "\(names.dropLast().joined(separator: ", "))\(names.count > 1 ? " and " : "")\(names.last!) \(names.count == 1 ? "was" : "were") off for \(sources.joined(separator: ", "))"
        }
        return "foreshock replay: \(clauses.joined(separator: "; ")): the config names no brand_accounts there and the recording holds no answer of the brand's there, "
            + "so no complaint there is known to be unanswered, as in a watch without them (if the watch had them, "
            + (ownConfig ? "give the config's sources brand_accounts" : "replay --brand HANDLE as the watch had it") + ")"
    }

    /// Replays once more, sampling the posts the report draws, and writes the report.
    private static func writeReport(_ file: String, recording: Recording, config: Config, backtest: Backtest, sweep: SweepRun.Table?,
                                    terminal: Terminal) async throws(CommandError) {
        let html = await onDispatchThread {
            BacktestReport.render([BacktestReport.Section.replay(recording, config: config, backtest: backtest)],
                                  title: "Foreshock backtest: \(recording.name)", sweep: sweep)
        }
        try CommandFile.writeReport(html, to: file, command: "replay", terminal: terminal)
    }
}

/// The replay's summary and the sweep's table, as people read them on a terminal.
enum BacktestText {
    static func summary(_ backtest: Backtest, rules: [RuleConfig]) -> String {
        let target = NumberText.grouped(Double(backtest.target))
        let reached = backtest.reachedTarget
        let unlined = backtest.postsWithoutLine
        var lines = ["", "\(NumberText.count(backtest.observations, "observation")), \(NumberText.count(backtest.posts, "post")) over "
            + "\(DurationText.short(backtest.outcomes.span))"
            + (backtest.postsCarriedIn > 0 ? " (\(backtest.postsCarriedIn) of them begun before the recording, known from the lines carried into its start; "
                + "replay the file before it too, if there is one)" : "")
            + (unlined > 0 ? " (and \(unlined) with no post line, seen only in \(unlined == 1 ? "its" : "their") reshares or counts: found before the recording began; "
                + "replay the file before it first)" : "")
            + ", \(NumberText.count(backtest.malformed, "line")) skipped; "
            + "\(NumberText.count(reached, "post")) reached \(NumberText.count(backtest.target, "reshare"))"]
        for rule in rules {
            let f = backtest.figures([rule])
            lines.append("rule \(rule.name) (\(rule.severity.rawValue)): \(NumberText.count(f.alerted.count, "post")) alerted, \(NumberText.count(f.pages, "page")) "
                + (f.pagesPerDay.map { "(\(NumberText.rate($0)) a day)" } ?? "(too short a recording for a rate a day)"))
            guard !f.alerted.isEmpty else { continue }
            lines.append("  median reshares at the alert: \(f.medianResharesAtAlert.map { NumberText.grouped($0.rounded()) } ?? "-")")
            lines.append("  caught before \(target): \(f.caughtBefore) of the \(NumberText.count(f.reachedTarget, "post")) that reached it"
                + (f.medianLead.map { ", median \(DurationText.short($0)) ahead" } ?? ""))
            lines.append("  stayed under \(NumberText.grouped(Double(backtest.target / 10))): \(f.stayedSmall) of \(f.alerted.count)")
        }
        return lines.joined(separator: "\n")
    }

    static func jsonSummary(_ backtest: Backtest, rules: [RuleConfig]) -> String {
        let perRule = rules.map { "\(JSONText.quote($0.name)):{\(figuresJSON(backtest.figures([$0])))}" }.joined(separator: ",")
        return "{\"type\":\"summary\",\"observations\":\(backtest.observations),\"posts\":\(backtest.posts),\"posts_without_line\":\(backtest.postsWithoutLine),\"posts_carried_in\":\(backtest.postsCarriedIn),\"skipped_lines\":\(backtest.malformed),"
            + "\"target\":\(backtest.target),\"days\":\(JSONText.number((backtest.outcomes.days * 1000).rounded() / 1000)),\"rules\":{\(perRule)}}"
    }

    /// A sweep's rows as JSON lines, one per value (or pair of values) and swept rule.
    static func sweepJSON(_ table: SweepRun.Table) -> [String] {
        table.lines.map { line in
            let values = zip(table.specs, line.values).map { "\(JSONText.quote($0.label)):\(JSONText.number($1))" }.joined(separator: ",")
            return "{\"type\":\"sweep\",\"values\":{\(values)},\"rule\":\(JSONText.quote(line.rule)),\(figuresJSON(line.figures))}"
        }
    }

    /// A rule's figures as JSON members.
    static func figuresJSON(_ f: Backtest.Figures) -> String {
        "\"posts_alerted\":\(f.alerted.count),\"notifications\":\(f.notifications),\"pages\":\(f.pages),"
            + "\"pages_per_day\":\(JSONText.number(f.pagesPerDay.map { ($0 * 100).rounded() / 100 })),\"reached_target\":\(f.reachedTarget),"
            + "\"caught_before\":\(f.caughtBefore),\"median_lead_s\":\(JSONText.number(f.medianLead)),"
            + "\"median_reshares_at_alert\":\(JSONText.number(f.medianResharesAtAlert)),\"stayed_small\":\(f.stayedSmall)"
    }

    /// The sweep: one row per value, and per swept rule where the specs name two.
    static func sweepTable(_ table: SweepRun.Table) -> [String] {
        let target = NumberText.grouped(Double(table.target)), tenth = NumberText.grouped(Double(table.target / 10))
        let named = table.rules.count > 1
        let heading: [String] = table.specs.map(\.label) + (named ? ["RULE"] : []) + ["PAGES", "PER DAY", "CAUGHT BEFORE \(target)", "MEDIAN LEAD", "RESHARES AT ALERT", "STAYED UNDER \(tenth)"]
        var rows = [heading]
        for line in table.lines {
            let f = line.figures
            let values: [String] = zip(table.specs, line.values).map { $0.format($1) } + (named ? [line.rule] : [])
            let lead: String = f.medianLead.map(DurationText.short) ?? "-"
            let atAlert: String = f.medianResharesAtAlert.map { NumberText.grouped($0.rounded()) } ?? "-"
            let figures: [String] = [String(f.pages), f.pagesPerDay.map(NumberText.rate) ?? "-", "\(f.caughtBefore) of \(f.reachedTarget)", lead, atAlert, "\(f.stayedSmall) of \(f.alerted.count)"]
            rows.append(values + figures)
        }
        return TextTable.lines(rows)
    }

}
