import ForeshockConfig
import ForeshockSupport

/// What the rules read about a post at one time. Computed, never stored.
package struct PostFeatures: Sendable, Equatable {
    package var key: PostKey
    package var time: Double
    package var age: Double
    package var mode: PostState.Mode
    package var reshares: Int
    package var replies: Int?
    package var likes: Int?
    /// Reshares per minute over the short and the long window.
    package var velocityShort: Double
    package var velocityLong: Double
    /// Short over long velocity: above 1 while spreading speeds up.
    package var acceleration: Double
    /// Followers of the author and of every resharer seen.
    package var reach: Double
    /// Of the reshares, those whose audience in `reach` is assumed (the source's typical
    /// resharer): a counter's, where no follower count comes with them (Reddit, Hacker News).
    package var reachAssumed = 0
    package var seismic: SeismicEstimate
    /// The calibrated prediction rules use; nil when supercritical (or unknown): the larger of
    /// SEISMIC's calibrated one and the sustained spread's.
    package var predicted: Double?
    /// SEISMIC's part of it, calibrated.
    package var seismicPredicted: Double?
    /// What the sustained-spread part read; nil when it had nothing to read.
    package var sustained: SustainedSpread.Reading?
    /// How the post spread since the brand's answer compared with before it.
    package var afterAnswer = AfterAnswer()
    package var supercritical: Bool
    package var complaint: Bool
    package var complaintScore: Int
    /// Seconds since the post with no reply from the brand; nil once it answered, or when
    /// nobody looks for its answers (`answerWatched`).
    package var unansweredFor: Double?
    /// Whether the brand's answers are looked for on the post's source (`Config.answersUnseen`):
    /// where they are not, the post is neither answered nor unanswered, as far as anyone knows.
    package var answerWatched = true
    package var author: String?
    package var url: String?
    package var excerpt: String?
    /// The polled counters over time (counts mode, or counters polled beside the reshares).
    package var counters = CounterSeries()
}

extension PostFeatures {
    /// One line on which half of the prediction made it high and on what, for a person
    /// deciding whether to answer: "kept 6.4 reshares a minute for 2.4 minutes, evenly, from an
    /// author with 2,290 followers", or how many more each reshare brings (SEISMIC's p̂·n*) and
    /// the audience still to reach.
    /// - Parameters:
    ///   - authorFollowers: the author's followers, when known.
    ///   - nStar: SEISMIC's n*, to say p̂·n*.
    ///   - maxBranching: the most of p̂·n* the calibration believes, which is what it used.
    package func why(authorFollowers: Double?, nStar: Double, maxBranching: Double) -> String? {
        var parts: [String] = []
        if let s = sustained, s.sustained, s.predicted >= (seismicPredicted ?? 0) {
            var text = "kept \(Self.decimal(s.perMinute)) reshares a minute for \(Self.decimal(s.minutes)) minutes, evenly"
            if let followers = authorFollowers {
                text += ", from an author with \(NumberText.grouped(followers)) followers"
                if s.audience > 1 { text += " (counted as 1/\(Self.decimal(s.audience)) for that audience)" }
            }
            parts.append(text)
        } else if let p = seismic.infectiousness, let predicted = seismicPredicted, predicted > Double(reshares) {
            // In words first, for whoever is on call; the model's term after, for whoever tunes it.
            parts.append("each reshare brings about \(Self.decimal(min(p * nStar, maxBranching), places: 2)) more, with "
                + "\(NumberText.grouped(seismic.cappedRemainingExposure.rounded())) of its audience still to reach (SEISMIC's p̂·n*, as calibrated)")
        }
        // Whichever half spoke: a small author's post carried by big accounts is worth saying.
        if !parts.isEmpty, let reaching = resharersReach(authorFollowers: authorFollowers) { parts.append(reaching) }
        if complaint, let unanswered = unansweredFor, unanswered >= 60 { parts.append("a complaint unanswered for \(DurationText.format(unanswered))") }
        if afterAnswer.spreading, let since = afterAnswer.since, let before = afterAnswer.before {
            parts.append("spreading as fast since the brand's answer: \(Self.decimal(since)) reshares a minute since, \(Self.decimal(before)) before")
        }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }

    /// "its resharers reach 40× the author's audience": how far past the author's own followers
    /// the resharers carry it, said when that is at least twice as far and every resharer's
    /// followers are known (an assumed audience would make the figure up).
    func resharersReach(authorFollowers: Double?) -> String? {
        guard let author = authorFollowers, author >= 1, reachAssumed == 0 else { return nil }
        let times = (reach - author) / author
        guard times >= 2, times.isFinite else { return nil }
        return "its resharers reach \(times < 10 ? Self.decimal(times) : NumberText.grouped(times.rounded()))× the author's audience"
    }

    /// `value` with `places` decimals, rounded half away from zero: what String(format:) gives
    /// except at exact ties (it rounds the binary value), at a fraction of its cost (every
    /// alert's reason is built on the scoring core's thread).
    package static func decimal(_ value: Double, places: Int = 1) -> String {
        // Past 10¹⁵ there are no decimals worth printing, and Int64 would overflow further on.
        guard value.isFinite, value.magnitude < 1e15 else { return String(format: "%.\(places)f", value) }
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = Int64((value.magnitude * scale).rounded())
        let whole = scaled / Int64(scale), fraction = String(scaled % Int64(scale))
        let digits = String(repeating: "0", count: max(0, places - fraction.count)) + fraction
        return (value < 0 && scaled > 0 ? "-" : "") + "\(whole)" + (places > 0 ? "." + digits : "")
    }
}

/// Whether a post spreads as fast or faster after the brand's answer as before it: the answer
/// that made things worse ("Hi Dana, sorry you feel that way"). Read once the answer is
/// `settle` old, over at most `window` on each side of it, and only with at least
/// `minReshares` since and `minRate` a minute: a post that gets two more reshares after a reply,
/// or keeps a trickle of one every few minutes, is not a storm.
package struct AfterAnswer: Sendable, Equatable {
    /// Reshares per minute in the window before the answer and since it; nil before the answer
    /// has settled (or with none).
    // NaN for none (`NaNForNone`): every post's features carry one.
    @NaNForNone package private(set) var before: Double? = nil
    @NaNForNone package private(set) var since: Double? = nil
    package private(set) var resharesSince: Int32 = 0

    static let settle = 600.0
    static let window = 1800.0
    static let minReshares = 5
    /// Reshares a minute: the pace `heating-up` calls spreading.
    static let minRate = 1.0

    package init() {}

    /// - Parameters:
    ///   - answeredAt: seconds after the post when the brand answered, nil if it has not.
    ///   - age: seconds since the post.
    package init(_ history: ShareHistory, answeredAt: Double?, age: Double) {
        guard let answeredAt, age - answeredAt >= Self.settle else { return }
        let beforeSpan = min(Self.window, max(answeredAt, 60)), sinceSpan = min(Self.window, age - answeredAt)
        let atAnswer = history.reshares(atOrBefore: answeredAt), now = history.reshares(atOrBefore: age)
        resharesSince = Int32(clamping: now - atAnswer)
        before = Double(atAnswer - history.reshares(atOrBefore: answeredAt - beforeSpan)) / (beforeSpan / 60)
        since = Double(now - history.reshares(atOrBefore: age - sinceSpan)) / (sinceSpan / 60)
    }

    /// As fast or faster since the answer, with enough reshares since to tell.
    package var spreading: Bool {
        guard let before, let since, resharesSince >= Self.minReshares else { return false }
        return since >= before && since >= Self.minRate
    }
}

extension AlertNotification {
    /// A reminder that this alert still fires, at `time`, with the post's numbers then.
    /// - Parameter features: the post's features at `time`; nil keeps the numbers it had.
    package func reminder(at time: Double, features f: PostFeatures?) -> AlertNotification {
        var note = self
        note.reason = .repeated
        note.time = time
        // The conditions as they held when the silence began would read as now's.
        note.held = "held back by a silence until now"
        if let f, var post = note.post {
            post.reshares = f.reshares
            post.predicted = f.predicted
            post.supercritical = f.supercritical
            post.velocityPerMin = f.velocityShort
            post.reach = f.reach
            note.post = post
        }
        return note
    }
}
