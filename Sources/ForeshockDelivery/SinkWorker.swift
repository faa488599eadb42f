import ForeshockConfig
import ForeshockSupport
import Foundation

/// Delivers one sink's messages, one at a time, on its own task: a slow or dead sink holds back
/// only itself. Retries transient failures, each message on its own back-off, honours
/// Retry-After (for the whole sink: it is the receiver's word) and the sink's rate limit
/// (messages wait their turn, none are dropped), and dead-letters the rest.
///
/// Messages go in the order they were handed over, except that one waiting for its retry
/// holds back only later messages about one of its alerts (a resolve never overtakes its
/// trigger): a message the receiver keeps refusing must not hold every other page back for a
/// day, as Alertmanager retries each notification on its own. Two failures in a row, of any
/// messages, are the receiver's: the whole sink then waits on one back-off, so a receiver that
/// is down is not asked once per queued message.
///
/// `@unchecked Sendable`: every mutable field is behind `lock`, but `task`, which only `init`
/// sets.
final class SinkWorker: @unchecked Sendable {
    let sink: any AlertSink
    private let outbox: Outbox
    private let log: NotificationLog
    private let policy: RetryPolicy
    private let logger: Logger
    private let lock = NSLock()
    /// Messages handed over and not yet delivered or given up, in the order handed over.
    private var queue: [Pending] = []
    /// What this worker knows of its receiver.
    private var receiver = ReceiverState()
    private var counters = Stats()
    private let bell = Doorbell()
    private var task: Task<Void, Never>?
    /// Set by `finish`: no message is started any more, and one being sent is let end.
    private var stopping = false
    /// A message is on its way to the receiver now.
    private var sending = false
    /// Ends when the workers this one takes over from (a reload: the same sink, or one sending
    /// to the same place) have stopped: nothing is sent beside a send of theirs under way. It
    /// brings what those sending to the same place knew of the receiver.
    private var takingOver: Task<ReceiverState, Never>?

    /// What a worker knows of its receiver, handed on at a reload: a receiver that said
    /// Retry-After, or is down, or was sent its `max_per_minute`, is no readier for a SIGHUP.
    struct ReceiverState: Sendable {
        /// The receiver asked to be left alone until then (Retry-After), or failed for two
        /// messages in a row and is taken for down.
        var pausedUntil = 0.0
        /// Attempts that failed in a row, whatever their message.
        var failuresInARow = 0
        /// When the attempts of the last rate window were made (only for a sink with a limit).
        var sentTimes: [Double] = []

        /// Both, as one receiver's: taken twice (the worker and a later reload both ask), the
        /// same sends count once.
        mutating func merge(_ other: ReceiverState) {
            pausedUntil = max(pausedUntil, other.pausedUntil)
            failuresInARow = max(failuresInARow, other.failuresInARow)
            sentTimes = Set(sentTimes).union(other.sentTimes).sorted()
        }
    }

    struct Stats: Sendable {
        var delivered = 0
        var retried = 0
        var dead = 0
        /// The alerts whose last message to this sink was given up (a dead letter), the most
        /// recent `givenUpKept`: what `status` shows beside each alert instead of "sent".
        var givenUp: [String] = []

        /// Notes the alerts of a message given up, or (`delivered`) delivered since.
        mutating func settled(_ keys: [String], delivered: Bool) {
            givenUp.removeAll { keys.contains($0) }
            if !delivered { givenUp = Array((givenUp + keys).suffix(SinkWorker.givenUpKept)) }
        }
    }

    static let givenUpKept = 200

    private struct Pending {
        var entry: Outbox.Entry
        var attempts = 0
        /// Not tried again before this time.
        var due = 0.0
        /// Why its last attempt failed.
        var lastError: String?
        /// Out of time and being given up: stays in the queue (counted in the backlog, so a
        /// drain waits for its dead letter) until it is settled, but is not sent.
        var expiring = false
    }

    init(sink: any AlertSink, outbox: Outbox, log: NotificationLog, policy: RetryPolicy, logger: Logger) {
        self.sink = sink
        self.outbox = outbox
        self.log = log
        self.policy = policy
        self.logger = logger.with("sink", sink.name)
        task = Task { [self] in
            while !Task.isCancelled, !lock.withLock({ stopping }) {
                let now = Date().timeIntervalSince1970
                // In one hold of the lock: a message handed over between the two would be sent
                // without its age looked at.
                let (expired, next, wake) = lock.withLock { () -> ([Pending], String?, Double?) in
                    let expired = takeExpired(now: now)
                    let (next, wake) = nextDue(now: now)
                    return (expired, next, wake)
                }
                for pending in expired {
                    giveUpUntried(pending, now: now)
                    remove(pending.entry.id)
                }
                guard let next else {
                    await bell.wait(atMost: wake.map { $0 - now })
                    continue
                }
                if lock.withLock({ takingOver != nil }) {
                    await adoptEarlier()
                    continue
                }
                await waitForRateLimit()
                await attempt(next)
            }
        }
    }

    func enqueue(_ entries: [Outbox.Entry]) {
        // Due since it was written: a retry that came due before a new message goes first, or
        // new messages arriving faster than max_per_minute would hold it back for good.
        lock.withLock { queue += entries.map { Pending(entry: $0, due: $0.created) } }
        bell.ring()
    }

    /// Messages handed over and not yet delivered or given up.
    var backlog: Int { lock.withLock { queue.count } }
    var stats: Stats { lock.withLock { counters } }

    /// Takes over from the workers of the notifier a reload replaces: sends nothing until each
    /// has stopped (a send of theirs under way is let end), and skips what they settled
    /// meanwhile. Messages may be handed over at once; they wait in order.
    /// - Parameters:
    ///   - earlier: the workers to wait for.
    ///   - sameReceiver: those of them sending to the same place, whose Retry-After and
    ///     back-off this one keeps to (a renamed sink's too; not a sink whose address changed).
    ///   - countingSends: those whose recent sends count against this sink's `max_per_minute`:
    ///     the same sink's, or a renamed one's; not another sink's that shares the address.
    func takeOver(from earlier: [SinkWorker], sameReceiver: [SinkWorker], countingSends: [SinkWorker]) {
        guard !earlier.isEmpty else { return }
        lock.withLock {
            takingOver = Task { [self] in
                for worker in earlier { await worker.finish() }
                // Messages the outbox could not write (a full disk) were only in their queues: this
                // worker takes them, ahead of its own (they were handed over before the reload,
                // and a resolve of the new notifier's must not overtake its trigger), as they stood.
                let unwritten = earlier.flatMap { $0.takeUnwritten() }
                    .map { pending in
                        var pending = pending
                        pending.entry.sink = sink.name
                        return pending
                    }
                if !unwritten.isEmpty { lock.withLock { queue.insert(contentsOf: unwritten, at: 0) } }
                var known = ReceiverState()
                for worker in sameReceiver {
                    var theirs = await worker.receiverState()
                    if !countingSends.contains(where: { $0 === worker }) { theirs.sentTimes = [] }
                    known.merge(theirs)
                }
                return known
            }
        }
    }

    /// Empties a stopped worker's queue and returns what of it the outbox does not hold and
    /// nobody settled: the messages it could not write (a full disk), which nothing else would
    /// send. For the worker taking over from it.
    private func takeUnwritten() -> [Pending] {
        let taken = lock.withLock {
            defer { queue = [] }
            return queue
        }
        return taken.filter { !outbox.holds($0.entry.id) && !outbox.wasSettled($0.entry.id) }
    }

    /// The same, for a sink gone at a reload: its notifier hands them on (`Notifier.finishHandOver`).
    func takeUnwrittenMessages() -> [Outbox.Entry] { takeUnwritten().map(\.entry) }

    /// Waits until the hand-over from the workers before has ended (their queues taken).
    func tookOver() async { await adoptEarlier() }

    /// What this worker knows of its receiver, with what it took over and has not sent since
    /// (a second reload before it sent anything must not lose the first one's Retry-After).
    private func receiverState() async -> ReceiverState {
        await adoptEarlier()
        return lock.withLock { receiver }
    }

    /// Takes in what the workers this one took over from knew of the receiver, once they stopped.
    private func adoptEarlier() async {
        guard let pending = lock.withLock({ takingOver }) else { return }
        let earlier = await pending.value
        lock.withLock {
            receiver.merge(earlier)
            takingOver = nil
        }
    }

    /// Stops delivering; what is not delivered stays in the outbox for the next start.
    func stop() {
        task?.cancel()
    }

    /// Stops delivering, as `stop`, and returns when the worker has: a send cut off has ended
    /// (curl aborts it at once), and one that finished first has been marked in the outbox.
    func stopped() async {
        stop()
        await task?.value
    }

    /// Stops at a config reload: no message is started any more, one being sent is let end (cut
    /// off, the receiver might finish it after its resend, and behind what follows it), a wait
    /// for a retry or the rate limit ends at once; returns when the worker has stopped. What is
    /// not delivered stays in the outbox.
    func finish() async {
        let idle = lock.withLock {
            stopping = true
            return !sending
        }
        if idle { task?.cancel() } else { bell.ring() }
        await task?.value
    }

    private func count(_ change: (inout Stats) -> Void) { lock.withLock { change(&counters) } }

    /// Takes the counts of the worker this one replaces (a config reload): counters since start
    /// must not drop to zero on SIGHUP.
    func adopt(_ before: Stats) {
        count {
            $0.delivered += before.delivered
            $0.retried += before.retried
            $0.dead += before.dead
            // Each key once: one given up by both workers (the message handed over) is one alert.
            let own = $0.givenUp
            $0.givenUp = Array((before.givenUp.filter { !own.contains($0) } + own).suffix(Self.givenUpKept))
        }
    }

    /// Of the messages that are due and not behind an earlier one about one of their alerts,
    /// the one due longest (a new one since it was written, a retry since its back-off ended;
    /// in order among equals); else when the next one comes due (nil: none is waiting). Called
    /// under `lock`.
    private func nextDue(now: Double) -> (id: String?, wake: Double?) {
        // Woken for the first message to run out of time, too, paused or not.
        let expires = queue.lazy.filter { !$0.expiring }.map { $0.entry.created + self.policy.giveUpAfter }.min()
        if now < receiver.pausedUntil { return (nil, min(receiver.pausedUntil, expires ?? .infinity)) }
        var held: Set<String> = []
        var wake = expires
        var best: Pending?
        for pending in queue where !pending.expiring {
            let free = held.isDisjoint(with: pending.entry.keys)
            held.formUnion(pending.entry.keys)
            guard free else { continue }
            if pending.due <= now {
                if best.map({ pending.due < $0.due }) ?? true { best = pending }
            } else {
                wake = min(wake ?? pending.due, pending.due)
            }
        }
        return best.map { ($0.entry.id, nil) } ?? (nil, wake)
    }

    /// Marks the messages written more than `giveUpAfter` ago, for the caller to give up (they
    /// leave the queue once settled). They are given up whether or not they were tried: a
    /// receiver down for a day is asked once in minutes, not once per message, so most of what
    /// queued meanwhile was never tried, and a page a day late must not go out when it comes
    /// back (or at the next start). Called under `lock`; not while a reload's hand-over is
    /// pending (the worker before may have settled them since).
    private func takeExpired(now: Double) -> [Pending] {
        guard takingOver == nil else { return [] }
        var expired: [Pending] = []
        for index in queue.indices where !queue[index].expiring && now - queue[index].entry.created > policy.giveUpAfter {
            queue[index].expiring = true
            expired.append(queue[index])
        }
        return expired
    }

    /// Moves a message out of time to the dead letters, with its last failure or, never tried,
    /// why not.
    private func giveUpUntried(_ pending: Pending, now: Double) {
        // Delivered or given up already by the worker this one took over from.
        guard !outbox.wasSettled(pending.entry.id) else { return }
        let age = DurationText.format(now - pending.entry.created)
        if let last = pending.lastError {
            giveUp(pending.entry, reason: Self.outOfTries(pending.attempts, over: age, last: last))
        } else {
            let receiver = lock.withLock { () -> ReceiverState in self.receiver }
            let why = receiver.failuresInARow > 0 ? "the receiver failed for every message before it and was left alone"
                : receiver.pausedUntil > now ? "the receiver asked to be left alone (Retry-After)"
                : "it had waited that long when this run took it up (the outbox at a start)"
            giveUp(pending.entry, reason: "gave up after \(age) without a try: \(why)")
        }
    }

    /// The reason of a message given up after failed tries: when its time ran out at a failure,
    /// and when it ran out waiting for its next try.
    private static func outOfTries(_ attempts: Int, over age: String, last: String) -> String {
        "gave up after \(attempts) attempts over \(age): \(last)"
    }

    /// Writes a message down as given up, in the log and the dead letters.
    private func giveUp(_ entry: Outbox.Entry, reason: String) {
        count { $0.dead += 1; $0.settled(entry.keys, delivered: false) }
        logger.error("notification given up, moved to the dead letters", [("alerts", entry.keys.joined(separator: ",")), ("rules", entry.rules.joined(separator: ",")), ("id", entry.id), ("reason", reason)])
        log.settled(entry.id)
        do { try outbox.dead(entry, reason: reason) } catch { logger.error("cannot write the dead letter", [("error", SystemReason.of(error))]) }
    }

    private func remove(_ id: String) {
        lock.withLock { queue.removeAll { $0.entry.id == id } }
    }

    private func attempt(_ id: String) async {
        // Not started once `finish` was asked; a send it finds under way is let end.
        guard let pending = lock.withLock({ () -> Pending? in
            guard !stopping, !Task.isCancelled, let index = queue.firstIndex(where: { $0.entry.id == id }) else { return nil }
            sending = true
            queue[index].attempts += 1
            return queue[index]
        }) else { return }
        defer { lock.withLock { sending = false } }
        // Delivered or given up by the worker this one took over from, after it was queued here.
        if pending.attempts == 1, outbox.wasSettled(id) {
            remove(id)
            return
        }
        let entry = pending.entry, attempt = pending.attempts
        // Every attempt counts against the receiver's limit, a failed one too; only the last
        // window's are kept (a sink with no limit keeps none).
        if sink.maxPerMinute != nil {
            let now = Date().timeIntervalSince1970
            lock.withLock {
                receiver.sentTimes.removeAll { now - $0 >= policy.rateWindow }
                receiver.sentTimes.append(now)
            }
        }
        do {
            try await sink.send(entry.body, id: entry.id)
            lock.withLock { receiver.failuresInARow = 0 }
            logger.info("notification delivered", [("alerts", entry.keys.joined(separator: ",")), ("rules", entry.rules.joined(separator: ",")), ("id", entry.id), ("attempt", "\(attempt)")])
            count { $0.delivered += 1; $0.settled(entry.keys, delivered: true) }
            // The log first: a crash between the two sends it again (same id), never loses it.
            log.settled(entry.id)
            do { try outbox.done(entry.id) } catch { logger.error("cannot mark a delivered message in the outbox", [("error", SystemReason.of(error))]) }
            remove(entry.id)
        } catch {
            // Stopped mid-send: whatever the transfer's error says, the message was not
            // delivered and stays in the outbox for the next start (never a dead letter).
            if Task.isCancelled { return }
            let now = Date().timeIntervalSince1970
            let age = now - entry.created
            if error.code == .permanent || age > policy.giveUpAfter {
                giveUp(entry, reason: error.code == .permanent ? error.message : Self.outOfTries(attempt, over: DurationText.format(age), last: error.message))
                remove(entry.id)
                return
            }
            let delay = policy.delay(after: attempt, retryAfter: error.retryAfter)
            lock.withLock {
                if let index = queue.firstIndex(where: { $0.entry.id == id }) {
                    queue[index].due = now + delay
                    queue[index].lastError = error.message
                }
                receiver.failuresInARow += 1
                if error.retryAfter != nil { receiver.pausedUntil = max(receiver.pausedUntil, now + delay) }
                // Two messages failing in a row is the receiver, not a message: it is left alone
                // on one back-off, as one message would be, not tried for every message queued.
                if receiver.failuresInARow >= 2 { receiver.pausedUntil = max(receiver.pausedUntil, now + policy.delay(after: receiver.failuresInARow - 1, retryAfter: nil)) }
            }
            count { $0.retried += 1 }
            logger.warning("delivery failed, will retry", [("alerts", entry.keys.joined(separator: ",")), ("id", entry.id), ("attempt", "\(attempt)"), ("retry_in", DurationText.format(delay)), ("error", error.message)])
        }
    }

    /// At most `maxPerMinute` in any minute: wait for the oldest to leave the window.
    private func waitForRateLimit() async {
        guard let limit = sink.maxPerMinute else { return }
        let window = policy.rateWindow
        while !Task.isCancelled {
            let now = Date().timeIntervalSince1970
            let oldest = lock.withLock { () -> Double? in
                receiver.sentTimes.removeAll { now - $0 >= window }
                return receiver.sentTimes.count >= limit ? receiver.sentTimes.first : nil
            }
            guard let oldest else { return }
            try? await Task.sleep(nanoseconds: UInt64(max(0.01, window - (now - oldest)) * 1e9))
        }
    }
}

/// Wakes the delivery task when a message is handed over or it is told to stop, or when the time
/// it waits for comes. A ring with no one waiting is kept for the next wait, so none is missed
/// (a spare one only makes the task look at its queue once more).
///
/// `@unchecked Sendable`: `waiter` and `rung` are behind `lock`.
private final class Doorbell: @unchecked Sendable {
    private let lock = NSLock()
    private var waiter: CheckedContinuation<Void, Never>?
    private var rung = false

    func ring() {
        let waiter = lock.withLock { () -> CheckedContinuation<Void, Never>? in
            guard let waiter = self.waiter else {
                rung = true
                return nil
            }
            self.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Returns when rung (now, or since the last wait), after `seconds`, or when the task is cancelled.
    func wait(atMost seconds: Double?) async {
        let timer = seconds.map { seconds in
            Task { [weak self] in
                try? await Task.sleep(nanoseconds: UInt64(max(0.001, seconds) * 1e9))
                if !Task.isCancelled { self?.ring() }
            }
        }
        defer { timer?.cancel() }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = lock.withLock { () -> Bool in
                    if rung {
                        rung = false
                        return true
                    }
                    waiter = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            ring()
        }
    }
}
