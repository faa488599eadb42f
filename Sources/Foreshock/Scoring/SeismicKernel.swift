import Foundation

/// SEISMIC's memory kernel (Zhao et al., KDD 2015): φ(s) = c for 0 ≤ s < s0 and
/// c·(s/s0)^−(1+θ) after, and the integrals the estimator needs, in closed form.
public struct SeismicKernel: Sendable, Equatable {
    public let c: Double
    public let s0: Double
    public let theta: Double
    private let tailScale: Double

    public init(c: Double = 0.0006265725, s0: Double = 300, theta: Double = 0.2314843) {
        self.c = c
        self.s0 = s0
        self.theta = theta
        tailScale = c * pow(s0, 1 + theta)
    }

    public init(_ config: SeismicConfig) {
        self.init(c: config.c, s0: config.s0, theta: config.theta)
    }

    /// Φ(x) = ∫₀ˣ φ(s) ds.
    public func integral(_ x: Double) -> Double {
        guard x > 0 else { return 0 }
        if x < s0 { return c * x }
        return c * s0 + tailScale / theta * (pow(s0, -theta) - pow(x, -theta))
    }

    /// ∫₀ˣ s·φ(s) ds.
    func firstMoment(_ x: Double) -> Double {
        guard x > 0 else { return 0 }
        if x < s0 { return c * x * x / 2 }
        return c * s0 * s0 / 2 + tailScale / (1 - theta) * (pow(x, 1 - theta) - pow(s0, 1 - theta))
    }

    /// ∫ φ(s − tᵢ)·K(s) ds over the window [t − w, t), K the triangle rising from 0 at t − w
    /// to 1 at t; `age` = t − tᵢ.
    public func windowIntegral(age: Double, window w: Double) -> Double {
        guard age > 0, w > 0 else { return 0 }
        // In u = s − tᵢ the window is [age − w, age); K = (u − (age − w)) / w.
        let start = age - w
        let lower = max(0, start)
        let f0 = integral(age) - integral(lower)
        let f1 = firstMoment(age) - firstMoment(lower)
        return (f1 - start * f0) / w
    }
}
