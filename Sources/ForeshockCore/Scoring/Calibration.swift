import Foundation

/// Turns SEISMIC's raw estimate into the prediction rules use.
///
/// The raw model explains every reshare by the followers of those who shared before. For most
/// posts that is wrong early on: a small account whose post gets ten reshares in a minute is
/// being found through search, a hashtag or another site, and SEISMIC calls it supercritical
/// (p̂·n* > 1) although it stops at a hundred. On the shared cascades, posts that end small have
/// a median p̂·n* of about 11 at their tenth reshare, the 50 TiDeH cascades that pass 2,000 about
/// 0.1. So the calibrated prediction:
/// - trusts p̂ only up to `maxBranching`/n*: a post cannot spread faster than a subcritical
///   cascade through the audience it has actually reached;
/// - counts each resharer's audience at most `resharerFollowersCap`: one celebrity resharing a
///   small post otherwise makes it look like a storm before anyone has reacted (the author's
///   audience counts in full: that is where a cascade starts);
/// - multiplies the growth this predicts by a factor by age, fitted on real cascades (the
///   paper's per-age correction): young posts that already spread are the ones that go far.
///
/// The result is on the scale of final reshares and ranks posts by how far they will go, tuned so
/// that `predicted_reshares_at_least: 1000` separates posts that pass 1,000 from those that stop
/// in the hundreds (see `foreshock eval`); it is a threshold's yardstick more than a forecast.
package struct Calibration: Sendable, Equatable {
    /// (age in seconds, factor on the predicted growth), interpolated in log-age, with every
    /// resharer known…
    package var ageFactors: [AgeFactor]
    /// …and in counts mode, for the resharers' part (each assumed to have the source's typical
    /// followers)…
    package var countsAgeFactors: [AgeFactor]
    /// …and the author's part (known, but p̂ comes from reshares spread evenly between polls).
    package var countsAuthorAgeFactors: [AgeFactor]
    /// The largest branching ratio (p̂·n*) believed.
    package var maxBranching: Double
    /// The most followers one resharer counts for in the audience still to be reached.
    package var resharerFollowersCap: Double
    /// The part that reads a fast, even spread, for the ordinary author SEISMIC cannot judge.
    package var sustained: SustainedSpread

    package struct AgeFactor: Sendable, Equatable {
        package var age: Double
        package var factor: Double
        /// log(age), for interpolating in log-age without a logarithm per point per lookup.
        let logAge: Double

        package init(_ age: Double, _ factor: Double) {
            self.age = age
            self.factor = factor
            logAge = log(age)
        }
    }

    /// Printed by `foreshock eval --fit` from the 797 shared Twitter15/16 cascades that end under
    /// 500 reshares: at each age, a margin times the smallest factor that would have paged for one
    /// of them (see `CalibrationFit`): 0.35 with every resharer known (followers drawn from real
    /// resharers), ⅔ for the author's part in counts mode (authors' followers drawn, fitted
    /// against the resharers' part at ⅞), then 1 for the resharers' part there (100 followers
    /// each): the most whose false alarms stay under 1% out of sample (`eval --holdout`). The sustained
    /// spread's horizon comes from the real ordinary posts (Liang's and SMH's, `fitHorizon`). `maxBranching` and `resharerFollowersCap`
    /// were chosen by hand on the same data: at their tenth reshare the TiDeH cascades (all past
    /// 2,000) have a median p̂·n* of 0.11 and an upper quartile of 0.23, and 3,000 followers is
    /// about the 97th percentile of their resharers.
    package static let standard = Calibration(
        ageFactors: [.init(15, 9.29), .init(45, 3.92), .init(90, 2.34), .init(200, 1.61), .init(450, 1.18), .init(1200, 1.04), .init(2700, 1.04), .init(7200, 1.04), .init(40000, 0.53)],
        countsAgeFactors: [.init(60, 69.17), .init(120, 31.13), .init(300, 20.01), .init(600, 17.21), .init(1800, 15.19), .init(3600, 15.19), .init(7200, 15.19), .init(86400, 8.33)],
        countsAuthorAgeFactors: [.init(60, 28.24), .init(120, 28.24), .init(300, 28.24), .init(600, 8.43), .init(1800, 7.96), .init(3600, 7.96), .init(7200, 7.96), .init(86400, 7.96)],
        maxBranching: 0.15, resharerFollowersCap: 3000, sustained: SustainedSpread(horizon: 296.65))

    package init(ageFactors: [AgeFactor], countsAgeFactors: [AgeFactor]? = nil, countsAuthorAgeFactors: [AgeFactor]? = nil,
                maxBranching: Double, resharerFollowersCap: Double, sustained: SustainedSpread = SustainedSpread(horizon: 0)) {
        self.ageFactors = ageFactors
        self.countsAgeFactors = countsAgeFactors ?? ageFactors
        self.countsAuthorAgeFactors = countsAuthorAgeFactors ?? ageFactors
        self.maxBranching = maxBranching
        self.resharerFollowersCap = resharerFollowersCap
        self.sustained = sustained
    }

    /// The factor at `age`: for the resharers' part in counts mode with `counts`, for the
    /// author's part there with `countsAuthor`, else with every resharer known.
    package func factor(age: Double, counts: Bool = false, countsAuthor: Bool = false) -> Double {
        let table = countsAuthor ? countsAuthorAgeFactors : counts ? countsAgeFactors : ageFactors
        guard let first = table.first, let last = table.last else { return 1 }
        if age <= first.age { return first.factor }
        if age >= last.age { return last.factor }
        let logAge = log(age)
        for index in 1..<table.count where age <= table[index].age {
            let a = table[index - 1], b = table[index]
            let x = (logAge - a.logAge) / (b.logAge - a.logAge)
            return a.factor + x * (b.factor - a.factor)
        }
        return last.factor
    }

    /// - Parameters:
    ///   - estimate: SEISMIC's raw estimate, with its capped remaining exposure.
    ///   - age: seconds since the post.
    ///   - nStar: SEISMIC's n*.
    ///   - counts: whether the post is in counts mode.
    /// - Returns: the calibrated prediction, never supercritical: at least the reshares seen,
    ///   and just those when SEISMIC has nothing to estimate from (no audience at all).
    package func apply(_ estimate: SeismicEstimate, age: Double, nStar: Double, counts: Bool = false) -> (predicted: Double?, supercritical: Bool) {
        guard let growth = growth(estimate, nStar: nStar) else { return (Double(estimate.reshares), false) }
        // In counts mode the resharers' followers are assumed, the author's known: each part
        // gets the factor fitted for what it stands on.
        let predicted = Double(estimate.reshares) + factor(age: age, countsAuthor: counts) * growth.author + factor(age: age, counts: counts) * growth.resharers
        return (predicted, false)
    }

    /// The most `apply` can return for a post, whatever SEISMIC's sums come to: p̂ believed at
    /// its cap and nobody's audience reached yet. Far cheaper than the estimate, so a post
    /// whose ceiling is under every rule's threshold is passed over without computing it.
    /// - Parameters:
    ///   - reshares: reshares seen so far.
    ///   - authorFollowers: the author's followers (as SEISMIC counts the original).
    ///   - cappedResharerFollowers: Σ min(followers, `resharerFollowersCap`) over the resharers.
    package func ceiling(reshares: Int, authorFollowers: Double, cappedResharerFollowers: Double, age: Double, nStar: Double, counts: Bool) -> Double {
        ceiling(reshares: reshares, author: authorFollowers, resharers: cappedResharerFollowers, age: age, nStar: nStar, counts: counts)
    }

    /// The most `apply` can return with p̂ at its cap and at most `author` and `resharers` of
    /// the capped audience still to reach.
    func ceiling(reshares: Int, author: Double, resharers: Double, age: Double, nStar: Double, counts: Bool) -> Double {
        guard maxBranching < 1, nStar > 0 else { return .infinity }
        let perFollower = maxBranching / nStar / (1 - maxBranching)
        let growth = factor(age: age, countsAuthor: counts) * author + factor(age: age, counts: counts) * resharers
        // A hair over, so that rounding in the estimate's sums can never land above it.
        return (Double(reshares) + perFollower * growth) * (1 + 1e-9) + 1e-6
    }

    /// The reshares still to come before any factor, from the author's audience and from the
    /// resharers': p̂ (at most `maxBranching`/n*) times what is left of each, over 1 − p̂·n*.
    /// - Returns: nil when SEISMIC had nothing to estimate from.
    package func growth(_ estimate: SeismicEstimate, nStar: Double) -> (author: Double, resharers: Double)? {
        guard let p = estimate.infectiousness else { return nil }
        let believed = min(p, maxBranching / nStar)
        let perFollower = believed / (1 - believed * nStar)
        let author = estimate.authorRemainingExposure
        return (perFollower * author, perFollower * max(0, estimate.cappedRemainingExposure - author))
    }
}
