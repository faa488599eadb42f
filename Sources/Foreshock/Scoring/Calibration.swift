import Foundation

/// Turns SEISMIC's raw estimate into the prediction rules use. The raw model is far off early
/// (few reshares, a short window): it under-predicts young cascades and calls bursts
/// supercritical. Three corrections, in the spirit of the paper's α/γ adjustment:
/// - predict at the lower bound of p̂'s interval, and call a post supercritical only when even
///   that bound is and `minSupercriticalReshares` are in (by default never: early bursts are
///   supercritical for posts that stop at a hundred);
/// - a factor by age on the predicted growth, fitted on real cascades, interpolated in log-age;
/// - shrinkage towards the reshares already seen while there are few of them.
public struct Calibration: Sendable, Equatable {
    /// (age in seconds, factor on the predicted growth beyond the reshares seen), with every
    /// resharer known…
    public var ageFactors: [(Double, Double)]
    /// …and in counts mode.
    public var countsAgeFactors: [(Double, Double)]
    /// Reshares at which the prediction is trusted halfway.
    public var shrinkage: Double
    /// Fewer reshares than this are never called supercritical.
    public var minSupercriticalReshares = Double.infinity

    public static func == (a: Calibration, b: Calibration) -> Bool {
        a.shrinkage == b.shrinkage && a.ageFactors.elementsEqual(b.ageFactors) { $0 == $1 }
            && a.countsAgeFactors.elementsEqual(b.countsAgeFactors) { $0 == $1 }
    }

    /// Fitted by `foreshock eval --fit` on the 50 TiDeH and 1,054 Twitter15/16 cascades: the 10th
    /// percentile, by age, of (final − seen) / (predicted − seen). The prediction is then a size the
    /// post exceeds nine times in ten, which is what a page should wait for.
    public static let standard = Calibration(
        ageFactors: [(300, 0.043), (600, 0.487), (1200, 0.617), (1800, 0.620), (3600, 0.548), (7200, 0.426), (21600, 0.325), (86400, 0.1)],
        countsAgeFactors: [(300, 0.365), (600, 0.128), (1200, 0.090), (1800, 0.098), (3600, 0.115), (7200, 0.113), (21600, 0.151), (86400, 0.05)],
        shrinkage: 10
    )

    public init(ageFactors: [(Double, Double)], countsAgeFactors: [(Double, Double)]? = nil, shrinkage: Double) {
        self.ageFactors = ageFactors
        self.countsAgeFactors = countsAgeFactors ?? ageFactors
        self.shrinkage = shrinkage
    }

    func factor(age: Double, counts: Bool = false) -> Double {
        let ageFactors = counts ? countsAgeFactors : self.ageFactors
        guard let first = ageFactors.first, let last = ageFactors.last else { return 1 }
        if age <= first.0 { return first.1 }
        if age >= last.0 { return last.1 }
        for (a, b) in zip(ageFactors, ageFactors.dropFirst()) where age <= b.0 {
            let x = (log(age) - log(a.0)) / (log(b.0) - log(a.0))
            return a.1 + x * (b.1 - a.1)
        }
        return last.1
    }

    /// - Returns: the calibrated prediction (nil when supercritical or unknown) and whether it is supercritical.
    public func apply(_ estimate: SeismicEstimate, age: Double, nStar: Double, counts: Bool = false) -> (predicted: Double?, supercritical: Bool) {
        guard estimate.infectiousness != nil, let low = estimate.low else { return (nil, false) }
        let seen = Double(estimate.reshares)
        // The interval's lower bound: wide (so cautious) while few reshares are in the window,
        // converging on p̂ as they accumulate. Supercritical only when even it is, with enough seen.
        if low * nStar >= 1 {
            return seen >= minSupercriticalReshares ? (nil, true) : (seen, false)
        }
        guard let raw = estimate.prediction(at: low, nStar: nStar) else { return (nil, false) }
        let trust = seen / (seen + shrinkage)
        return (seen + max(0, raw - seen) * factor(age: age, counts: counts) * trust, false)
    }
}
