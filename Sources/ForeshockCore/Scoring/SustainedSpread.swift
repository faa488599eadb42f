import Foundation

/// The second half of the prediction: a post from an ordinary account that keeps being reshared
/// fast and evenly is on its way, whatever SEISMIC makes of its audience.
///
/// SEISMIC explains each reshare by the followers of those who shared before, and a small
/// account's viral post breaks that at once: ten reshares in a minute from an audience of two
/// thousand looks supercritical, which `Calibration` has to disbelieve to keep ordinary posts
/// quiet, so it learns nothing from the speed. Speed is what tells (Cheng et al., WWW 2014: how
/// fast the first reshares come is the strongest single predictor of how far a cascade goes),
/// but a burst of the same size is common: a few friends or a bot ring reshare within seconds
/// and stop. What the viral posts do and the bursts do not is keep going. So this reads:
/// - the reshares per minute over the last `window` (or since spreading began, if less);
/// - whether they kept coming: the window cut into `parts`, every part after the first holds
///   at least `evenness` of an even share (the first may hold less: speeding up is fine),
///   now and at the newest reshare, so that a quiet spell never makes a burst look even;
/// - how large the author's audience is: the same speed says less about an account with a
///   million followers, so the rate is divided by √(followers / `audienceScale`) above it,
///   and an author whose followers are unknown gets nothing from this part at all;
/// and predicts `reshares + horizon × rate / audience`, with `horizon` (minutes) the only number
/// fitted (`foreshock eval --fit`, from real ordinary posts: the largest under which no more
/// than 1 in 400 of them would reach the target).
package struct SustainedSpread: Sendable, Equatable {
    /// Seconds of the most recent reshares the rate is read over.
    package var window = 600.0
    package var parts = 3
    /// The least a later part may hold, as a fraction of `count / parts`.
    package var evenness = 0.5
    /// Seconds spreading must have gone on before its speed means anything.
    package var minSpan = 15.0
    /// Fewer reshares than this say nothing about where a post goes.
    package var minReshares = 15
    /// Followers up to which an author's audience does not discount the rate.
    package var audienceScale = 30_000.0
    /// Minutes of the current rate the prediction adds; 0 turns this part off.
    package var horizon: Double

    package init(horizon: Double) {
        self.horizon = horizon
    }

    /// Whether the settings can be read at all: at least two parts (one part is always even),
    /// a positive least span and window.
    package var isValid: Bool { parts >= 2 && minSpan > 0 && window >= minSpan && evenness >= 0 }

    /// What the part read about one post at one time.
    package struct Reading: Sendable, Equatable {
        /// Reshares per minute over the window.
        package var perMinute: Double
        /// The window's length in minutes.
        package var minutes: Double
        /// The emptiest later part's reshares over an even share of the window's.
        package var weakestPart: Double
        /// What the rate was divided by for the author's audience (1 for an ordinary author).
        package var audience: Double
        /// Whether the reshares kept coming (`weakestPart` at least `evenness`).
        package var sustained: Bool
        /// The prediction from this part: the reshares seen, plus `horizon` minutes of the rate
        /// when sustained.
        package var predicted: Double
    }

    /// Reads the post's spreading.
    /// - Parameters:
    ///   - history: the post's reshares.
    ///   - age: seconds since the post.
    ///   - authorFollowers: the author's followers, nil when unknown.
    ///   - reshares: `history.reshares(atOrBefore: age)`, when the caller has it already.
    /// - Returns: nil when there is nothing to read: too few reshares, too short a span, no
    ///   author's audience to judge the speed against, or the part turned off.
    package func reading(_ history: ShareHistory, at age: Double, authorFollowers: Double?, reshares known: Int? = nil) -> Reading? {
        guard horizon > 0, isValid, let authorFollowers, history.start.isFinite else { return nil }
        let reshares = known ?? history.reshares(atOrBefore: age)
        guard let now = parts(history, at: age, reshares: reshares) else { return nil }
        var sustained = now.weakest >= evenness
        // Time alone never makes a spread sustained. As a quiet spell goes on, the window's
        // parts slide over the last burst, and a burst that once filled only the newest part
        // comes to straddle two: even by count, though nothing came since (an SMH post paged
        // so in replay, two minutes after its last reshare, where eval, reading at each
        // reshare, saw nothing). So it must also have been sustained at the newest reshare;
        // then a quiet spell only lowers the rate, and what pages is what a reshare showed.
        if sustained, let newest = history.newestTime(atOrBefore: age), newest < age {
            sustained = parts(history, at: newest, reshares: reshares).map { $0.weakest >= evenness } ?? false
        }
        let perMinute = Double(now.count) / (now.span / 60)
        let audience = audienceDiscount(authorFollowers)
        return Reading(perMinute: perMinute, minutes: now.span / 60, weakestPart: now.weakest, audience: audience, sustained: sustained,
                       predicted: Double(reshares) + (sustained ? horizon * perMinute / audience : 0))
    }

    /// The window's span and reshares at `age`, and its emptiest later part over an even share;
    /// nil when too few reshares or too short a span say nothing.
    private func parts(_ history: ShareHistory, at age: Double, reshares: Int) -> (span: Double, count: Int, weakest: Double)? {
        let span = min(window, age - history.start)
        // Counters are spread evenly between polls, so parts finer than a poll would always look even.
        guard reshares >= minReshares, span >= minSpan, span >= minSpan(history, window: age - span) else { return nil }
        let from = age - span
        let count = reshares - history.reshares(atOrBefore: from)
        let part = span / Double(parts)
        var weakest = Double.infinity
        // Each part's reshares from the boundaries, each looked up once, newest first.
        var later = reshares
        for index in stride(from: parts - 1, through: 1, by: -1) {
            let earlier = history.reshares(atOrBefore: from + part * Double(index))
            weakest = min(weakest, Double(later - earlier) * Double(parts) / Double(max(1, count)))
            later = earlier
        }
        return (span, count, weakest)
    }

    /// The most `reading(…).predicted` can come to later with nothing new observed: the
    /// window's reshares only leave it and its span only grows.
    package func ceiling(_ history: ShareHistory, at age: Double, authorFollowers: Double?, reshares known: Int? = nil) -> Double {
        let reshares = known ?? history.reshares(atOrBefore: age)
        let span = min(window, age - history.start)
        guard horizon > 0, isValid, let authorFollowers, span > 0, reshares >= minReshares else { return Double(reshares) }
        let count = reshares - history.reshares(atOrBefore: age - span)
        // Later the span only grows, and is never under `minSpan` when read (what counters
        // demand may fall as a coarse spread leaves the window, so it is not counted on here).
        let perMinute = Double(count) / (max(span, minSpan) / 60)
        return Double(reshares) + horizon * perMinute / audienceDiscount(authorFollowers)
    }

    /// The least span counters allow for a window starting at `from`: each part at least as
    /// long as the latest poll's spread, and as the longest one still inside the window.
    private func minSpan(_ history: ShareHistory, window from: Double) -> Double {
        let coarsest = Double(history.coarsestEnd) > from ? Double(history.coarsest) : 0
        return Double(parts) * max(history.resolution, coarsest)
    }

    func audienceDiscount(_ followers: Double) -> Double {
        max(1, followers / audienceScale).squareRoot()
    }
}
