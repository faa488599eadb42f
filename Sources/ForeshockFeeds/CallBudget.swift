import Foundation

/// A token bucket for a source's extra calls (resharers, replies, re-polls): `perMinute` calls
/// a minute on average, with bursts up to that many. Time is passed in, never read.
package struct CallBudget: Sendable {
    package let perMinute: Int
    private var tokens: Double
    private var updated: Date?

    package init(perMinute: Int) {
        self.perMinute = max(0, perMinute)
        self.tokens = Double(self.perMinute)
    }

    /// Takes `count` calls from the budget if they are there.
    /// - Returns: whether the calls may be made.
    package mutating func spend(_ count: Int = 1, now: Date) -> Bool {
        if let updated {
            // A clock set back is no time passed, not calls owed.
            tokens = min(Double(perMinute), tokens + max(0, now.timeIntervalSince(updated)) * Double(perMinute) / 60)
        }
        updated = now
        guard tokens >= Double(count) else { return false }
        tokens -= Double(count)
        return true
    }
}
