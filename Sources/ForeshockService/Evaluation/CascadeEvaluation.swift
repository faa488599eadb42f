import ForeshockConfig
import ForeshockCore
import ForeshockSupport
import Foundation

/// Plays real cascades through the scoring core the way the watch process would see them, and
/// measures how early and how rarely wrongly the critical rules fire. `foreshock eval` prints it;
/// the README quotes it.
package struct CascadeEvaluation: Sendable {
    package struct Cascade: Sendable {
        package var name: String
        /// Seconds after the post of each reshare, ascending.
        package var times: [Double]
        /// The author's followers, then each resharer's: nil where the data has none at all, an
        /// element nil where it lacks that one account's (about 1 in 4 in a random sample).
        package var followers: [Double?]?
    }

    /// How a poller sees a cascade: every reshare with its resharer, or only a counter every `interval`.
    package enum View: String, Sendable { case events, counts }

    package struct Result: Sendable {
        package var cascade: String
        package var size: Int
        /// When the first critical alert started, and the reshares then.
        package var alertAt: Double?
        package var resharesAtAlert: Int?
        /// When the cascade reached the target size (nil if never).
        package var reachedAt: Double?
        /// Counts view: the first poll that showed any reshare.
        package var firstSpreadingPoll: Double?
    }

    package let config: Config
    package var target = 1000
    package var pollInterval = 60.0
    /// The factors judged: the shipped ones unless a held-out fit is being measured.
    package var calibration = Calibration.standard

    package init(config: Config) {
        self.config = config
    }

    /// One cascade, alone in a fresh core.
    package func run(_ cascade: Cascade, view: View) -> Result {
        let engine = ScoringEngine(config: config, shards: 1, calibration: calibration)
        let start = 1_600_000_000.0
        var result = Result(cascade: cascade.name, size: cascade.times.count)
        if cascade.times.count >= target { result.reachedAt = cascade.times[target - 1] }
        var batch: [Observation] = []
        // Evaluated after each observation, as the watch process does, until the first critical alert.
        for observation in observations(cascade, view: view, start: start) {
            if case .counts(_, let time, let reshares?, _, _, _) = observation, reshares > 0, result.firstSpreadingPoll == nil {
                result.firstSpreadingPoll = time - start
            }
            batch.append(observation)
            let notes = engine.ingest(batch)
            batch.removeAll(keepingCapacity: true)
            if let note = notes.first(where: { $0.severity == .critical && $0.reason != .resolved && !$0.isVolume }) {
                result.alertAt = note.time - start
                result.resharesAtAlert = note.reshares
                break
            }
        }
        return result
    }

    /// A cascade as a recording's observations, in the order `run` feeds them to the core: the
    /// post at `start`, then every reshare with its resharer, or a counter every `pollInterval`
    /// up to a poll past the last reshare, none later than `horizon` seconds after the post.
    /// Lazy and read once: a counter a minute over a cascade that ran for years is millions of them.
    package func observations(_ cascade: Cascade, view: View, start: Double, horizon: Double = .infinity) -> AnySequence<Observation> {
        let key = PostKey(source: "eval", id: cascade.name)
        let post = Observation.post(key: key, time: start, createdAt: start, author: cascade.name, followers: cascade.followers?.first ?? nil,
                                    text: nil, url: nil)
        var first = true, index = 0
        switch view {
        case .events:
            return AnySequence(AnyIterator {
                if first { first = false; return post }
                guard index < cascade.times.count, cascade.times[index] <= horizon else { return nil }
                defer { index += 1 }
                return .reshare(key: key, time: start + cascade.times[index], user: nil, followers: cascade.followers.flatMap { $0[index + 1] })
            })
        case .counts:
            let end = min(horizon, (cascade.times.last ?? 0) + pollInterval), interval = pollInterval
            var poll = interval
            return AnySequence(AnyIterator {
                if first { first = false; return post }
                guard poll <= end else { return nil }
                while index < cascade.times.count, cascade.times[index] <= poll { index += 1 }
                defer { poll += interval }
                return .counts(key: key, time: start + poll, reshares: index, replies: nil, likes: nil, quotes: nil)
            })
        }
    }

    /// Every resharer's follower count the cascades know: the pool `withFollowers` draws from.
    package static func resharerFollowers(of cascades: [Cascade]) -> [Double] {
        cascades.flatMap { $0.followers?.dropFirst().compactMap { $0 } ?? [] }
    }

    /// A cascade's resharers given follower counts drawn (deterministically) from another's.
    package static func withFollowers(_ cascade: Cascade, from pool: [Double], seed: Int) -> Cascade {
        var copy = cascade
        var state = UInt64(truncatingIfNeeded: seed) &* 0x9E3779B97F4A7C15 | 1
        func next() -> Double {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return pool[Int(state % UInt64(pool.count))]
        }
        copy.followers = (0...cascade.times.count).map { _ in Optional(next()) }
        return copy
    }

    /// Medians and rates over results, as one line of text.
    package static func describe(_ results: [Result], label: String) -> String {
        /// The value at `position(count)` in sorted order.
        func ranked(_ values: [Double], _ position: (Int) -> Int) -> String {
            guard !values.isEmpty else { return "-" }
            return String(format: "%.0f", values.sorted()[position(values.count)])
        }
        func median(_ values: [Double]) -> String { Backtest.median(values).map { String(format: "%.0f", $0) } ?? "-" }
        // The upper quartile too: a median can hide a tail of alerts that came late.
        func upperQuartile(_ values: [Double]) -> String { ranked(values) { Int((Double($0) * 0.75).rounded(.up)) - 1 } }
        let big = results.filter { $0.reachedAt != nil }
        let caught = big.filter { r in r.alertAt.map { $0 <= r.reachedAt! } ?? false }
        let leads = caught.map { ($0.reachedAt! - $0.alertAt!) / 60 }
        let atAlert = caught.compactMap { $0.resharesAtAlert.map(Double.init) }
        let alerted = results.filter { $0.alertAt != nil }
        let onFirstPoll = caught.filter { $0.firstSpreadingPoll != nil && $0.alertAt == $0.firstSpreadingPoll }.count
        return "\(label): \(results.count) cascades; reach \(1000): \(big.count), caught before: \(caught.count)"
            + " (median lead \(median(leads)) min, median reshares at alert \(median(atAlert)), 3 in 4 by \(upperQuartile(atAlert))"
            + (caught.contains { $0.firstSpreadingPoll != nil } ? ", \(onFirstPoll) on the first poll showing reshares" : "") + ");"
            + " alerted in all: \(alerted.count)"
    }
}
