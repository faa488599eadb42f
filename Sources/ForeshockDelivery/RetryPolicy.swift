import Foundation

/// When to try a message again: exponential back-off with jitter, the receiver's Retry-After
/// when it gives one, and a point after which the message goes to the dead letters.
package struct RetryPolicy: Sendable {
    package var initial = 2.0
    package var maximum = 300.0
    /// Messages still undelivered this long after they were written go to the dead letters.
    package var giveUpAfter = 24 * 3600.0
    /// The window a sink's `max_per_minute` counts over (a minute; shorter only in tests).
    package var rateWindow = 60.0

    package init(initial: Double = 2, maximum: Double = 300, giveUpAfter: Double = 24 * 3600, rateWindow: Double = 60) {
        self.initial = initial
        self.maximum = maximum
        self.giveUpAfter = giveUpAfter
        self.rateWindow = rateWindow
    }

    /// Seconds to wait before attempt `attempt + 1` (attempt counts from 1).
    package func delay(after attempt: Int, retryAfter: Double?) -> Double {
        if let retryAfter, retryAfter >= 0 { return min(retryAfter, 3600) }
        let base = min(maximum, initial * pow(2, Double(max(0, attempt - 1))))
        // ±20%, so that sinks failing together do not retry in lockstep.
        return base * Double.random(in: 0.8...1.2)
    }
}
