import ForeshockConfig
import ForeshockSupport
import Foundation

/// Delivers one sink's messages in order, one at a time, on its own task: a slow or dead
/// sink holds back only itself. Retries transient failures, honours Retry-After and the
/// sink's rate limit (messages wait their turn, none are dropped), and dead-letters the rest.
///
/// `@unchecked Sendable`: the counters are behind `lock`; `sentTimes` is touched only by the one
/// delivery task.
final class SinkWorker: @unchecked Sendable {
    let sink: any AlertSink
    private let outbox: Outbox
    private let log: NotificationLog
    private let policy: RetryPolicy
    private let logger: Logger
    private let lock = NSLock()
    private var waiting = 0
    private var counters = Stats()
    private var sentTimes: [Double] = []
    private let continuation: AsyncStream<Outbox.Entry>.Continuation
    private var task: Task<Void, Never>?
    /// Set by `finish`: no message is started any more, and one being sent is let end.
    private var stopping = false
    /// A message is on its way to the receiver now.
    private var sending = false

    struct Stats: Sendable {
        var delivered = 0
        var retried = 0
        var dead = 0
    }

    init(sink: any AlertSink, outbox: Outbox, log: NotificationLog, policy: RetryPolicy, logger: Logger) {
        self.sink = sink
        self.outbox = outbox
        self.log = log
        self.policy = policy
        self.logger = logger.with("sink", sink.name)
        // A stream keeps the order entries were handed over in, which separate tasks would not.
        let (stream, continuation) = AsyncStream<Outbox.Entry>.makeStream()
        self.continuation = continuation
        task = Task { [self] in
            for await entry in stream {
                if lock.withLock({ stopping }) { break }
                await deliver(entry)
                lock.withLock { waiting -= 1 }
            }
        }
    }

    func enqueue(_ entries: [Outbox.Entry]) {
        lock.lock(); waiting += entries.count; lock.unlock()
        for entry in entries { continuation.yield(entry) }
    }

    /// Messages handed over and not yet delivered or given up.
    var backlog: Int { lock.lock(); defer { lock.unlock() }; return waiting }
    var stats: Stats { lock.lock(); defer { lock.unlock() }; return counters }

    /// Stops delivering; what is not delivered stays in the outbox for the next start.
    func stop() {
        continuation.finish()
        task?.cancel()
    }

    /// Stops at a config reload: no message is started any more, one being sent is let end (cut
    /// off, the receiver might finish it after its resend, and behind what follows it), a wait
    /// for a retry or the rate limit ends at once; returns when the worker has stopped. What is
    /// not delivered stays in the outbox.
    func finish() async {
        continuation.finish()
        let idle = lock.withLock {
            stopping = true
            return !sending
        }
        if idle { task?.cancel() }
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
        }
    }

    private func deliver(_ entry: Outbox.Entry) async {
        var attempt = 0
        while !Task.isCancelled {
            await waitForRateLimit()
            attempt += 1
            // Not started once `finish` was asked; a send it finds under way is let end.
            guard lock.withLock({ () -> Bool in
                if stopping || Task.isCancelled { return false }
                sending = true
                return true
            }) else { return }
            defer { lock.withLock { sending = false } }
            do {
                try await sink.send(entry.body, id: entry.id)
                sentTimes.append(Date().timeIntervalSince1970)
                logger.info("notification delivered", [("alerts", entry.keys.joined(separator: ",")), ("rules", entry.rules.joined(separator: ",")), ("id", entry.id), ("attempt", "\(attempt)")])
                count { $0.delivered += 1 }
                // The log first: a crash between the two sends it again (same id), never loses it.
                log.settled(entry.id)
                do { try outbox.done(entry.id) } catch { logger.error("cannot mark a delivered message in the outbox", [("error", SystemReason.of(error))]) }
                return
            } catch {
                // Stopped mid-send: whatever the transfer's error says, the message was not
                // delivered and stays in the outbox for the next start (never a dead letter).
                if Task.isCancelled { return }
                let age = Date().timeIntervalSince1970 - entry.created
                if error.code == .permanent || age > policy.giveUpAfter {
                    let reason = error.code == .permanent ? error.message : "gave up after \(attempt) attempts over \(DurationText.format(age)): \(error.message)"
                    count { $0.dead += 1 }
                    logger.error("notification given up, moved to the dead letters", [("alerts", entry.keys.joined(separator: ",")), ("rules", entry.rules.joined(separator: ",")), ("id", entry.id), ("reason", reason)])
                    log.settled(entry.id)
                    do { try outbox.dead(entry.id, reason: reason) } catch { logger.error("cannot write the dead letter", [("error", SystemReason.of(error))]) }
                    return
                }
                if lock.withLock({ stopping }) { return }
                let delay = policy.delay(after: attempt, retryAfter: error.retryAfter)
                count { $0.retried += 1 }
                logger.warning("delivery failed, will retry", [("alerts", entry.keys.joined(separator: ",")), ("id", entry.id), ("attempt", "\(attempt)"), ("retry_in", DurationText.format(delay)), ("error", error.message)])
                try? await Task.sleep(nanoseconds: UInt64(delay * 1e9))
            }
        }
    }

    /// At most `maxPerMinute` in any minute: wait for the oldest to leave the window.
    private func waitForRateLimit() async {
        guard let limit = sink.maxPerMinute else { return }
        let window = policy.rateWindow
        while !Task.isCancelled {
            let now = Date().timeIntervalSince1970
            sentTimes.removeAll { now - $0 >= window }
            guard sentTimes.count >= limit, let oldest = sentTimes.first else { return }
            try? await Task.sleep(nanoseconds: UInt64(max(0.01, window - (now - oldest)) * 1e9))
        }
    }
}
