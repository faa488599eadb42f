import ForeshockFeeds
import ForeshockTransport
import Foundation

/// Runs every source's poller on its own schedule, each in its own task: a source that hangs
/// or fails delays only itself. Outcomes go to one handler, in the order polls finish.
package struct FeedScheduler: Sendable {
    package let pollers: [FeedPoller]
    /// ±fraction of each interval, so sources do not poll in lockstep.
    package var spread: Double = 0.1

    package init(pollers: [FeedPoller]) {
        self.pollers = pollers
    }

    /// Polls every source once, all at the same time.
    /// - Returns: the outcomes in the order of `pollers`.
    package func pollOnce() async -> [PollOutcome] {
        await withTaskGroup(of: (Int, PollOutcome).self) { group in
            for (index, poller) in pollers.enumerated() {
                group.addTask { (index, await poller.poll()) }
            }
            var outcomes = [PollOutcome?](repeating: nil, count: pollers.count)
            for await (index, outcome) in group { outcomes[index] = outcome }
            return outcomes.compactMap { $0 }
        }
    }

    /// Polls one source until the task is cancelled, each wait jittered by ±`spread`.
    package static func loop(_ poller: FeedPoller, spread: Double = 0.1, _ handle: @escaping @Sendable (PollOutcome) async -> Void) async {
        while !Task.isCancelled {
            let outcome = await poller.poll()
            // A poll the stop cut short is dropped (it took nothing). One that finished has taken
            // its cursor and seen ids even if the stop came just after: its mentions must reach
            // the pipeline, or a reload's poller, which starts from that cursor, skips them.
            if Task.isCancelled, outcome.error != nil { break }
            await handle(outcome)
            if Task.isCancelled { break }
            try? await Task.sleep(nanoseconds: UInt64(delay(after: outcome, spread: spread) * 1e9))
        }
    }

    /// Seconds to wait before the next poll: the outcome's interval ±`spread`, and never less
    /// than what the server asked for (the jitter then goes on top of that wait).
    static func delay(after outcome: PollOutcome, spread: Double) -> Double {
        var delay = outcome.nextPollAfter * Double.random(in: (1 - spread)...(1 + spread))
        if let floor = outcome.notBefore { delay = max(delay, floor * Double.random(in: 1...(1 + spread))) }
        return min(RateLimit.longestWait, max(0.05, delay.isNaN ? 0 : delay))
    }

    /// Polls until the task is cancelled.
    /// - Parameter handle: called with every outcome as soon as its poll finishes.
    package func run(_ handle: @escaping @Sendable (PollOutcome) async -> Void) async {
        await withTaskGroup(of: Void.self) { group in
            for poller in pollers {
                group.addTask { await Self.loop(poller, spread: spread, handle) }
            }
        }
    }
}
