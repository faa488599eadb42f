import Foundation

/// Quantiles of the χ² distribution, for SEISMIC's interval on the infectiousness.
enum ChiSquare {
    /// The p-quantile of χ² with `k` degrees of freedom.
    static func quantile(_ p: Double, degrees k: Double) -> Double {
        guard k > 0, p > 0, p < 1 else { return p <= 0 ? 0 : .infinity }
        let a = k / 2
        // Wilson–Hilferty start, then Newton on the regularized lower incomplete gamma P(a, x/2).
        let z = normalQuantile(p)
        let h = 2 / (9 * k)
        var x = max(1e-8, k * pow(1 - h + z * sqrt(h), 3))
        for _ in 0..<50 {
            let error = regularizedGammaP(a, x / 2) - p
            let density = exp((a - 1) * log(x / 2) - x / 2 - lgamma(a)) / 2
            guard density > 0 else { break }
            let step = error / density
            x = max(x / 10, x - step)
            if abs(step) < 1e-12 * max(1, x) { break }
        }
        return x
    }

    /// P(a, x), by its series below a + 1 and its continued fraction above.
    static func regularizedGammaP(_ a: Double, _ x: Double) -> Double {
        guard x > 0 else { return 0 }
        let logPrefix = a * log(x) - x - lgamma(a)
        if x < a + 1 {
            var term = 1 / a, sum = term, n = a
            for _ in 0..<10_000 {
                n += 1
                term *= x / n
                sum += term
                if abs(term) < abs(sum) * 1e-15 { break }
            }
            return sum * exp(logPrefix)
        }
        // Lentz's method for Q(a, x).
        let tiny = 1e-300
        var b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d
        for i in 1..<10_000 {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b
            if abs(d) < tiny { d = tiny }
            c = b + an / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-15 { break }
        }
        return 1 - exp(logPrefix) * h
    }

    /// The standard normal quantile (Acklam's rational approximation; only a starting point here).
    static func normalQuantile(_ p: Double) -> Double {
        let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
        let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01]
        let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        let low = 0.02425
        if p < low {
            let q = sqrt(-2 * log(p))
            return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        if p > 1 - low { return -normalQuantile(1 - p) }
        let q = p - 0.5, r = q * q
        return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
    }
}
