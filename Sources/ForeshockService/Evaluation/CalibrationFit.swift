import ForeshockConfig
import ForeshockCore
import Foundation

/// Fits `Calibration`'s factors by age on cascades that ended small, the way the paper fits its
/// per-age correction, but for a decision: at each age, the largest factor under which none of
/// those posts would have been predicted to reach `target`, times a safety margin. Posts that do
/// go far are then whatever clears that bar; `foreshock eval` measures how early.
package struct CalibrationFit: Sendable {
    /// One moment of one cascade as the rules would see it: its age, the reshares seen, and the
    /// growth still to come from the author's audience and from the resharers' before any factor.
    package struct Moment: Sendable {
        package var age: Double
        package var reshares: Double
        package var author: Double
        package var resharers: Double
    }

    package var model: SeismicConfig
    /// Supplies `maxBranching` and `resharerFollowersCap`; its tables are what is fitted.
    package var base: Calibration
    package var target = 1000.0
    /// The default rule's `min_reshares`: smaller posts are never paged for, so never fitted on.
    package var minReshares = 5
    /// The ages the tables hold points at.
    package var ages: [Double]

    package init(model: SeismicConfig, base: Calibration, ages: [Double]) {
        self.model = model
        self.base = base
        self.ages = ages
    }

    /// The moments of a cascade seen with every resharer known: one after each reshare.
    package func eventMoments(_ cascade: CascadeEvaluation.Cascade, upTo limit: Int) -> [Moment] {
        let kernel = SeismicKernel(model)
        let followers = cascade.followers?.map { $0 ?? model.nStar } ?? Array(repeating: model.nStar, count: cascade.times.count + 1)
        var history = ShareHistory(originalFollowers: followers[0])
        history.followersCap = base.resharerFollowersCap
        var moments: [Moment] = []
        for (index, time) in cascade.times.prefix(limit).enumerated() {
            history.add(at: time, followers: followers[index + 1])
            if history.count % 64 == 0 { history.compact(now: time, maxWindow: model.maxWindow * 1.1 + 60) }
            guard history.count >= minReshares else { continue }
            if let moment = moment(history, at: time, kernel: kernel) { moments.append(moment) }
        }
        return moments
    }

    /// The moments of a cascade seen as counters every `interval` seconds (the reshares between
    /// two polls spread evenly over it, each resharer with `typical` followers, the author with
    /// the data's followers or `typical`): one per poll, every poll for six hours, then every
    /// ten minutes to three days.
    package func countMoments(_ cascade: CascadeEvaluation.Cascade, interval: Double, typical: Double, upTo limit: Int) -> [Moment] {
        let kernel = SeismicKernel(model)
        var history = ShareHistory(originalFollowers: (cascade.followers?.first ?? nil) ?? typical)
        history.followersCap = base.resharerFollowersCap
        var moments: [Moment] = []
        var index = 0, poll = interval, last = 0.0
        let end = min((cascade.times.last ?? 0) + interval, 3 * 86400)
        while poll <= end {
            var seen = index
            while seen < cascade.times.count, cascade.times[seen] <= poll { seen += 1 }
            guard seen < limit else { break }
            history.spread(seen - index, from: last, to: poll, followers: typical)
            if seen > index { history.compact(now: poll, maxWindow: model.maxWindow * 1.1 + 60) }
            index = seen
            last = poll
            if history.count >= minReshares, poll <= 6 * 3600 || Int(poll) % 600 == 0,
               let moment = moment(history, at: poll, kernel: kernel) {
                moments.append(moment)
            }
            poll += interval
        }
        return moments
    }

    private func moment(_ history: ShareHistory, at t: Double, kernel: SeismicKernel) -> Moment? {
        let estimate = history.estimate(at: t, model: model, kernel: kernel)
        guard let growth = base.growth(estimate, nStar: model.nStar) else { return nil }
        return Moment(age: t, reshares: Double(estimate.reshares), author: growth.author, resharers: growth.resharers)
    }

    /// The factor table: at each of `ages`, `margin` times the smallest factor that would have
    /// made one of `moments` reach `target`, never rising with age (an older post that has not
    /// spread yet is no more promising than a younger one).
    /// - Parameters:
    ///   - moments: moments of posts that ended small.
    ///   - part: the growth the fitted factor multiplies.
    ///   - fixed: the growth already counted with factors fitted before (none by default).
    package func fit(_ moments: [Moment], margin: Double, part: (Moment) -> Double, fixed: (Moment) -> Double = { _ in 0 }) -> [Calibration.AgeFactor] {
        var smallest = Array(repeating: Double.infinity, count: ages.count)
        let logAges = ages.map { log($0) }
        for m in moments where m.reshares < target {
            let growth = part(m)
            guard growth > 0 else { continue }
            let needed = (target - m.reshares - fixed(m)) / growth
            guard needed > 0 else { continue }
            let x = log(max(m.age, 1))
            let nearest = logAges.indices.min { abs(logAges[$0] - x) < abs(logAges[$1] - x) }!
            smallest[nearest] = min(smallest[nearest], needed)
        }
        var table: [Calibration.AgeFactor] = []
        var running = Double.infinity
        for (age, value) in zip(ages, smallest) where value.isFinite {
            running = min(running, value)
            table.append(.init(age, running * margin))
        }
        return table
    }

    /// The sustained spread's `horizon`: the largest number of minutes under which at most
    /// `allowed` of `cascades` (real ordinary posts, every resharer seen, judged after each
    /// reshare as the watch process judges them) would have been predicted to reach `target`.
    /// - Returns: the horizon, a hair under the post that would page next; `base`'s when no
    ///   post ever spread evenly enough to be read.
    package func fitHorizon(_ cascades: [CascadeEvaluation.Cascade], allowed: Double, upTo limit: Int) -> Double {
        let spread = base.sustained
        let needs = cascades.map { cascade -> Double in
            let followers = cascade.followers ?? []
            guard let author = followers.first ?? nil else { return .infinity }
            var history = ShareHistory(originalFollowers: author)
            var least = Double.infinity
            for (index, time) in cascade.times.prefix(limit).enumerated() {
                history.add(at: time, followers: (index + 1 < followers.count ? followers[index + 1] : nil) ?? model.nStar)
                guard let reading = spread.reading(history, at: time, authorFollowers: author), reading.sustained, reading.perMinute > 0 else { continue }
                least = min(least, (target - Double(history.count)) * reading.audience / reading.perMinute)
            }
            return least
        }.sorted()
        let index = Int(allowed * Double(needs.count))
        guard index < needs.count, needs[index].isFinite else { return spread.horizon }
        return needs[index] * 0.999
    }
}
