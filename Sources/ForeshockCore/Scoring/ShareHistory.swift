import ForeshockConfig
import ForeshockSupport
import Foundation

/// The reshares of one post, as SEISMIC needs them: each recent one exactly (time after the
/// post, resharer's followers), older ones in time bins that stay narrow relative to their age,
/// so memory stays bounded for a post with tens of thousands of reshares while the estimate
/// still matches the exact one.
package struct ShareHistory: Sendable {
    /// Followers of the post's author (the original counts as a share at time 0).
    package var originalFollowers: Double
    /// Exact reshares, in time order: seconds after the post, and followers. One array of
    /// pairs, not two: one allocation per post, one cache miss per reshare.
    private(set) var shares: [Share] = []
    /// Older reshares grouped, in time order: each bin ends before the next begins, and all
    /// before the first exact reshare (`reshares(atOrBefore:)` counts on it).
    private(set) var bins: [Bin] = []
    /// Reshares ever added.
    package private(set) var count = 0
    /// The most followers one resharer counts for in `SeismicEstimate.cappedRemainingExposure`.
    package var followersCap = Double.infinity
    /// Σ min(followers, `followersCap`) over every reshare added: what the capped remaining
    /// exposure would be if nobody's audience had been reached yet, its ceiling.
    package private(set) var cappedFollowers = 0.0
    /// Seconds after the post when spreading began: the first reshare, or in counts mode the
    /// poll before the first counter that showed any (reshares are spread from there). ∞ before.
    package private(set) var start = Double.infinity
    /// The span the latest counter's reshares were spread over (0 with every reshare seen):
    /// timing finer than this is the even spread's, not the post's.
    package private(set) var resolution = 0.0
    /// The longest span one counter's reshares were spread over in the last hour, and when it
    /// ended (seconds after the post): a first poll an hour after the post spreads its reshares
    /// over that hour, and a window reaching into it must not read them as even. Float: a
    /// second's precision is plenty, and every post carries them.
    package private(set) var coarsest: Float = 0
    package private(set) var coarsestEnd: Float = -.infinity
    static let coarsestMemory: Float = 3600

    struct Share: Sendable {
        var time: Double
        var followers: Double
    }

    struct Bin: Sendable {
        var start: Double
        var end: Double
        var count: Int
        var followers: Double
        /// Σ min(followers, cap), for the capped remaining exposure.
        var cappedFollowers: Double
        /// Σ followers·time (or Σ time when no followers), for the bin's weighted mean time.
        var weightedTime: Double
        var weight: Double

        var time: Double { weight > 0 ? weightedTime / weight : (start + end) / 2 }
    }

    /// The most reshares one counter spreads one by one (`spread`): 160 KB, more than any real
    /// post gains between two polls, and a hostile answer of 2,000 posts at 2,000,000,000 each
    /// costs 320 MB, not 3 GB.
    static let maxSpread = 10_000
    /// Exact reshares always kept, whatever their age: the window may widen back to them.
    static let keepExact = 16
    /// A bin may span at most this fraction of its age.
    static let binSpan = 0.01

    package init(originalFollowers: Double) {
        self.originalFollowers = originalFollowers
    }

    /// Records a reshare.
    /// - Parameters:
    ///   - time: seconds after the post (negative times are taken as 0).
    ///   - followers: the resharer's followers.
    package mutating func add(at time: Double, followers n: Double) {
        let time = max(0, time)
        count += 1
        start = min(start, time)
        cappedFollowers += min(n, followersCap)
        if let last = shares.last?.time, time < last {
            if let firstExact = shares.first?.time, time < firstExact, !bins.isEmpty {
                let index = bins.lastIndex { $0.start <= time } ?? 0
                bins[index].absorb(time, n, cap: followersCap)
                return
            }
            let index = shares.firstIndex { $0.time > time } ?? shares.count
            shares.insert(Share(time: time, followers: n), at: index)
            return
        }
        // Most posts get a reshare or two: room for four at the first saves the regrowth.
        if shares.isEmpty { shares.reserveCapacity(4) }
        shares.append(Share(time: time, followers: n))
    }

    /// Records `count` reshares known only from a counter, spread evenly over (`from`, `to`]:
    /// what counts mode assumes between two polls.
    /// - Parameters:
    ///   - from: seconds after the post of the previous poll.
    ///   - to: seconds after the post of this poll (the last reshare lands on it).
    ///   - followers: each resharer's assumed followers.
    package mutating func spread(_ count: Int, from: Double, to: Double, followers n: Double) {
        guard count > 0 else { return }
        // Past `maxSpread`, the rest are counted without a time, which `reshares(atOrBefore:)`
        // takes as early: an API's counter of 2,000,000,000 (or a first look at a post with
        // millions) must not become a record per reshare, 32 GB, in a watch and each restart.
        let exact = min(count, Self.maxSpread)
        if count > exact {
            self.count += count - exact
            cappedFollowers += Double(count - exact) * min(n, followersCap)
        }
        start = min(start, max(0, from))
        resolution = to - from
        if Float(resolution) >= coarsest || Float(to) - coarsestEnd > Self.coarsestMemory {
            coarsest = Float(resolution)
            coarsestEnd = Float(to)
        }
        for index in 1...exact { add(at: from + (to - from) * Double(index) / Double(exact), followers: n) }
    }

    /// Moves exact reshares older than `maxWindow` before `now` into bins, and merges bins
    /// that have aged enough to be merged without losing accuracy.
    package mutating func compact(now: Double, maxWindow: Double) {
        let cutoff = now - maxWindow
        var moved = 0
        while moved < shares.count - Self.keepExact, shares[moved].time < cutoff { moved += 1 }
        guard moved > 0 || bins.count > 1 else { return }
        for index in 0..<moved {
            let time = shares[index].time, n = shares[index].followers
            if var last = bins.last, time - last.start <= Self.binSpan * max(0, now - time) {
                last.absorb(time, n, cap: followersCap)
                bins[bins.count - 1] = last
            } else {
                bins.append(Bin(start: time, end: time, count: 0, followers: 0, cappedFollowers: 0, weightedTime: 0, weight: 0))
                bins[bins.count - 1].absorb(time, n, cap: followersCap)
            }
        }
        shares.removeFirst(moved)
        // Merge neighbours whose joint span is small next to their age.
        var merged: [Bin] = []
        merged.reserveCapacity(bins.count)
        for bin in bins {
            if var last = merged.last, bin.end - last.start <= Self.binSpan * max(0, now - bin.end) {
                last.merge(bin)
                merged[merged.count - 1] = last
            } else {
                merged.append(bin)
            }
        }
        bins = merged
    }

    /// The newest exact reshare's time, NaN when there is none: the end of the history, where
    /// a reshare is appended and the scorer's questions about the last minutes start.
    var newestTime: Double { shares.last?.time ?? .nan }

    /// The newest exact reshare's time at or before `t`; nil when every exact one came after
    /// it (or there is none).
    package func newestTime(atOrBefore t: Double) -> Double? {
        if let last = shares.last?.time, last <= t { return last }
        let index = upperBound(t)
        return index > 0 ? shares[index - 1].time : nil
    }

    /// Reshares at or before `t`.
    package func reshares(atOrBefore t: Double) -> Int {
        guard !t.isNaN else { return 0 }
        // Usually asked about now, when every share is at or before it.
        if (shares.last?.time ?? -.infinity) <= t, (bins.last?.end ?? -.infinity) <= t { return count }
        // Bins hold what is not exact, in time order (their ends rise), and a question about the
        // last few minutes of an old post falls among the newest: counted back from the end,
        // which stops at the first bin that is over by t instead of visiting them all.
        var binned = count - shares.count
        var index = bins.count - 1
        while index >= 0, bins[index].end > t {
            binned -= bins[index].count
            index -= 1
        }
        return binned + upperBound(t)
    }

    /// Index of the first exact time > t.
    ///
    /// Searched from the end, in steps that double: the questions asked while a post is scored
    /// are about its last minutes (the sustained spread's window and its parts), a few shares
    /// from the end of thousands, and this touches only those.
    private func upperBound(_ t: Double) -> Int {
        var low = 0, high = shares.count, step = 1
        while high - step > 0 {
            if shares[high - step].time <= t {
                low = high - step + 1
                break
            }
            high -= step
            step *= 2
        }
        while low < high {
            let mid = (low + high) / 2
            if shares[mid].time <= t { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// Index of the first exact time ≥ t.
    private func lowerBound(_ t: Double) -> Int {
        var low = 0, high = shares.count
        while low < high {
            let mid = (low + high) / 2
            if shares[mid].time < t { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// SEISMIC's estimate at `t` seconds after the post.
    /// - Parameter interval: whether to compute p̂'s 90% interval (two χ² quantiles: most of the
    ///   cost for a small post, and the rules do not read it).
    package func estimate(at t: Double, model: SeismicConfig, kernel: SeismicKernel, interval: Bool = true) -> SeismicEstimate {
        let before = lowerBound(t) // exact reshares strictly before t: shares[0..<before]
        var window = min(max(t / 2, model.minWindow), model.maxWindow)
        var first = lowerBound(t - window)
        if before - first < model.minSharesInWindow {
            // Widen back to the (min+1)-th most recent share before t, the original included.
            let needed = model.minSharesInWindow + 1
            let binnedBefore = count - shares.count
            if before + binnedBefore + 1 > needed, before >= needed {
                first = before - needed
                window = t - shares[first].time
            } else if before + binnedBefore + 1 > needed, let bin = bins.last {
                window = t - bin.time
                first = 0
            } else {
                window = t
                first = 0
            }
        }
        guard window > 0 else { return SeismicEstimate(reshares: reshares(atOrBefore: t)) }
        var weights = 0.0
        for index in first..<before { weights += 1 - (t - shares[index].time) / window }
        let inWindow = before - first
        let original = kernel.exposure(age: t, window: window)
        var exposure = originalFollowers * original.window
        var remaining = originalFollowers * (1 - original.integral)
        var capped = remaining
        let cap = followersCap
        // Exposure counts shares strictly before t; the expected future reshares count those at t too.
        for index in 0..<before {
            let n = shares[index].followers
            let share = kernel.exposure(age: t - shares[index].time, window: window)
            exposure += n * share.window
            remaining += n * (1 - share.integral)
            capped += min(n, cap) * (1 - share.integral)
        }
        for index in before..<upperBound(t) {
            let left = 1 - kernel.integral(t - shares[index].time)
            remaining += shares[index].followers * left
            capped += min(shares[index].followers, cap) * left
        }
        for bin in bins where bin.end < t {
            let share = kernel.exposure(age: t - bin.time, window: window)
            exposure += bin.followers * share.window
            remaining += bin.followers * (1 - share.integral)
            capped += bin.cappedFollowers * (1 - share.integral)
        }
        let observed = reshares(atOrBefore: t)
        guard exposure > 0 else { return SeismicEstimate(reshares: observed) }
        let p = weights / exposure
        var estimate = SeismicEstimate(reshares: observed)
        estimate.infectiousness = p
        estimate.remainingExposure = remaining
        estimate.cappedRemainingExposure = capped
        estimate.authorRemainingExposure = originalFollowers * (1 - original.integral)
        if interval, inWindow > 0 {
            let dof = 2 * Double(inWindow)
            estimate.low = p * ChiSquare.quantile(0.05, degrees: dof) / dof
            estimate.high = p * ChiSquare.quantile(0.95, degrees: dof) / dof
        }
        if p * model.nStar >= 1 {
            estimate.supercritical = true
        } else {
            estimate.predicted = Double(observed) + p * remaining / (1 - p * model.nStar)
        }
        return estimate
    }

    /// Bytes this history holds, for the benchmark.
    package var approximateBytes: Int {
        shares.capacity * MemoryLayout<Share>.stride + bins.capacity * MemoryLayout<Bin>.stride + 64
    }
}

extension ShareHistory.Bin {
    mutating func absorb(_ time: Double, _ n: Double, cap: Double) {
        start = min(start, time)
        end = max(end, time)
        count += 1
        followers += n
        cappedFollowers += min(n, cap)
        // Weighted by followers, as the exposure sums are; by count when followers are unknown.
        let w = n > 0 ? n : 1e-9
        weightedTime += w * time
        weight += w
    }

    mutating func merge(_ other: ShareHistory.Bin) {
        start = min(start, other.start)
        end = max(end, other.end)
        count += other.count
        followers += other.followers
        cappedFollowers += other.cappedFollowers
        weightedTime += other.weightedTime
        weight += other.weight
    }
}

/// What SEISMIC says about one post at one time.
package struct SeismicEstimate: Sendable, Equatable {
    /// Reshares at or before the time.
    package var reshares: Int
    /// p̂; nil when there is nothing to estimate from.
    // NaN for none (`NaNForNone`): every post's features carry an estimate.
    @NaNForNone package var infectiousness: Double? = nil
    @NaNForNone package var low: Double? = nil
    @NaNForNone package var high: Double? = nil
    /// The expected final reshares at infectiousness `p`; nil when supercritical.
    package func prediction(at p: Double, nStar: Double) -> Double? {
        p * nStar >= 1 ? nil : Double(reshares) + p * remainingExposure / (1 - p * nStar)
    }

    /// The predictions at the ends of p̂'s 90% interval (an end nil when supercritical there);
    /// nil when the interval was not computed.
    package func band(nStar: Double) -> (low: Double?, high: Double?)? {
        guard let low, let high else { return nil }
        return (prediction(at: low, nStar: nStar), prediction(at: high, nStar: nStar))
    }

    /// The expected final reshares; nil when supercritical or unknown.
    @NaNForNone package var predicted: Double? = nil
    package var supercritical = false
    /// Σ nᵢ·(1 − Φ(t − tᵢ)): the audience still to be reached, for predictions at another p̂.
    package var remainingExposure = 0.0
    /// The same with each resharer counted at most `ShareHistory.followersCap` (the author in full).
    package var cappedRemainingExposure = 0.0
    /// The author's part of it.
    package var authorRemainingExposure = 0.0

    package init(reshares: Int) {
        self.reshares = reshares
    }
}
