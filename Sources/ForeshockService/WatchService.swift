import ForeshockConfig
import ForeshockCore
import ForeshockDelivery
import ForeshockFeeds
import ForeshockSupport
import ForeshockTransport
import Foundation
import Synchronization

/// The long-running watch process, in the manner of swift-service-lifecycle: `run()` starts
/// every source on its own schedule, the evaluation ticks and the housekeeping (metrics file,
/// status file), then waits for a signal. SIGTERM or SIGINT stops polling, finishes deliveries
/// up to `shutdown_timeout` and writes the state down; SIGHUP reloads the config, keeping the
/// old one when the new one has problems.
package actor WatchService {
    package struct Options: Sendable {
        package var once = false
        package var mentions = "text"
        /// How often metrics and status are written.
        package var housekeepingInterval: Double = 15
        /// Stops as on SIGTERM after this many seconds (the demo's ceiling).
        package var stopAfter: Double?
        /// Called after each poll's mentions are scored, before that source polls again, with
        /// the pipeline and the poll (the demo's progress: what the poll read, and no more).
        /// Returns true when the run has done what it was for: it then stops as on SIGTERM.
        package var onPoll: (@Sendable (WatchPipeline, PollOutcome) async -> Bool)?
        package init() {}
    }

    /// Why a SIGHUP's config was not taken: its errors, and its warnings, one sentence each.
    package struct ReloadRefused: Error, Sendable {
        package var errors: [String]
        package var warnings: [String]

        package init(errors: [String], warnings: [String] = []) {
            self.errors = errors
            self.warnings = warnings
        }
    }

    /// How a run ended: the CLI turns it into an exit status.
    package enum Outcome: Sendable, Equatable {
        /// Stopped on a signal, or one round (`--once`) in which every source and sink worked.
        case completed
        /// One round in which a source or a sink failed.
        case failed
    }

    /// Builds what depends on the config: its pollers' feeds and its notifier.
    package struct Factory: Sendable {
        /// Reads the config again (SIGHUP).
        package var loadConfig: @Sendable () throws(ReloadRefused) -> Config
        /// A notifier over the config's sinks, sharing the outbox, log and silences of the one it
        /// replaces; a reload's does not resume the outbox until that one has handed over.
        package var makeNotifier: @Sendable (Config, Notifier?) throws(ReloadRefused) -> Notifier
        package init(loadConfig: @escaping @Sendable () throws(ReloadRefused) -> Config,
                    makeNotifier: @escaping @Sendable (Config, Notifier?) throws(ReloadRefused) -> Notifier) {
            self.loadConfig = loadConfig
            self.makeNotifier = makeNotifier
        }
    }

    private var config: Config
    private let stateDir: String
    private let factory: Factory
    private let options: Options
    private let terminal: Terminal
    private let logger: Logger
    private let clock: @Sendable () -> Date
    private let client = HTTPClient()
    private let journal: StateJournal
    private let report: MentionReport
    private let notifierBox: NotifierSlot
    private var pollers: [FeedPoller] = []
    private let pipeline: WatchPipeline
    private let started: Date
    /// The web server and what it answers from; nil when the config has no `web` (and for `--once`).
    private let web: WebServer?
    /// Per file housekeeping writes, the failures in a row, not said every 15 s for as long as
    /// the disk is full.
    private var failingWrites: [String: FailureNotice] = [:]
    /// The notification log's failed writes (the log counts them).
    private var logErrorsNotice = FailureNotice()
    private var logErrorsSeen = 0
    /// The reloads' hand-overs from one notifier to the next, each after the one before: the next
    /// notifier resumes at once, each of its sinks sending once the old notifier's worker for
    /// that sink has stopped (its send under way let end: a receiver might finish one cut off
    /// after its resend). In the background, so a receiver that hangs holds back neither the
    /// reload nor the polling nor the other sinks, only its own messages.
    private var handingOver: Task<Void, Never>?
    /// The notifiers handing over, for a stop to cut off what they are still sending.
    private var retiring: [Notifier] = []

    /// - Parameters:
    ///   - record: appends every observation the core sees (`--record`).
    ///   - clock: the time observations are stamped with (the demo runs a faster one).
    package init(config: Config, stateDir: String, notifier: Notifier, factory: Factory, options: Options, terminal: Terminal, logger: Logger,
                record: (@Sendable (RecordedLines) -> Void)? = nil, clock: @escaping @Sendable () -> Date = Date.init) {
        self.config = config
        self.stateDir = stateDir
        self.factory = factory
        self.options = options
        self.terminal = terminal
        self.logger = logger
        self.clock = clock
        self.started = Date()
        journal = StateJournal(directory: stateDir)
        report = MentionReport(terminal: terminal, format: options.mentions)
        notifierBox = NotifierSlot(notifier)
        pollers = Self.makePollers(config, client: client, previous: [], clock: clock).pollers
        let box = notifierBox
        pipeline = WatchPipeline(config: config, pollers: pollers, journal: journal, logger: logger, clock: clock, record: record) { notes in
            box.current.submit(notes)
        }
        web = options.once ? nil : config.web.map { WebServer(config: $0, watch: config, stateDir: stateDir, logger: logger) }
    }

    var notifier: Notifier { notifierBox.current }

    /// Runs until SIGTERM or SIGINT (or after one round with `--once`).
    ///
    /// Every part of the running service is a child of one task group, as
    /// swift-service-lifecycle runs a service's parts: the evaluation ticks, the housekeeping,
    /// and the sources of the current config (a group of their own, which a reload ends and
    /// replaces). A stop cancels the group, and its scope returns once every part has ended.
    /// - Returns: completed, or failed for `--once` when a source or sink failed.
    package func run() async -> Outcome {
        // From the start, before the state is restored (which takes a while on a long journal):
        // a SIGHUP then (`systemctl reload` as the service starts) or a SIGTERM would otherwise
        // end the process at once, by their default action. They wait their turn instead.
        let listener = options.once ? nil : SignalListener([SIGTERM, SIGINT, SIGHUP])
        defer { listener?.cancel() }
        // Listening before the state is restored: health checks see the process start.
        if let web {
            do { try web.start() } catch {
                logger.error("the web server cannot start; set web.listen to another address, or web: null to go without it", [("error", error.message)])
                return .failed
            }
            logger.info("web server listening", [("url", web.localURL)])
        }
        await restore()
        guard let listener else { return await runOnce() }
        logger.info("watching", [("sources", config.sources.map(\.name).joined(separator: ",")), ("state_dir", stateDir)])
        await withTaskGroup(of: Void.self) { service in
            addTicks(to: &service)
            if let after = options.stopAfter {
                service.addTask {
                    try? await Task.sleep(nanoseconds: UInt64(after * 1e9))
                    listener.inject(SIGTERM)
                }
            }
            var sources = addSources(to: &service, listener: listener)
            for await number in listener.signals {
                if number == SIGHUP {
                    guard let (fresh, newNotifier) = prepareReload() else { continue }
                    // The old sources end before the new ones start, so no source polls twice.
                    await sources.end()
                    await apply(fresh, notifier: newNotifier)
                    await pipeline.reconfigure(fresh, pollers: pollers)
                    sources = addSources(to: &service, listener: listener)
                    continue
                }
                logger.info("stopping", [("signal", SignalListener.name(number)), ("deadline", "\(Int(config.shutdownTimeout))s")])
                break
            }
            service.cancelAll()
        }
        await shutdown()
        return .completed
    }

    /// Rebuilds posts, alerts, cursors and health from the journal, sends what a crash caught
    /// between scoring and the outbox, and compacts the journal.
    private func restore() async {
        let loaded = journal.load()
        if let moved = loaded.movedAside {
            logger.error("the state journal could not be read; it was moved aside and the watch starts fresh",
                         [("problem", moved.reason), ("moved_to", moved.path)])
        }
        if loaded.tornTail { logger.warning("the state journal ended in half a line (a crash while writing); that line was dropped") }
        if let damage = loaded.damaged {
            logger.warning("the state journal had lines that could not be read; they were skipped and the rest restored",
                           [("lines", "\(damage.count)"), ("first", damage.first), ("copy", damage.copy ?? "-")])
        }
        var replayed: [AlertNotification] = []
        if !loaded.entries.isEmpty {
            let restored = await pipeline.restore(loaded)
            replayed = restored.notes
            // A notification the run before produced but never wrote to its outbox is at most a
            // group wait old; older ones it dealt with, one way or another.
            let lookBack = max(120, config.alerting.groupWait * 3)
            let missing = restored.notes.filter { $0.time >= restored.end - lookBack && !notifier.hasTaken($0) }
            let posts = await pipeline.postCount()
            logger.info("state restored", [("journal_lines", "\(loaded.lines)"), ("posts", "\(posts)"), ("notifications_resent", "\(missing.count)")])
            if !missing.isEmpty { notifier.submit(missing) }
            // After what was missing went out: the firing alerts no sink was told of.
            notifier.rememberSilenced(restored.notes + (await pipeline.firingSourceDownAlerts()))
            for name in restored.cursorsLeft {
                logger.info("the source reads from somewhere else than when its cursor was saved (query, mode or server changed); it starts from the latest posts", [("source", name)])
            }
            await pipeline.compactJournal(loaded)
        }
        let recovered = notifier.recoverLostMessages(from: replayed)
        if recovered.lost > 0 {
            logger.error("the outbox lost messages it had queued (outbox.jsonl damaged or cut short); those the journal could rebuild are queued again under their ids",
                         [("lost", "\(recovered.lost)"), ("requeued", "\(recovered.requeued)")])
        }
    }

    private func runOnce() async -> Outcome {
        let outcomes = await FeedScheduler(pollers: pollers).pollOnce()
        var failed: [String] = []
        for outcome in outcomes {
            await Self.take(outcome, logger: logger, report: report, pipeline: pipeline)
            if outcome.error != nil { failed.append(outcome.source) }
        }
        // The poll lines say "retry_in", but one round does not retry: say which failed.
        if !failed.isEmpty {
            logger.error("one round: \(failed.count) of \(outcomes.count) sources failed; see their lines above", [("sources", failed.sorted().joined(separator: ","))])
        }
        await pipeline.tick(clock())
        // Deliver before exiting; what does not make it stays in the outbox for next time.
        let delivered = await notifier.drain(timeout: max(config.shutdownTimeout, 1))
        if !delivered { logger.warning("some notifications are not delivered yet; they stay in the outbox", [("outbox", "\(notifier.outbox.depth)")]) }
        // Stopped before the last status: a send that finishes meanwhile is counted there.
        await notifier.stopAndWait()
        await housekeeping(running: false)
        web?.stop()
        let dead = notifier.stats.dead.values.reduce(0, +)
        return failed.isEmpty && delivered && dead == 0 ? .completed : .failed
    }

    /// The sources of one config, polling until `end()`.
    private struct Sources: Sendable {
        let stop: AsyncStream<Void>.Continuation
        let ended: AsyncStream<Void>

        /// Stops every poller and stream of this config and waits until they have stopped.
        func end() async {
            stop.finish()
            for await _ in ended {}
        }
    }

    /// Adds the current config's sources to the service: each poller and each stream a child of
    /// one group, which `Sources.end()` (a reload) or the service's cancellation (a stop) ends.
    private func addSources(to service: inout TaskGroup<Void>, listener: SignalListener) -> Sources {
        let (stopped, stop) = AsyncStream<Void>.makeStream()
        let (ended, end) = AsyncStream<Void>.makeStream()
        let pipeline = pipeline, logger = logger, report = report, pollers = pollers, client = client, onPoll = options.onPoll
        service.addTask {
            await withTaskGroup(of: Void.self) { sources in
                for poller in pollers {
                    sources.addTask {
                        await FeedScheduler.loop(poller) { outcome in
                            await Self.take(outcome, logger: logger, report: report, pipeline: pipeline)
                            if let onPoll, await onPoll(pipeline, outcome) { listener.inject(SIGTERM) }
                        }
                    }
                    if let stream = FeedStream(poller: poller, client: client) {
                        let sourceLogger = logger.with("source", poller.source.name)
                        sources.addTask {
                            await stream.run({ outcome in
                                report.show(outcome)
                                await pipeline.handle(outcome)
                            }, problem: { sourceLogger.warning(poller.redact($0)) })
                        }
                    }
                }
                // Pollers and streams run until cancelled: the first child to end is this one,
                // when the sources are ended or the service is cancelled.
                sources.addTask { for await _ in stopped {} }
                _ = await sources.next()
                sources.cancelAll()
            }
            end.finish()
        }
        return Sources(stop: stop, ended: ended)
    }

    /// Adds the evaluation ticks and the housekeeping (status and metrics files) to the service.
    private func addTicks(to service: inout TaskGroup<Void>) {
        let pipeline = pipeline, interval = config.scoring.evaluationInterval, clock = clock
        service.addTask {
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: UInt64(interval * 1e9))
                if Task.isCancelled { break }
                await pipeline.tick(clock())
            }
        }
        // The files every housekeeping interval; the web server's look every 2 s, if there is one.
        let every = options.housekeepingInterval, look = web == nil ? every : min(every, 2)
        service.addTask { [weak self] in
            var written = Date.distantPast
            while !Task.isCancelled {
                let due = Date().timeIntervalSince(written) >= every - 0.001
                if due { written = Date() }
                await self?.housekeeping(running: true, writeFiles: due)
                try? await Task.sleep(nanoseconds: UInt64(look * 1e9))
            }
        }
    }

    /// After the service's parts have stopped: deliveries get what is left of
    /// `shutdown_timeout`, then the state is written down.
    private func shutdown() async {
        let deadline = Date().addingTimeInterval(config.shutdownTimeout)
        if let handingOver {
            // A send under way in a notifier a reload replaced gets the deadline too; past it, it is
            // cut off and stays in the outbox, and the last notifier takes over what is left.
            let retiring = retiring
            let cutOff = Task {
                try? await Task.sleep(nanoseconds: UInt64(max(0, deadline.timeIntervalSinceNow) * 1e9))
                if !Task.isCancelled { for old in retiring { old.stop() } }
            }
            await handingOver.value
            cutOff.cancel()
        }
        let delivered = await notifier.drain(timeout: max(0, deadline.timeIntervalSinceNow))
        // Stopped before the last status: a send that finishes meanwhile is counted there.
        await notifier.stopAndWait()
        await housekeeping(running: false)
        web?.stop()
        if delivered {
            logger.info("stopped; every notification was delivered")
        } else {
            logger.warning("stopped with notifications undelivered; they stay in the outbox for the next start", [("outbox", "\(notifier.outbox.depth)")])
        }
    }

    /// SIGHUP: the new config and a notifier over its sinks, or nil when either has problems
    /// (logged problem by problem: the old config runs on).
    private func prepareReload() -> (Config, Notifier)? {
        let fresh: Config
        do {
            fresh = try factory.loadConfig()
            return (fresh, try factory.makeNotifier(fresh, notifier))
        } catch {
            for line in error.errors { logger.error("config reload refused", [("problem", line)]) }
            for line in error.warnings { logger.warning("config reload: warning", [("problem", line)]) }
            logger.error("the previous config keeps running", [("errors", "\(error.errors.count)"), ("warnings", "\(error.warnings.count)")])
            return nil
        }
    }

    /// Takes a reloaded config, once the old sources have stopped: its notifier, and pollers
    /// that keep the cursors and seen ids of the sources that stay.
    private func apply(_ fresh: Config, notifier newNotifier: Notifier) async {
        if notifierBox.current !== newNotifier { notifierBox.current.closeWindows() }
        let old = notifierBox.swap(newNotifier)
        if old !== newNotifier {
            let before = handingOver
            retiring.append(old)
            old.beginHandOver(to: newNotifier)
            newNotifier.resume()
            handingOver = Task { [weak self] in
                await before?.value
                await old.finishHandOver(to: newNotifier)
                await self?.retired(old)
            }
        }
        let kept = Set(fresh.sources.map(\.name)).intersection(config.sources.map(\.name))
        let made = Self.makePollers(fresh, client: client, previous: pollers, clock: clock)
        for name in made.moved {
            logger.info("the source reads from somewhere else now (query, mode or server changed); it starts from the latest posts", [("source", name)])
        }
        pollers = made.pollers
        if fresh.stateDir != config.stateDir {
            logger.warning("state_dir changed in the config; the watch keeps its state in the directory it started with until it restarts", [("state_dir", stateDir)])
        }
        config = fresh
        if let web { web.reconfigure(fresh) } else if fresh.web != nil, !options.once {
            logger.warning("web is new in the config; the web server starts at the next start")
        }
        logger.info("config reloaded", [("sources", fresh.sources.map(\.name).joined(separator: ",")), ("kept", "\(kept.count)")])
    }

    private func retired(_ notifier: Notifier) { retiring.removeAll { $0 === notifier } }

    /// One line per poll that says something: a failure, or how many new mentions came.
    static func log(_ outcome: PollOutcome, _ logger: Logger) {
        let source = logger.with("source", outcome.source)
        if let error = outcome.error {
            source.warning("poll failed: \(error.message)", [("retry_in", "\(Int(outcome.nextPollAfter.rounded(.up)))s")])
        } else {
            source.debug("polled", [("new", "\(outcome.mentions.count)"), ("requests", "\(outcome.requests)"), ("not_modified", "\(outcome.notModified)")])
            if outcome.truncated { source.warning("more new mentions than one poll reads; some of them may be missed", [("pages", "\(FeedPoller.maxPages)")]) }
            if let error = outcome.pageError {
                source.warning("a later page of the answer failed; the pages before it were taken, "
                               + (outcome.pageErrorMissesRest ? "the rest of them may be missed" : "the next poll asks for the rest again") + ": \(error.message)")
            }
            if !outcome.skippedIDs.isEmpty {
                source.warning("one answer brought more new mentions than max_items_per_poll; the rest were skipped",
                               [("taken", "\(outcome.mentions.count)"), ("skipped", "\(outcome.skippedIDs.count)")])
            }
            if outcome.unreadable > 0 {
                source.warning("items in the answer could not be read as posts (a json source's: no id where fields.id points); they were skipped",
                               [("skipped", "\(outcome.unreadable)"), ("read", "\(outcome.mentions.count + outcome.recounted.count)")])
            }
            for (field, misread) in outcome.misread.sorted(by: { $0.key < $1.key }) {
                if let path = misread.absentPath {
                    source.warning(misread.named(field) + " names nothing in any item of the answer; "
                                   + (field == MentionPage.Misread.cursorField ? "no cursor is sent, so every poll reads the latest page" : "it is left empty"),
                                   [("path", SafeText.terminal(path)), ("items", "\(misread.count)"), ("there", SafeText.terminal(misread.example))])
                    continue
                }
                source.warning(misread.named(field) + " held values it cannot be read as; they were left empty"
                               + (field.lowercased().contains("created") ? " (those posts are taken as made when first seen)" : ""),
                               [("items", "\(misread.count)"), ("example", SafeText.terminal(misread.example))])
            }
            if outcome.cursorFellBack { source.debug("nothing after the cursor (its post may be gone); stepped back to an older one, or the latest page") }
            if outcome.cursorRefused { source.warning("the API no longer accepts the cursor (older than it searches); started again from the latest posts") }
        }
    }

    /// One poll's outcome: logged, shown, scored.
    static func take(_ outcome: PollOutcome, logger: Logger, report: MentionReport, pipeline: WatchPipeline) async {
        log(outcome, logger)
        report.show(outcome)
        await pipeline.handle(outcome)
    }

    /// Pollers for a config; a source that was there before keeps its seen ids, and its cursor
    /// if it still reads from where it did (`SourceConfig.readsFrom`).
    /// - Returns: the pollers, and the sources that were there before and read from somewhere
    ///   else now (their cursors left behind).
    static func makePollers(_ config: Config, client: HTTPClient, previous: [FeedPoller],
                            clock: @escaping @Sendable () -> Date) -> (pollers: [FeedPoller], moved: [String]) {
        let old = Dictionary(previous.map { ($0.source.name, $0) }, uniquingKeysWith: { a, _ in a })
        var moved: [String] = []
        let pollers = config.sources.map { source in
            let poller = FeedPoller(feed: source.makeFeed(), client: client, clock: clock)
            if let before = old[source.name] {
                let stays = before.source.readsFrom == source.readsFrom
                if !stays { moved.append(source.name) }
                poller.restore(cursor: stays ? before.savedCursor : nil, seen: before.recentlySeen, stats: before.stats,
                               listingEmpty: stays && before.listingEmpty, resharers: stays ? before.knownResharers : [:])
            }
            return poller
        }
        return (pollers, moved)
    }

    /// Looks at the watch (sources, the hottest posts, what is firing, the metrics) through the
    /// pipeline, the engine's one owner: never while it scores a batch. The web server answers
    /// from the last look; every `housekeepingInterval` it is also written to `status.json` and
    /// the metrics file (each whole or not at all).
    private func housekeeping(running: Bool, writeFiles: Bool = true) async {
        let now = clock()
        let sources = await pipeline.sourceHealth()
        let counters = await pipeline.counters
        let snapshot = await pipeline.snapshot(hottest: 10, at: now.timeIntervalSince1970)
        let caveats = await pipeline.threadCaveats()
        let postCount = await pipeline.postCount()
        // The firing posts' numbers (and the followed posts' on the web) that the hottest do not
        // already carry, in one visit to the engine: the same features at the same time.
        let firingPosts = snapshot.firing.filter { !$0.isVolume }.map(\.key)
        let hottestKeys = Set(snapshot.hottest.map(\.key))
        let wanted = Set(firingPosts).union(web?.state.wanted ?? []).subtracting(hottestKeys)
        let looked = await pipeline.features(Array(wanted), at: now.timeIntervalSince1970).compactMap { $0 }
        let byKey = Dictionary((snapshot.hottest + looked).map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        let notifier = notifier
        // Silences that ended before their alerts did: receivers hear of those alerts now (not
        // on the way out, after the last deliveries).
        let down = Set(sources.filter { $0.health.alerted }.map(\.name))
        // Built only when something is held back: most looks have nothing to route.
        var matcher: RuleMatcher?
        let reminders = !running ? [] : notifier.lapsedSilences(now: Date()) { held in
            if matcher == nil { matcher = Self.routing(config.rules) }
            return Self.reminder(of: held, firing: snapshot.firing, sourcesDown: down, features: byKey, at: now.timeIntervalSince1970, matcher: matcher)
        }
        if !reminders.isEmpty {
            logger.info("alerts still firing that a sink was not told of (a silence held them back and no longer holds them as they are now: it ended, or they passed to a rule it does not match); telling them now", [("alerts", reminders.map(\.alertKey).joined(separator: ","))])
            notifier.submit(reminders)
        }
        let stats = notifier.stats
        let pending = notifier.outbox.entries
        let grouping = notifier.inGroupWindows
        /// What receivers were told of the alert `probe` stands for (`WatchStatus.Alert.notifications`).
        func said(_ probe: AlertNotification) -> (silencedBy: String?, told: [String: String], text: String) {
            let silencedBy = notifier.silencedBy(probe, now: now), routed = notifier.sinks(for: probe.sinks)
            // Every sink told it fires, routed to it now or not (a pager paged before a restart
            // that lost the journal, which routed the alert anew, is still paged).
            let told = notifier.log.toldFiring(alertKey: probe.alertKey, sinks: notifier.sinks(for: [])).mapValues(\.rawValue)
            let text = WatchStatus.Alert.notifications(
                severity: probe.severity.rawValue, sinks: routed, told: told,
                grouping: Set(grouping.filter { $0.value.contains(probe.alertKey) }.keys),
                waiting: Set(pending.filter { $0.keys.contains(probe.alertKey) }.map(\.sink)),
                givenUp: Set((stats.givenUp).filter { $0.value.contains(probe.alertKey) }.keys), silencedBy: silencedBy)
            return (silencedBy, told, text)
        }
        let nStar = config.scoring.seismic.nStar, maxBranching = Calibration.standard.maxBranching
        func time(_ value: Double?) -> String? { value.map { Timestamp.format(Date(timeIntervalSince1970: $0)) } }
        let status = WatchStatus(
            writtenAt: Timestamp.format(now), pid: ProcessInfo.processInfo.processIdentifier, startedAt: Timestamp.format(started), running: running,
            sources: sources.map { name, health, stats, kind in
                WatchStatus.Source(name: name, kind: kind, lastPoll: time(health.lastPoll), lastSuccess: stats.lastSuccess.map(Timestamp.format),
                                   lastError: health.lastError, downSince: time(health.downSince), lastProblem: stats.lastError,
                                   lastProblemAt: stats.lastErrorAt.map(Timestamp.format), polls: stats.polls, errors: stats.errors, mentions: stats.mentions)
            },
            rules: config.rules.map(\.name),
            hottest: snapshot.hottest.map(WatchStatus.Post.init),
            alerts: snapshot.firing.map { item in
                let f = item.isVolume ? nil : byKey[item.key]
                // What a silence would match: the alert's subject, by its rule, source and author.
                let subject: AlertNotification.Subject = item.isVolume ? .volume(source: item.key.source, ratio: 0, z: nil)
                    : .post(item.key, AlertNotification.PostSnapshot(reshares: 0, author: f?.author))
                let probe = AlertNotification(subject, time: now.timeIntervalSince1970, rule: item.alert.rule, severity: item.alert.severity,
                                              reason: .repeated, sinks: item.alert.sinks)
                let (silencedBy, told, notifications) = said(probe)
                return WatchStatus.Alert(key: probe.alertKey, rule: item.alert.rule, severity: item.alert.severity.rawValue,
                                         since: Timestamp.format(Date(timeIntervalSince1970: item.alert.since)),
                                         lastNotified: Timestamp.format(Date(timeIntervalSince1970: item.alert.lastNotified)),
                                         silencedBy: silencedBy, sentTo: told, notifications: notifications, source: item.key.source,
                                         post: item.isVolume ? nil : item.key.id, author: f?.author.map { SafeText.clean($0, keepLineBreaks: false) },
                                         text: f?.excerpt.map { SafeText.cut(SafeText.clean($0, keepLineBreaks: false), 280) }, url: f?.url,
                                         reshares: f?.reshares, predicted: f?.predicted.map { $0.rounded() },
                                         why: WatchPipeline.why(f?.why(authorFollowers: nil, nStar: nStar, maxBranching: maxBranching),
                                                                rule: item.alert.rule, key: item.key, caveats: caveats, config: config),
                                         silenceMatchers: probe.silenceMatchers)
            } + sources.filter { $0.health.alerted }.map { source in
                // When it fired (after a restart, source_down_after into the failure), as its notification says.
                let fired = source.health.firedAt(sourceDownAfter: config.sourceDownAfter)
                let probe = AlertNotification(.sourceDown(source: source.name, since: fired ?? 0, message: ""), time: now.timeIntervalSince1970, rule: "source-down",
                                              severity: .critical, reason: .repeated, sinks: WatchPipeline.sourceDownSinks(config))
                let (silencedBy, told, notifications) = said(probe)
                return WatchStatus.Alert(key: probe.alertKey, rule: "source-down", severity: Severity.critical.rawValue,
                                  since: time(fired) ?? "", lastNotified: time(fired) ?? "", silencedBy: silencedBy, sentTo: told, notifications: notifications,
                                  source: source.name, why: source.health.lastError,
                                  silenceMatchers: AlertNotification.silenceMatchers(rule: "source-down", source: source.name, post: nil))
            },
            outbox: pending.map { WatchStatus.OutboxEntry(sink: $0.sink, id: $0.id, alerts: $0.keys, queuedAt: Timestamp.format(Date(timeIntervalSince1970: $0.created))) },
            delivered: stats.delivered, dead: stats.dead, givenUp: stats.givenUp)
        var metrics = MetricsText()
        func perSource(_ value: (WatchPipeline.SourceHealth, FeedStats) -> Double) -> [([(String, String)], Double)] {
            sources.map { ([("source", $0.name)], value($0.health, $0.stats)) }
        }
        metrics.add("foreshock_polls_total", "counter", "Polls per source that succeeded.", perSource { _, s in s.polls.asDouble })
        metrics.add("foreshock_poll_errors_total", "counter", "Requests per source that failed.", perSource { _, s in s.errors.asDouble })
        metrics.add("foreshock_rate_limit_waits_total", "counter", "Polls that waited longer than the interval because the server asked (a rate limit, Retry-After).", perSource { h, _ in h.rateLimitWaits.asDouble })
        metrics.add("foreshock_mentions_total", "counter", "New mentions seen per source.", perSource { _, s in s.mentions.asDouble })
        metrics.add("foreshock_source_up", "gauge", "1 when the source's last poll succeeded.", perSource { h, _ in h.downSince == nil ? 1 : 0 })
        metrics.add("foreshock_posts_tracked", "gauge", "Posts the scoring core tracks.", [([], postCount.asDouble)])
        metrics.add("foreshock_scoring_seconds_total", "counter", "Time spent in the scoring core.", [([], counters.scoringSeconds)])
        metrics.add("foreshock_scoring_batches_total", "counter", "Batches of observations scored.", [([], counters.scoringBatches.asDouble)])
        metrics.add("foreshock_alerts_total", "counter", "Alerts started or escalated, by rule and severity.", counters.alerts.sorted { $0.key < $1.key }.map { key, value in
            let parts = key.split(separator: "\u{0}", omittingEmptySubsequences: false).map(String.init)
            return ([("rule", parts[0]), ("severity", parts.count > 1 ? parts[1] : "")], value.asDouble)
        })
        metrics.add("foreshock_alerts_firing", "gauge", "Alerts firing now.", [([], snapshot.firing.count.asDouble)])
        let sinks = Set(stats.delivered.keys).union(stats.dead.keys).sorted()
        metrics.add("foreshock_deliveries_total", "counter", "Messages per sink by outcome.", sinks.flatMap { sink in
            [([("sink", sink), ("outcome", "ok")], (stats.delivered[sink] ?? 0).asDouble), ([("sink", sink), ("outcome", "retried")], (stats.retried[sink] ?? 0).asDouble),
             ([("sink", sink), ("outcome", "dead")], (stats.dead[sink] ?? 0).asDouble)]
        })
        metrics.add("foreshock_notifications_silenced_total", "counter", "Notifications held back by a silence.", [([], stats.silenced.asDouble)])
        metrics.add("foreshock_notifications_already_announced_total", "counter", "Notifications not sent because the notification log says receivers were told.",
                    [([], stats.alreadyAnnounced.asDouble)])
        metrics.add("foreshock_outbox_depth", "gauge", "Messages waiting for delivery.", [([], stats.outboxDepth.asDouble)])
        metrics.add("foreshock_journal_errors_total", "counter", "State journal writes that failed.", [([], counters.journalErrors.asDouble)])
        metrics.add("foreshock_notification_log_errors_total", "counter", "Notification log writes that failed.", [([], notifier.log.writeErrors.asDouble)])
        // Each encoded once, for the web server and the files alike.
        let statusJSON = status.json, metricsText = metrics.text
        if let web {
            let look = WebState.Snapshot(takenAt: now, status: status, statusJSON: statusJSON, metrics: metricsText,
                                         unpolled: sources.filter { $0.health.lastPoll == nil }.map(\.name),
                                         down: sources.filter { $0.health.alerted }.map(\.name))
            web.state.publish(look, features: snapshot.hottest + looked, hot: hottestKeys.union(firingPosts), nStar: nStar)
            // A post followed since the last look (or since a restart) gets its curve from when
            // it was posted, not from when it became hot: a few posts a look, so no look waits long.
            for (key, times) in web.state.unfilled(limit: 20) {
                web.state.backfill(key, with: await pipeline.features(of: key, at: times), nStar: nStar)
            }
        }
        let logErrors = notifier.log.writeErrors
        if logErrors > logErrorsSeen {
            if logErrorsNotice.failed(count: logErrors) {
                logger.error("cannot write notifications.log; after a restart, notifications it missed may be sent again (under the same ids)",
                             [("failed_writes", "\(logErrors)"), ("error", notifier.log.lastWriteError ?? "-")])
            }
        } else if logErrorsNotice.failures > 0 {
            // A look with no new failure ends the run: the next one is said at its first.
            _ = logErrorsNotice.succeeded()
        }
        logErrorsSeen = logErrors
        guard writeFiles else { return }
        write(statusJSON, to: WatchStatus.path(stateDir: stateDir), "status.json")
        write(Data(metricsText.utf8), to: config.metricsFile ?? (stateDir as NSString).appendingPathComponent("foreshock.prom"), "the metrics file")
    }

    /// The reminder for an alert a silence held back, if it still fires: under the rule and
    /// severity it has now (the one held back may have been de-escalated, escalated or handed
    /// to another rule since; a silence on the old rule does not hold the new one, and a
    /// reminder under it would say what no longer holds until the next repeat, hours away),
    /// with the post's numbers at `time`.
    /// - Parameters:
    ///   - held: what the silence held back (`Notifier.lapsedSilences` asks).
    ///   - firing: the engine's alerts firing now.
    ///   - sourcesDown: the sources whose source-down alert fires.
    ///   - matcher: the rules. A post's reminder goes to those the silence held it back from
    ///     that the rules holding now send to, as the core's own reminders go (a rule's volume
    ///     conditions left out: they are the source's, not the post's); with none holding (the
    ///     alert in its grace before it resolves), to all of them. A volume alert's goes to
    ///     those its rule sends to.
    /// - Returns: `.gone` once the alert no longer fires, `.later` while the rules holding
    ///   send to none of them.
    static func reminder(of held: AlertNotification, firing: [(key: PostKey, isVolume: Bool, alert: AlertLifecycle.Firing)],
                         sourcesDown: Set<String>, features: [PostKey: PostFeatures], at time: Double,
                         matcher: RuleMatcher? = nil) -> Notifier.HeldNow {
        var note = held
        if case .sourceDown(let source, _, _) = note.subject {
            guard sourcesDown.contains(source) else { return .gone }
        } else {
            guard let now = firing.first(where: { $0.isVolume == note.isVolume && $0.key == note.key }) else { return .gone }
            note.rule = now.alert.rule
            note.severity = now.alert.severity
            if let matcher {
                var routed: [String] = []
                if note.isVolume {
                    routed = matcher.rules.first { $0.name == now.alert.rule }?.sinks ?? []
                } else if let f = features[note.key], case let holding = matcher.holding(f, volume: .none), !holding.isEmpty {
                    routed = AlertLifecycle.union(holding.map { matcher.rules[$0].sinks })
                }
                if !routed.isEmpty {
                    note.sinks = note.sinks.isEmpty ? routed : note.sinks.filter(routed.contains)
                    guard !note.sinks.isEmpty else { return .later }
                }
            }
        }
        return .tell(note.reminder(at: time, features: features[note.key]))
    }

    /// The rules as they route a post's reminder (`reminder(of:)`): a post rule's volume
    /// conditions left out, since they say how the source is doing, not the post.
    static func routing(_ rules: [RuleConfig]) -> RuleMatcher {
        RuleMatcher(rules: rules.map { rule in
            guard !RuleMatcher.isVolumeRule(rule) else { return rule }
            var post = rule
            post.when.volumeSpikeRatioAtLeast = nil
            post.when.volumeSpikeZAtLeast = nil
            return post
        })
    }

    /// One housekeeping file written whole; its failures said as `FailureNotice` says, and
    /// their end once it works again.
    private func write(_ data: Data, to path: String, _ name: String) {
        do {
            try AtomicFile.write(data, to: path)
            if var notice = failingWrites.removeValue(forKey: path), notice.succeeded() { logger.info("\(name) is written again", [("path", path)]) }
        } catch {
            if failingWrites[path, default: FailureNotice()].failed() {
                logger.warning("cannot write \(name)", [("path", path), ("error", SystemReason.of(error)), ("failures", "\(failingWrites[path]?.failures ?? 0)")])
            }
        }
    }
}

/// The notifier in use, swapped on a config reload while deliveries go on.
private final class NotifierSlot: Sendable {
    private let state: Mutex<Notifier>
    init(_ notifier: Notifier) { state = Mutex(notifier) }
    var current: Notifier { state.withLock { $0 } }
    func swap(_ new: Notifier) -> Notifier { state.withLock { old in defer { old = new }; return old } }
}

private extension Int {
    var asDouble: Double { Double(self) }
}
