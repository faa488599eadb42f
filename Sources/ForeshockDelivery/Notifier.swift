import ForeshockConfig
import ForeshockCore
import ForeshockSupport
import ForeshockTransport
import Foundation

/// Notifications → sinks: silences, grouping, the outbox, and one delivery worker per sink.
/// `submit` never waits for a sink: it writes the messages down and hands them over, so
/// scoring goes on whatever the receivers do.
///
/// Grouping: the first notification for a sink goes out at once; those that follow within
/// `group_wait` (by the notifications' times, so a replay groups as the live run did) are held
/// and go out together when it ends.
///
/// `@unchecked Sendable`: the grouping state is behind `lock`; the workers are thread-safe.
package final class Notifier: @unchecked Sendable {
    package struct Stats: Sendable {
        package var submitted = 0
        package var silenced = 0
        /// Notifications dropped because receivers were already told (`NotificationLog`).
        package var alreadyAnnounced = 0
        package var delivered: [String: Int] = [:]
        package var retried: [String: Int] = [:]
        package var dead: [String: Int] = [:]
        /// Per sink, the alerts whose last message to it was given up (recent ones).
        package var givenUp: [String: [String]] = [:]
        package var outboxDepth = 0
    }

    package let outbox: Outbox
    package let log: NotificationLog
    /// Per sink, where it sends (`SinkSet.destinations`).
    private let destinations: [String: String]
    private let workers: [String: SinkWorker]
    private let order: [String]
    private let groupWait: Double
    private let silenceTarget: String?
    private let webURL: String?
    private let repeatInterval: Double
    package let silences: SilenceStore
    private let logger: Logger
    private let lock = NSLock()
    /// Per sink, when its open group window ends, on the notifications' clock.
    private var windowEnds: [String: Double] = [:]
    /// Per sink, which window is open: a timer flushes only the window it was started for.
    private var windowGeneration: [String: Int] = [:]
    private var held: [String: [AlertNotification]] = [:]
    private var counts = (submitted: 0, silenced: 0, announced: 0)
    /// Until `resume`, nothing is handed to the workers: what is dispatched meanwhile waits in
    /// the outbox, and `resume` queues the outbox in its order, so a reload's messages go out
    /// after the older ones the notifier before left (a trigger before its resolve).
    private var paused = true
    /// Messages dispatched while paused that the outbox could not keep (a full disk).
    private var unwritten: [Outbox.Entry] = []
    /// The ids `resume` queued from the outbox: a message written just before it read the
    /// outbox and handed over just after (`take`) is not queued a second time.
    private var resumedIDs: Set<String> = []
    /// Held while messages are handed to the workers after `resume` began, so that one written
    /// meanwhile waits for the outbox's older ones to be queued first.
    private let handing = NSLock()
    /// Set by `handOver`: what this notifier dispatches after it (a group window's timer, a
    /// batch under way) is delivered by its successor.
    private var successor: Notifier?
    /// Ends when the workers of sinks the notifier before this one had and this one has not
    /// (removed at a reload) have stopped: a message of theirs is a dead letter only if they
    /// did not deliver it meanwhile.
    private var removedSinksStopping: Task<Void, Never>?
    /// Per alert, its last firing notification a silence held back, to the sinks (`sinks`,
    /// named) it still owes a word to, not those that have heard of the alert since: a silence
    /// that ends before the alert does lets them hear of it then (`lapsedSilences`), as
    /// Alertmanager does, not at the next repeat hours later.
    private var heldBySilence: [String: AlertNotification] = [:]

    /// How an alert's silence command reaches the watch that sent it, wherever the person on
    /// call pastes it: its web server as people reach it, else its state directory, in full.
    package static func silenceTarget(webURL: String?, stateDir: String?) -> String? {
        webURL.map { "--url " + AlertNotification.shellQuoted($0) } ?? stateDir.map { directory in
            "--state-dir " + AlertNotification.shellQuoted(URL(fileURLWithPath: directory).standardizedFileURL.path)
        }
    }

    /// Resumes what the outbox holds from an earlier run, with the ids it had (unless `resume`
    /// is false: a reload's notifier resumes once the one it replaces has handed over).
    /// - Parameter log: the notifications already taken care of; in memory when not given.
    /// - Parameter webURL: the watch's web server as people reach it (`web.external_url`): alerts
    ///   link to a post's page there, and their silence command goes through it.
    package init(sinks: SinkSet, alerting: AlertingConfig, silences: SilenceStore, outbox: Outbox,
                log: NotificationLog = NotificationLog(directory: nil), policy: RetryPolicy = RetryPolicy(), logger: Logger, webURL: String? = nil,
                resume: Bool = true) {
        self.outbox = outbox
        self.log = log
        self.webURL = webURL
        silenceTarget = Self.silenceTarget(webURL: webURL, stateDir: outbox.directory)
        self.groupWait = alerting.groupWait
        self.repeatInterval = alerting.repeatInterval
        self.silences = silences
        self.logger = logger
        var workers: [String: SinkWorker] = [:]
        for sink in sinks.sinks { workers[sink.name] = SinkWorker(sink: sink, outbox: outbox, log: log, policy: policy, logger: logger) }
        self.workers = workers
        destinations = sinks.destinations
        log.learn(destinations: sinks.destinations)
        order = sinks.sinks.map(\.name)
        if resume { self.resume() }
    }

    /// Starts delivering: what the outbox holds, in its order (an earlier run's messages at
    /// start; at a reload those the notifier before left, then this one's own), then what it
    /// could not keep. Once; later calls do nothing.
    package func resume() {
        handing.lock()
        defer { handing.unlock() }
        // Unpaused and the outbox read at one moment: what is written before it is queued here,
        // what is written after by `take`, once this has queued the older ones.
        let (wasPaused, pending) = lock.withLock { () -> (Bool, [Outbox.Entry]) in
            guard paused else { return (false, []) }
            defer { paused = false; unwritten = [] }
            // Those the outbox could not keep take their place by when they were made.
            let pending = unwritten.isEmpty ? outbox.entries : (outbox.entries + unwritten).sorted { $0.created < $1.created }
            resumedIDs = Set(pending.map(\.id))
            return (true, pending)
        }
        guard wasPaused else { return }
        if !pending.isEmpty { logger.info("resuming notifications left in the outbox", [("count", "\(pending.count)")]) }
        deliver(pending)
    }

    /// Takes notifications (in order) for their sinks.
    package func submit(_ notes: [AlertNotification]) {
        let now = Date()
        var toSend: [(String, [AlertNotification])] = []
        var windowsOpened: [(String, Int)] = []
        var silenced: [(AlertNotification, [String])] = []
        lock.lock()
        counts.submitted += notes.count
        // Lazily, so that each is judged after those before it were accepted.
        for note in notes.lazy.flatMap({ self.asEachSinkReads($0) }) {
            // Before anything else: an alert the core saw anew after its journal was lost is
            // not news to the receivers, and they could not drop it (it has a new id).
            // Sink by sink: an alert may reach a sink of its own later than the others.
            let sinks = targets(note).filter { !log.alreadyAnnounced(note, sink: $0, within: repeatInterval) }
            if note.state == .resolved { heldBySilence[note.alertKey] = nil }
            if sinks.isEmpty {
                counts.announced += 1
                logger.info(note.state == .resolved ? "notification not sent: receivers were told it resolved, or never that it fired"
                            : note.reason == .deescalated ? "notification not sent: no receiver was told it fired at a higher severity"
                            : "notification not sent: receivers were already told",
                            [("alert", note.alertKey), ("rule", note.rule), ("reason", note.reason.rawValue)])
                continue
            }
            var note = note
            note.silenceTarget = silenceTarget
            if let webURL, case .post(let key, _) = note.subject {
                note.pageURL = webURL + WebPath.post(source: key.source, id: key.id)
            }
            // A resolution goes to whoever was told the alert fires, silence or not: held back,
            // it would leave their incident open for good.
            let silence = note.state == .resolved ? nil : silences.silencing(note, now: now)
            log.accept(note, sinks: sinks, announced: silence == nil)
            if let silence {
                counts.silenced += 1
                silenced.append((note, sinks))
                if note.state == .firing { hold(note, for: sinks) }
                logger.info("notification silenced", [("alert", note.alertKey), ("rule", note.rule), ("by", silence)])
                continue
            }
            release(note.alertKey, sinks: sinks)
            // One line per alert change, so the log says what fired and where it goes.
            let what = note.reason == .started ? "fired" : note.reason.rawValue
            logger.info("alert \(what)", [("alert", note.alertKey), ("rule", note.rule), ("severity", note.severity.rawValue), ("sinks", sinks.joined(separator: ","))]
                        + (note.isTest ? [("test", "true")] : []))
            // The window is on the notifications' own clock: a replay's notifications hours
            // apart come within milliseconds, and must not go out as one message.
            for sink in sinks {
                if groupWait <= 0 {
                    toSend.append((sink, [note]))
                } else if let end = windowEnds[sink], note.time < end {
                    held[sink, default: []].append(note)
                } else {
                    // Past the open window: what it held goes now, before this note's own.
                    if let group = held.removeValue(forKey: sink), !group.isEmpty { toSend.append((sink, group)) }
                    windowEnds[sink] = note.time + groupWait
                    windowGeneration[sink, default: 0] += 1
                    windowsOpened.append((sink, windowGeneration[sink]!))
                    toSend.append((sink, [note]))
                }
            }
        }
        lock.unlock()
        if !silenced.isEmpty { log.record(silenced: silenced) }
        for (sink, group) in toSend { dispatch(group, to: sink) }
        for (sink, generation) in windowsOpened {
            Task { [self, groupWait] in
                try? await Task.sleep(nanoseconds: UInt64(groupWait * 1e9))
                flush(sink, generation: generation)
            }
        }
    }

    /// Ends a sink's group window (the one `generation` opened, unless a later notification has
    /// ended it and opened another; any window when nil): what was held goes out as one.
    private func flush(_ sink: String, generation: Int? = nil) {
        lock.lock()
        guard generation == nil || windowGeneration[sink] == generation else { lock.unlock(); return }
        let group = held[sink] ?? []
        held[sink] = nil
        windowEnds[sink] = nil
        lock.unlock()
        if !group.isEmpty { dispatch(group, to: sink) }
    }

    /// A firing notification as each sink should read it, from what the sink was last told;
    /// called under `lock`. Parts that read otherwise than the core's keep its id (`idReason`).
    /// - To a sink never told the alert fires (a silence kept the page from it, on a rule the
    ///   alert has since left, or until the silence ended; or it came with a reload), a
    ///   reminder or an escalation is the page it never had, not "still firing", so that its
    ///   receiver opens the incident as new.
    /// - A reminder at another severity than a sink was told is an escalation or a
    ///   de-escalation to it.
    /// - A start of an alert that began after a sink was paged at a higher severity, within
    ///   `repeatInterval` (the core saw the post anew after its journal was lost, and only a
    ///   warning rule holds now), is a de-escalation to that sink, routed to it or not:
    ///   dropped as already announced, or routed to slack only, it left the pager believing
    ///   the alert critical until it resolved.
    /// - A resolution goes to every sink last told the alert fires, routed to it or not now
    ///   (after a restart that lost the journal, the core may route the alert anew, to fewer
    ///   sinks than were paged, and the pager's incident would stay open for good).
    private func asEachSinkReads(_ note: AlertNotification) -> [AlertNotification] {
        if note.state == .resolved, !note.sinks.isEmpty {
            let told = order.filter { !note.sinks.contains($0) && log.toldFiring(note, sink: $0) }
            guard !told.isEmpty else { return [note] }
            var all = note
            all.sinks += told
            return [all]
        }
        guard note.state == .firing, note.idReason == nil, !log.contains(note.notificationID) else { return [note] }
        var targets = targets(note)
        if note.reason == .started {
            // Seen anew, the alert may be routed away from a sink paged at a higher severity
            // (a warning rule's slack, not the critical rule's pager): that sink hears it too.
            targets += order.filter { sink in
                !targets.contains(sink) && Self.reads(note, told: log.toldFiringAt(note, sink: sink), repeatInterval: repeatInterval) == .deescalated
            }
        }
        let byReason = Dictionary(grouping: targets) { sink in Self.reads(note, told: log.toldFiringAt(note, sink: sink), repeatInterval: repeatInterval) }
        guard byReason.count > 1 || byReason.keys.first.map({ $0 != note.reason }) == true else { return [note] }
        // In the reasons' order, each part to its sinks.
        return AlertNotification.Reason.allCases.compactMap { reason in
            guard let sinks = byReason[reason] else { return nil }
            var read = note
            read.idReason = note.reason
            read.reason = reason
            read.sinks = sinks
            return read
        }
    }

    /// How a sink that was last told the alert fires at `told` (nil: it was not) reads `note`.
    static func reads(_ note: AlertNotification, told: (severity: Severity, time: Double)?, repeatInterval: Double) -> AlertNotification.Reason {
        switch note.reason {
        case .started:
            // Only a start of an alert that (as the core knows it) began after the sink was
            // paged: one the core lost track of. A start to a sink a rule of its own brings is
            // of an alert that fired before, and says nothing of its severity.
            // A volume alert says not when it fired: never read so.
            guard let told, told.severity > note.severity, note.time >= told.time, note.time - told.time < repeatInterval,
                  let firedAt = note.firedAt, firedAt > told.time else { return .started }
            return .deescalated
        case .repeated:
            guard let told else { return .started }
            return note.severity > told.severity ? .escalated : note.severity < told.severity ? .deescalated : .repeated
        case .escalated:
            return told == nil ? .started : .escalated
        case .deescalated, .resolved:
            return note.reason
        }
    }

    private func targets(_ note: AlertNotification) -> [String] { sinks(for: note.sinks) }

    /// The configured sinks an alert routed to `routed` reaches (none named: every sink).
    package func sinks(for routed: [String]) -> [String] {
        routed.isEmpty ? order : routed.filter { workers[$0] != nil }
    }

    private func dispatch(_ group: [AlertNotification], to sinkName: String) {
        guard let worker = workers[sinkName] else { return }
        let id = Self.groupID(group, sink: sinkName)
        let entries = render(group, id: id, worker: worker)
        // The log first: whatever the outbox then holds or loses, the log knows it was queued.
        log.record(group, sink: sinkName, queued: entries.map { NotificationLog.Queued(id: $0.id, group: id, sink: sinkName, notes: group.map(Self.queuedName)) })
        take(entries, written: add(entries, sink: sinkName))
    }

    /// Messages rendered here, or by the notifier before (`handOver`): delivered, or kept for
    /// `resume` while paused (the outbox has them when `written`), or passed on to the
    /// successor once this one has handed over.
    private func take(_ entries: [Outbox.Entry], written: Bool) {
        let (next, now) = lock.withLock { () -> (Notifier?, Bool) in
            if successor == nil, paused, !written { unwritten += entries }
            return (successor, successor == nil && !paused)
        }
        if let next { return next.take(entries, written: written) }
        guard now else { return }
        handing.withLock {
            let fresh = lock.withLock { entries.filter { resumedIDs.remove($0.id) == nil } }
            deliver(fresh)
        }
    }

    /// Hands written-down messages to their sinks' workers. One for a sink not configured any
    /// more goes to the one sink that sends to the same place (the sink was renamed), else it
    /// is a dead letter.
    private func deliver(_ entries: [Outbox.Entry]) {
        for var entry in entries {
            if let worker = workers[entry.sink] {
                worker.enqueue([entry])
            } else if let renamed = renamedSink(of: entry), let worker = workers[renamed] {
                logger.info("outbox message for a sink no longer configured goes to the sink that sends to the same place", [("sink", entry.sink), ("to", renamed), ("id", entry.id)])
                entry.sink = renamed
                worker.enqueue([entry])
            } else if let stopping = lock.withLock({ removedSinksStopping }) {
                // Its old worker may be sending it now: a dead letter only if it was not delivered.
                Task { await stopping.value; self.deadLetterForRemovedSink(entry) }
            } else {
                deadLetterForRemovedSink(entry)
            }
        }
    }

    private func deadLetterForRemovedSink(_ entry: Outbox.Entry) {
        guard !outbox.wasSettled(entry.id) else { return }
        logger.error("outbox message for a sink no longer configured, moved to the dead letters", [("sink", entry.sink), ("id", entry.id)])
        log.settled(entry.id)
        try? outbox.dead(entry, reason: "sink \(entry.sink) is no longer in the config")
    }

    /// The configured sink sending where `entry`'s did, when there is exactly one.
    private func renamedSink(of entry: Outbox.Entry) -> String? {
        guard let destination = entry.destination else { return nil }
        let same = destinations.filter { $0.value == destination }.map(\.key)
        return same.count == 1 ? same[0] : nil
    }

    private func render(_ group: [AlertNotification], id: String, worker: SinkWorker) -> [Outbox.Entry] {
        let created = Date().timeIntervalSince1970
        let destination = destinations[worker.sink.name]
        return worker.sink.render(group, id: id).map {
            Outbox.Entry(id: $0.id, sink: worker.sink.name, created: created, keys: group.map(\.alertKey), rules: group.map(\.rule), body: $0.body,
                         destination: destination)
        }
    }

    /// - Returns: whether the outbox keeps them.
    private func add(_ entries: [Outbox.Entry], sink: String) -> Bool {
        do {
            try outbox.add(entries)
            return true
        } catch {
            // Still sent: losing durability is better than losing the page.
            logger.error("cannot write the outbox; delivering without it", [("sink", sink), ("error", SystemReason.of(error))])
            return false
        }
    }

    /// A group's id, from its sink and its notifications: the same notifications to the same
    /// sink are the same message whichever run renders them, so a receiver can drop a copy.
    static func groupID(_ group: [AlertNotification], sink: String) -> String {
        let digest = HMAC.sha256(key: Array("foreshock message id".utf8), message: Array(([sink] + group.map(\.notificationID)).joined(separator: "\n").utf8))
        return "msg_" + Digest.hex(digest.prefix(16))
    }

    /// Messages the log says were queued and never delivered, but the outbox no longer holds
    /// (cut short, or lost with its disk): rendered again from `notes` (the journal's replay)
    /// under the ids they had, and queued.
    /// - Returns: how many were lost, and how many of those could be rendered again; the rest
    ///   are given up (their notifications are not in the journal any more).
    package func recoverLostMessages(from notes: [AlertNotification]) -> (lost: Int, requeued: Int) {
        let held = Set(outbox.entries.map(\.id))
        let lost = log.unsettled.filter { !held.contains($0.id) }
        guard !lost.isEmpty else { return (0, 0) }
        let byID = Dictionary(notes.map { ($0.notificationID, $0) }, uniquingKeysWith: { a, _ in a })
        var requeued = 0
        // In the order they were queued (the log's), so a lost trigger goes before its resolve.
        let groups = lost.map(\.group).uniqued()
        let byGroup = Dictionary(grouping: lost, by: \.group)
        for group in groups {
            let messages = byGroup[group]!
            let sink = messages[0].sink
            let wanted = Set(messages.map(\.id))
            let found = messages[0].notes.compactMap { name -> AlertNotification? in
                let (id, reads) = Self.parseQueuedName(name)
                guard var note = byID[id] else { return nil }
                // Rendered again as the sink read it (a first page), not as the core made it.
                if let reads, reads != note.reason { (note.idReason, note.reason) = (note.reason, reads) }
                return note
            }
            guard let worker = workers[sink], found.count == messages[0].notes.count else {
                for message in messages { log.settled(message.id) }
                continue
            }
            let entries = render(found, id: group, worker: worker).filter { wanted.contains($0.id) }
            for message in messages where !entries.contains(where: { $0.id == message.id }) { log.settled(message.id) }
            take(entries, written: add(entries, sink: sink))
            requeued += entries.count
        }
        return (lost.count, requeued)
    }

    /// A notification as a queued message names it in the log: its id, and how its sink read
    /// it where that is not as the core made it (`ID>started`), so that a lost outbox renders
    /// it again as it was sent.
    static func queuedName(_ note: AlertNotification) -> String {
        note.idReason == nil ? note.notificationID : note.notificationID + ">" + note.reason.rawValue
    }

    /// `queuedName` read back: the id, and the reason the sink read it by, if named.
    static func parseQueuedName(_ name: String) -> (id: String, reads: AlertNotification.Reason?) {
        guard let mark = name.lastIndex(of: ">"), let reason = AlertNotification.Reason(rawValue: String(name[name.index(after: mark)...])) else { return (name, nil) }
        return (String(name[..<mark]), reason)
    }

    /// Keeps `note`, held back from `sinks` by a silence, for when none holds it; with the
    /// sinks an earlier one was held back from. Called under `lock`.
    private func hold(_ note: AlertNotification, for sinks: [String]) {
        let owed = Set((heldBySilence[note.alertKey]?.sinks ?? []) + sinks)
        guard !owed.isEmpty else { return }
        var held = note
        held.sinks = order.filter { owed.contains($0) }
        held.idReason = nil
        heldBySilence[note.alertKey] = held
    }

    /// Forgets what was held back of an alert from `sinks`, which have now been told it.
    /// Called under `lock`.
    private func release(_ alertKey: String, sinks: [String]) {
        guard var held = heldBySilence[alertKey] else { return }
        held.sinks.removeAll { sinks.contains($0) }
        heldBySilence[alertKey] = held.sinks.isEmpty ? nil : held
    }

    /// What became of an alert a silence held back, as it stands now (`lapsedSilences`).
    package enum HeldNow: Sendable {
        /// It no longer fires: nothing is owed.
        case gone
        /// No rule holding now sends to the sinks it is owed to: kept for when one does.
        case later
        /// To be told now, as this says (its rule and severity may have changed since).
        case tell(AlertNotification)

        /// What to tell now, if anything.
        package var told: AlertNotification? {
            if case .tell(let note) = self { return note }
            return nil
        }
    }

    /// The alerts whose firing notifications a silence held back, that no silence holds at
    /// `now` as they are now: each handed out once, to be told now, if the alert still fires.
    /// - Parameter asNow: what became of the held notification (a silence on the rule it was
    ///   held under does not hold the rule it has now). Called under the notifier's lock: pure.
    /// - Returns: what `asNow` said to tell, for those no silence holds, by alert.
    package func lapsedSilences(now: Date, asNow: (AlertNotification) -> HeldNow = { .tell($0) }) -> [AlertNotification] {
        lock.withLock {
            var lapsed: [AlertNotification] = []
            for (key, held) in heldBySilence.sorted(by: { $0.key < $1.key }) {
                switch asNow(held) {
                case .gone:
                    heldBySilence[key] = nil
                case .later:
                    continue
                case .tell(let note):
                    guard silences.silencing(note, now: now) == nil else { continue }
                    heldBySilence[key] = nil
                    lapsed.append(note)
                }
            }
            return lapsed
        }
    }

    /// The silence holding back an alert's notifications, if one matches (for `status`).
    package func silencedBy(_ note: AlertNotification, now: Date) -> String? {
        silences.silencing(note, now: now)
    }

    /// Whether a notification was already taken (sent, queued, or silenced) by this or an earlier run.
    package func hasTaken(_ note: AlertNotification) -> Bool {
        log.contains(note.notificationID)
    }

    /// Sends what groups hold now and waits until every sink is done or `timeout` passes.
    /// - Returns: whether everything was delivered or dead-lettered in time.
    package func drain(timeout: Double) async -> Bool {
        closeWindows()
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if workers.values.allSatisfy({ $0.backlog == 0 }) { return true }
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
        return workers.values.allSatisfy { $0.backlog == 0 }
    }

    private var heldSinks: [String] { lock.withLock { Array(held.keys) } }

    /// Per sink, the alerts a group window holds a notification of, not yet rendered (for `status`).
    package var inGroupWindows: [String: Set<String>] {
        lock.withLock { held.filter { !$0.value.isEmpty }.mapValues { Set($0.map(\.alertKey)) } }
    }

    /// Stops the workers; undelivered messages stay in the outbox.
    package func stop() {
        for worker in workers.values { worker.stop() }
    }

    /// Stops the workers, as `stop`, and returns once they have: what a process does last
    /// before it exits. A send under way is cut off and stays in the outbox; one that finished
    /// just before is marked there before this returns. Exiting right after `stop`, a worker
    /// between writing "delivered" in the log and in the outbox would send it again at the
    /// next start.
    package func stopAndWait() async {
        for worker in workers.values { worker.stop() }
        for worker in workers.values { await worker.stopped() }
    }

    /// A config reload's end of this notifier, once `next` (not yet resumed) has taken its
    /// place: its workers stop, a send under way let end (a receiver would otherwise finish it
    /// after its resend), and are waited for; what its
    /// group windows hold is written down now, and anything it dispatches from here on (a
    /// timer, a batch under way) goes to `next`; the alerts its silences hold back are `next`'s
    /// to remember. Then `next.resume()` delivers the outbox in order, nothing twice at once.
    package func handOver(to next: Notifier) async {
        beginHandOver(to: next)
        await finishHandOver(to: next)
    }

    /// The hand-over's first half, at once: from here on what this notifier dispatches goes to
    /// `next`, whose silences hold back what this one's did, and each of `next`'s workers
    /// sends nothing until this one's for the same sink (or one sending to the same place) has
    /// stopped. `next` may then resume at once: a receiver that hangs holds back its own
    /// messages only, not every sink's.
    package func beginHandOver(to next: Notifier) {
        let held = lock.withLock {
            successor = next
            defer { heldBySilence = [:] }
            return heldBySilence
        }
        next.lock.withLock { next.heldBySilence.merge(held) { current, _ in current } }
        var successors = Set<String>()
        for (name, worker) in next.workers {
            let destination = next.destinations[name]
            let earlier = workers.filter { $0.key == name || (destination != nil && destinations[$0.key] == destination) }
            successors.formUnion(earlier.keys)
            let sameReceiver = earlier.filter { destinations[$0.key] == destination }
            // Its own sends, or, renamed, those of the old sink at its address whose name is gone;
            // never another sink's that stays.
            let countingSends = sameReceiver[name].map { [$0] } ?? sameReceiver.filter { next.workers[$0.key] == nil }.map(\.value)
            worker.takeOver(from: Array(earlier.values), sameReceiver: Array(sameReceiver.values), countingSends: countingSends)
        }
        let removed = workers.filter { !successors.contains($0.key) }.map(\.value)
        if !removed.isEmpty {
            next.lock.withLock { next.removedSinksStopping = Task { for worker in removed { await worker.finish() } } }
        }
    }

    /// The hand-over's second half: waits for this notifier's workers to stop, then passes its
    /// counters on and sends what a group window opened meanwhile holds.
    package func finishHandOver(to next: Notifier) async {
        for worker in workers.values { await worker.finish() }
        // Messages the outbox could not write (a full disk) were only in the workers' queues,
        // which stop here. A sink that goes on (or a renamed one) has its new worker take them;
        // those of a sink gone are what is left once every new worker has, and go where
        // `deliver` sends a removed sink's messages.
        for worker in next.workers.values { await worker.tookOver() }
        let unwritten = workers.keys.sorted().flatMap { workers[$0]!.takeUnwrittenMessages() }
        if !unwritten.isEmpty { next.take(unwritten.sorted { $0.created < $1.created }, written: false) }
        // The counters since start go on counting in `next`: status and the metrics' counters
        // must not drop to zero on SIGHUP.
        let counted = lock.withLock { counts }
        next.lock.withLock {
            next.counts.submitted += counted.submitted
            next.counts.silenced += counted.silenced
            next.counts.announced += counted.announced
        }
        for (name, worker) in workers { next.workers[name]?.adopt(worker.stats) }
        // Windows opened since `closeWindows`, if any.
        closeWindows()
    }

    /// Sends what the group windows hold now: at a stop, and at a reload before the next
    /// notifier takes anything, so that a trigger held here goes out before a resolve that one
    /// writes.
    package func closeWindows() {
        for sink in heldSinks { flush(sink) }
    }

    /// After a restart: the alerts the replayed notifications (`notes`, oldest first) leave
    /// firing, with the sinks they were routed to that were not told (a silence held them
    /// back, one that may have ended while the process was down), remembered so that those
    /// are told once no silence holds them (`lapsedSilences`), as if this process had held
    /// them back itself.
    package func rememberSilenced(_ notes: [AlertNotification]) {
        var last: [String: AlertNotification] = [:]
        for note in notes { last[note.alertKey] = note }
        // Owed sink by sink: one told of the alert does not clear another's debt, and one told
        // another severity (the escalation a silence held back) is owed too.
        let owed = last.values.filter { $0.state == .firing }.map { note in
            (note, targets(note).filter { log.toldFiringAt(note, sink: $0)?.severity != note.severity })
        }
        lock.withLock {
            for (note, sinks) in owed where heldBySilence[note.alertKey] == nil && !sinks.isEmpty { hold(note, for: sinks) }
        }
    }

    package var stats: Stats {
        var stats = Stats()
        lock.lock()
        stats.submitted = counts.submitted
        stats.silenced = counts.silenced
        stats.alreadyAnnounced = counts.announced
        lock.unlock()
        for (name, worker) in workers {
            let s = worker.stats
            stats.delivered[name] = s.delivered
            stats.retried[name] = s.retried
            stats.dead[name] = s.dead
            if !s.givenUp.isEmpty { stats.givenUp[name] = s.givenUp }
        }
        stats.outboxDepth = outbox.depth
        return stats
    }
}
