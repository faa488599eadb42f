import ForeshockConfig
import ForeshockCore
import ForeshockSupport
import Foundation
import Synchronization

/// What the web server answers from: the watch's state as of its last look (every couple of
/// seconds), and the curve of each post it follows. The server's threads only read it, under a
/// lock held for a copy; they never wait on the scoring core or the pollers.
///
/// A post is followed while it is firing or among the hottest, for a day after, and for a
/// while after someone asked for it (`GET /posts/…` of a post not followed yet).
package final class WebState: Sendable {
    /// One look at the watch.
    package struct Snapshot: Sendable {
        package var takenAt: Date
        package var status: WatchStatus
        /// `status` as JSON, encoded once per look.
        package var statusJSON: Data
        /// The metrics, in Prometheus' text format.
        package var metrics: String
        /// Whether every source has been polled once (or failed, visibly), and which one is down.
        package var unpolled: [String]
        package var down: [String]
    }

    /// A post followed: its numbers now and its curve.
    package struct Followed: Sendable {
        package var post: WatchStatus.Post
        package var createdAt: Double
        /// When it was last firing or among the hottest (or asked for), and whether it is now.
        var wanted: Double
        var hot = false
        var sampler = SeriesSampler()
        /// Whether its curve before it was followed has been drawn in (`backfill`).
        var backfilled = false

        package var points: [SeriesPoint] { sampler.points }
    }

    private struct State {
        var snapshot: Snapshot?
        var followed: [PostKey: Followed] = [:]
        var asked: [PostKey: Double] = [:]
    }

    private let state = Mutex(State())
    /// Followed this long after a post was last wanted.
    package let keep: Double
    /// At most this many posts followed, and asked for.
    package let capacity: Int

    package init(keep: Double = 86400, capacity: Int = 500) {
        self.keep = keep
        self.capacity = capacity
    }

    /// The last look, nil before the first.
    package var snapshot: Snapshot? { state.withLock { $0.snapshot } }

    /// A followed post, nil when it is not.
    package func followed(_ key: PostKey) -> Followed? { state.withLock { $0.followed[key] } }

    /// Starts following a post (someone opened its page): from the next look on, if it is tracked.
    /// Full, the ask made longest ago gives way: asks for posts nobody tracks (anyone may send
    /// them) must not keep a real one out until they lapse.
    package func ask(_ key: PostKey, now: Date = Date()) {
        state.withLock { state in
            if state.asked[key] == nil, state.asked.count >= capacity, let oldest = state.asked.min(by: { $0.value < $1.value })?.key {
                state.asked[oldest] = nil
            }
            state.asked[key] = now.timeIntervalSince1970
        }
    }

    /// The posts to look at beside the firing and hottest ones.
    package var wanted: [PostKey] { state.withLock { Array(Set($0.followed.keys).union($0.asked.keys)) } }

    /// Followed posts whose curve starts when they were first followed, not when they were
    /// posted: at most `limit`, with the times to draw it in at (`backfill`).
    package func unfilled(limit: Int) -> [(key: PostKey, times: [Double])] {
        state.withLock { state in
            state.followed.filter { !$0.value.backfilled }.prefix(limit).map { key, followed in
                (key, Self.historyTimes(createdAt: followed.createdAt, before: followed.points.first?.time ?? followed.createdAt))
            }
        }
    }

    /// When to read a post's past: from a minute after it was posted up to just before its
    /// first point, evenly on a log scale, as the sampler spaces a live curve (as much detail in
    /// its first minutes as in its last days).
    static func historyTimes(createdAt: Double, before: Double, count: Int = 48) -> [Double] {
        let span = before - createdAt
        guard span > 60 else { return [] }
        return (0..<count).map { createdAt + 60 * pow(span / 60, Double($0) / Double(count)) }
    }

    /// Draws in a followed post's curve before it was followed, from its features at the times
    /// `unfilled` gave (its count then is SEISMIC's), thinned as a live curve is.
    package func backfill(_ key: PostKey, with past: [PostFeatures], nStar: Double) {
        state.withLock { state in
            guard var followed = state.followed[key], !followed.backfilled else { return }
            let start = followed.points.first?.time ?? .infinity
            var sampler = SeriesSampler()
            for f in past.sorted(by: { $0.time < $1.time }) where f.time < start {
                guard sampler.due(reshares: f.seismic.reshares, at: f.time, createdAt: followed.createdAt) else { continue }
                var point = SeriesPoint(f, nStar: nStar)
                point.reshares = f.seismic.reshares
                sampler.add(point)
            }
            for point in followed.points { sampler.add(point) }
            followed.sampler = sampler
            followed.backfilled = true
            state.followed[key] = followed
        }
    }

    /// Takes a new look: the snapshot, and the features of the posts followed, firing or hottest
    /// now (`hot`), which extend their curves (a point when the reshares grew by a tenth or a
    /// 25th of the post's age passed, as a replay's report samples them).
    package func publish(_ snapshot: Snapshot, features: [PostFeatures], hot: Set<PostKey>, nStar: Double) {
        let now = snapshot.takenAt.timeIntervalSince1970
        state.withLock { state in
            state.snapshot = snapshot
            // Forget what nobody wants any more, and asks for posts that are not tracked.
            state.followed = state.followed.filter { now - $0.value.wanted < keep }
            state.asked = state.asked.filter { now - $0.value < 600 }
            for f in features {
                let isHot = hot.contains(f.key), wanted = isHot || state.asked[f.key] != nil
                if state.followed[f.key] == nil {
                    guard wanted else { continue }
                    // Full: a hot post takes the place of the one wanted longest ago that is not
                    // hot now; an asked one only of one that is neither hot nor asked.
                    if state.followed.count >= capacity {
                        let victims = state.followed.filter { !$0.value.hot && (isHot || state.asked[$0.key] == nil) }
                        guard let victim = victims.min(by: { $0.value.wanted < $1.value.wanted })?.key else { continue }
                        state.followed[victim] = nil
                    }
                    state.followed[f.key] = Followed(post: WatchStatus.Post(f), createdAt: f.time - f.age, wanted: now)
                }
                state.followed[f.key]!.post = WatchStatus.Post(f)
                state.followed[f.key]!.hot = isHot
                if wanted { state.followed[f.key]!.wanted = now }
                if state.followed[f.key]!.sampler.due(reshares: f.reshares, at: f.time, createdAt: f.time - f.age) {
                    state.followed[f.key]!.sampler.add(SeriesPoint(f, nStar: nStar))
                }
                state.asked[f.key] = nil
            }
        }
    }
}
