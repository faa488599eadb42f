/// Mentions per window for one source against an exponentially weighted baseline: a storm of
/// many small posts shows here even when no single post spreads.
public struct VolumeBaseline: Sendable {
    public let window: Double
    /// Weight of the newest finished window in the baseline.
    public let alpha: Double
    private var windowStart: Double?
    private var current = 0
    private var mean: Double?
    private var variance = 0.0

    public init(window: Double, alpha: Double = 0.1) {
        self.window = window
        self.alpha = alpha
    }

    /// Counts one mention at `time`.
    public mutating func record(at time: Double) {
        advance(to: time)
        current += 1
    }

    /// Closes the windows that ended before `time`.
    public mutating func advance(to time: Double) {
        guard let start = windowStart else {
            windowStart = time
            return
        }
        let elapsed = Int((time - start) / window)
        guard elapsed > 0 else { return }
        // The window that just ended, then any empty ones after it (at most a day's worth matter).
        for step in 0..<min(elapsed, 1 + Int(86400 / window)) {
            let value = Double(step == 0 ? current : 0)
            if let m = mean {
                let delta = value - m
                mean = m + alpha * delta
                variance = (1 - alpha) * (variance + alpha * delta * delta)
            } else {
                mean = value
            }
        }
        current = 0
        windowStart = start + Double(elapsed) * window
    }

    /// This window's mentions over the baseline (at least one mention a window), or 0 before there is a baseline.
    public var ratio: Double {
        guard let mean else { return 0 }
        return Double(current) / max(mean, 1)
    }

    /// Standard deviations above the baseline.
    public var zScore: Double {
        guard let mean else { return 0 }
        return (Double(current) - mean) / max(variance.squareRoot(), 1)
    }
}
