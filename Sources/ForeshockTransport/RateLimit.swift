import ForeshockSupport
import Foundation

/// What an API's response headers say about its rate limit, read from whichever dialect it
/// speaks: Mastodon `X-RateLimit-*` (reset as an ISO time), X `x-rate-limit-*` (reset in epoch
/// seconds), Reddit `x-ratelimit-*` (reset in seconds from now), `RateLimit-*` (the IETF draft's
/// seconds from now; Bluesky and GitLab send epoch seconds in the same header).
package struct RateLimit: Sendable, Equatable {
    package var limit: Double?
    package var remaining: Double
    /// When the window resets.
    package var resetAt: Date?

    /// Reads the headers of one response; nil when they carry no rate-limit information.
    /// - Parameters:
    ///   - headers: the response headers.
    ///   - now: the time the response arrived, to turn relative resets into dates.
    package static func from(_ headers: HTTPHeaders, now: Date) -> RateLimit? {
        if let remaining = number(headers["x-rate-limit-remaining"]) {
            // X: epoch seconds.
            return RateLimit(limit: number(headers["x-rate-limit-limit"]), remaining: remaining,
                             resetAt: number(headers["x-rate-limit-reset"]).map { Date(timeIntervalSince1970: $0) })
        }
        if let remaining = number(headers["x-ratelimit-remaining"]) {
            let reset = headers["x-ratelimit-reset"]
            let resetAt: Date?
            if let reset, let date = Timestamp.parse(reset) {
                resetAt = date // Mastodon
            } else if let seconds = number(reset) {
                resetAt = resetDate(seconds, now: now) // Reddit
            } else {
                resetAt = nil
            }
            let used = number(headers["x-ratelimit-used"])
            let limit = number(headers["x-ratelimit-limit"]) ?? used.map { $0 + remaining }
            return RateLimit(limit: limit, remaining: remaining, resetAt: resetAt)
        }
        if let remaining = number(headers["ratelimit-remaining"]) {
            return RateLimit(limit: number(headers["ratelimit-limit"]), remaining: remaining,
                             resetAt: number(headers["ratelimit-reset"]).map { resetDate($0, now: now) })
        }
        if let combined = headers["ratelimit"] {
            // draft-ietf-httpapi-ratelimit-headers: `RateLimit: limit=100, remaining=50, reset=5`
            var fields: [String: Double] = [:]
            for part in combined.split(whereSeparator: { $0 == "," || $0 == ";" }) {
                let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                if pair.count == 2, let value = Double(pair[1]) { fields[pair[0].lowercased()] = value }
            }
            guard let remaining = fields["remaining"] ?? fields["r"] else { return nil }
            return RateLimit(limit: fields["limit"], remaining: remaining, resetAt: (fields["reset"] ?? fields["t"]).map { resetDate($0, now: now) })
        }
        return nil
    }

    /// A reset given as a number: seconds from now as the header's dialect says, unless it is
    /// too large to be one. Several servers put epoch seconds in a seconds-from-now header
    /// (Bluesky's `RateLimit-Reset`, some `x-ratelimit-reset`); read as seconds from now, one
    /// would silence the source for the longest wait.
    static func resetDate(_ value: Double, now: Date) -> Date {
        value > 1_000_000_000 ? Date(timeIntervalSince1970: value) : now.addingTimeInterval(value)
    }

    /// Seconds to wait before the next call so as not to run out: none while plenty is left,
    /// the time to the reset once the last tenth (or the last two calls) of the window is reached.
    package func pause(now: Date) -> Double? {
        let reserve = max(2, (limit ?? 0) * 0.1)
        guard remaining <= reserve, let resetAt else { return nil }
        return Self.wait(resetAt.timeIntervalSince(now))
    }

    /// The longest wait a server may ask for: beyond a day it is a bug or hostile, and a
    /// source silent for longer raises its own alert anyway.
    package static let longestWait: Double = 86_400

    /// A wait as a server gave it, made safe to sleep on: at least 0, at most `longestWait`,
    /// nil for NaN. (`Retry-After: 1e300` or `inf` used to trap converting to an integer.)
    package static func wait(_ seconds: Double) -> Double? {
        guard !seconds.isNaN else { return nil }
        return min(longestWait, max(0, seconds))
    }

    /// `Retry-After` as seconds: a number, or an HTTP date.
    package static func retryAfter(_ headers: HTTPHeaders, now: Date) -> Double? {
        guard let value = headers["retry-after"]?.trimmingCharacters(in: .whitespaces) else { return nil }
        if let seconds = Double(value) { return wait(seconds) }
        return Timestamp.parseHTTPDate(value).flatMap { wait($0.timeIntervalSince(now)) }
    }

    private static func number(_ text: String?) -> Double? {
        text.flatMap { Double($0.trimmingCharacters(in: .whitespaces)) }.flatMap { $0.isFinite ? $0 : nil }
    }
}
