/// Mentions per window for one source against an exponentially weighted baseline: a storm of
/// many small posts shows here even when no single post spreads.
package struct VolumeBaseline: Sendable {
    /// The current window against the baseline: as a ratio, and in standard deviations.
    package struct Reading: Sendable, Equatable {
        package var ratio: Double
        package var zScore: Double

        package init(ratio: Double, zScore: Double) {
            self.ratio = ratio
            self.zScore = zScore
        }

        package static let none = Reading(ratio: 0, zScore: 0)
    }

    package let window: Double
    /// Weight of the newest finished window in the baseline.
    package let alpha: Double
    /// The time the first window started, and the number of the current one: boundaries are
    /// counted from the origin, so they fall at the same times however the windows were closed.
    private var origin: Double?
    private var index = 0.0
    private var current = 0
    private var mean: Double?
    private var variance = 0.0

    package init(window: Double, alpha: Double = 0.1) {
        self.window = window
        self.alpha = alpha
    }

    /// Counts one mention at `time`.
    package mutating func record(at time: Double) {
        advance(to: time)
        current += 1
    }

    /// Closes the windows that ended before `time`.
    package mutating func advance(to time: Double) {
        guard let origin else {
            origin = time
            return
        }
        let target = ((time - origin) / window).rounded(.down)
        guard target > index else { return }
        // Far more windows than it takes to decay to zero behave alike (and a hostile time far
        // in the future must not overflow an Int).
        let elapsed = Int(min(target - index, 1e9))
        index = target
        // The window that just ended, then the empty ones after it, one at a time as if each had
        // been closed by its own tick, so that ticks skipped in between change nothing. Once an
        // empty window leaves the baseline as it was (decayed to zero, or to a denormal that
        // rounding holds in place), every further one does too.
        for step in 0..<elapsed {
            let value = Double(step == 0 ? current : 0)
            guard let m = mean else {
                mean = value
                continue
            }
            let delta = value - m
            let next = (mean: m + alpha * delta, variance: (1 - alpha) * (variance + alpha * delta * delta))
            if step > 0, next.mean == m, next.variance == variance { break }
            (mean, variance) = (next.mean, next.variance)
        }
        current = 0
    }

    /// This window's mentions over the baseline (at least one mention a window), or 0 before there is a baseline.
    package var ratio: Double {
        guard let mean else { return 0 }
        return Double(current) / max(mean, 1)
    }

    package var reading: Reading { Reading(ratio: ratio, zScore: zScore) }

    /// Standard deviations above the baseline.
    package var zScore: Double {
        guard let mean else { return 0 }
        return (Double(current) - mean) / max(variance.squareRoot(), 1)
    }
}
