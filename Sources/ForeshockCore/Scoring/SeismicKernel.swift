import ForeshockConfig
import Foundation

/// SEISMIC's memory kernel (Zhao et al., KDD 2015): φ(s) = c for 0 ≤ s < s0 and
/// c·(s/s0)^−(1+θ) after, and the integrals the estimator needs, in closed form.
package struct SeismicKernel: Sendable, Equatable {
    package let c: Double
    package let s0: Double
    package let theta: Double
    private let tailScale: Double
    /// Φ(s0) and ∫₀^s0 s·φ(s) ds, and the tail's constants, so that a point costs one `pow`.
    private let headIntegral: Double
    private let headMoment: Double
    private let s0PowNegTheta: Double
    private let s0PowOneMinusTheta: Double

    package init(c: Double = 0.0006265725, s0: Double = 300, theta: Double = 0.2314843) {
        self.c = c
        self.s0 = s0
        self.theta = theta
        tailScale = c * pow(s0, 1 + theta)
        headIntegral = c * s0
        headMoment = c * s0 * s0 / 2
        s0PowNegTheta = pow(s0, -theta)
        s0PowOneMinusTheta = pow(s0, 1 - theta)
    }

    package init(_ config: SeismicConfig) {
        self.init(c: config.c, s0: config.s0, theta: config.theta)
    }

    /// Φ(x) = ∫₀ˣ φ(s) ds.
    package func integral(_ x: Double) -> Double { point(x).integral }

    /// ∫₀ˣ s·φ(s) ds.
    func firstMoment(_ x: Double) -> Double { point(x).moment }

    /// Φ(x) and ∫₀ˣ s·φ(s) ds together: in the tail both come from one x^−θ, and these are
    /// what the estimator evaluates for every share.
    @inline(__always)
    func point(_ x: Double) -> (integral: Double, moment: Double) {
        guard x > 0 else { return (0, 0) }
        if x < s0 { return (c * x, c * x * x / 2) }
        // exp(−θ·log x), not pow: a third faster here, and within 1e-15 of it.
        let negTheta = exp(-theta * log(x))
        return (headIntegral + tailScale / theta * (s0PowNegTheta - negTheta),
                headMoment + tailScale / (1 - theta) * (x * negTheta - s0PowOneMinusTheta))
    }

    /// ∫ φ(s − tᵢ)·K(s) ds over the window [t − w, t), K the triangle rising from 0 at t − w
    /// to 1 at t; `age` = t − tᵢ.
    package func windowIntegral(age: Double, window w: Double) -> Double {
        exposure(age: age, window: w).window
    }

    /// The window integral above and Φ(age), sharing the work at `age`.
    @inline(__always)
    func exposure(age: Double, window w: Double) -> (window: Double, integral: Double) {
        guard age > 0 else { return (0, 0) }
        let end = point(age)
        guard w > 0 else { return (0, end.integral) }
        // In u = s − tᵢ the window is [age − w, age); K = (u − (age − w)) / w.
        let start = age - w
        let begin = start > 0 ? point(start) : (integral: 0, moment: 0)
        let f0 = end.integral - begin.integral
        let f1 = end.moment - begin.moment
        return ((f1 - start * f0) / w, end.integral)
    }
}
