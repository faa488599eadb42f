/// When to say that a write keeps failing: at the first failure, then once each time the count
/// passes another hundred, and once when it works again. A full disk is then a warning a few
/// times an hour in the log, not one for every journal line or 15-second status write.
package struct FailureNotice: Sendable {
    /// Failures since the last success (or in all, when the count is kept elsewhere).
    package private(set) var failures = 0
    /// The count when it was last said; 0 when nothing has been said yet.
    private var said = 0

    package init() {}

    /// Counts one more failure.
    /// - Returns: whether to say it now.
    package mutating func failed() -> Bool { failed(count: failures + 1) }

    /// Takes a failure count kept elsewhere, which may have grown by many since it was last asked.
    /// - Returns: whether to say it now.
    package mutating func failed(count: Int) -> Bool {
        failures = max(failures, count)
        guard failures > said, said == 0 || failures / 100 > said / 100 else { return false }
        said = failures
        return true
    }

    /// The write worked.
    /// - Returns: whether failures were said before, so that their end is said too.
    package mutating func succeeded() -> Bool {
        defer { failures = 0; said = 0 }
        return said > 0
    }
}
