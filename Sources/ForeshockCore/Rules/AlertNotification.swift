import ForeshockConfig
import ForeshockSupport
import Foundation

/// One notification the watch process sends (and replay prints): an alert starting, escalating,
/// repeating or resolving, about a post, a source's volume, or a source that is down.
package struct AlertNotification: Sendable, Equatable {
    package enum State: String, Sendable { case firing, resolved }
    package enum Reason: String, Sendable, CaseIterable { case started, escalated, deescalated, repeated, resolved }

    /// What an alert is about.
    package enum Subject: Sendable, Equatable {
        /// A post, with its numbers when the notification was made.
        case post(PostKey, PostSnapshot)
        /// A source's mentions per window against its usual, as a ratio and in standard deviations.
        case volume(source: String, ratio: Double, z: Double?)
        /// A source that has failed since `since`: what receivers are told (`message`), nil once
        /// it answers again.
        case sourceDown(source: String, since: Double, message: String)
    }

    /// A post's numbers, as the rules saw them when the notification was made.
    package struct PostSnapshot: Sendable, Equatable {
        package var reshares: Int
        package var predicted: Double?
        package var supercritical = false
        package var velocityPerMin = 0.0
        package var reach = 0.0
        /// Of the reshares, those whose audience in `reach` is assumed (`PostFeatures.reachAssumed`).
        package var reachAssumed = 0
        package var author: String?
        package var url: String?
        package var excerpt: String?
        package var complaint = false
        package var unansweredFor: Double?
        /// Whether the brand's answers are looked for on the post's source
        /// (`PostFeatures.answerWatched`): where not, neither answered nor unanswered.
        package var answerWatched = true
        /// What the templates show beyond the rule's numbers: the author's audience, when the
        /// post appeared, the other counters, and the reshares at eight even steps from the
        /// post's creation to now (the sparkline).
        package var authorFollowers: Double?
        package var createdAt: Double?
        package var replies: Int?
        package var likes: Int?
        package var growth: [Int] = []
        /// The window `velocityPerMin` is taken over (`scoring.short_window`), in seconds.
        package var velocityWindow: Double = 300

        package init(reshares: Int, predicted: Double? = nil, supercritical: Bool = false, velocityPerMin: Double = 0, reach: Double = 0,
                     author: String? = nil, url: String? = nil, excerpt: String? = nil, complaint: Bool = false, unansweredFor: Double? = nil,
                     authorFollowers: Double? = nil, createdAt: Double? = nil, replies: Int? = nil, likes: Int? = nil, growth: [Int] = []) {
            self.reshares = reshares
            self.predicted = predicted
            self.supercritical = supercritical
            self.velocityPerMin = velocityPerMin
            self.reach = reach
            self.author = author
            self.url = url
            self.excerpt = excerpt
            self.complaint = complaint
            self.unansweredFor = unansweredFor
            self.authorFollowers = authorFollowers
            self.createdAt = createdAt
            self.replies = replies
            self.likes = likes
            self.growth = growth
        }
    }

    package var subject: Subject
    package var time: Double
    package var rule: String
    package var severity: Severity
    package var reason: Reason
    /// The reason the core gave it, where a sink reads it as another (`reason`): a reminder to
    /// a sink never told the alert fires is its first page. Its id stays the core's.
    package var idReason: Reason? = nil
    /// Sink names; empty means every sink.
    package var sinks: [String]
    /// When this alert first fired.
    package var firedAt: Double?
    /// One line on which terms made the prediction high ("kept 6.4 reshares a minute …").
    package var why: String?
    /// The deciding rule's conditions with the values that met them ("predicted 1,240 ≥ 1,000;
    /// 37 reshares ≥ 5; age 22m ≤ 30d"); nil once no rule holds.
    package var held: String?
    /// What the source watches (`SourceConfig.watching`: its name, query and brand accounts).
    package var watching: String?
    /// `foreshock test-alert`'s: marked TEST wherever it shows (subject, headline, JSON bodies).
    package var isTest = false
    /// `replay --send`'s: a test (`isTest`) under a key of its own, `replay/…`, so that no
    /// receiver takes it for the live alert it repeats (PagerDuty's `dedup_key`, a webhook's id:
    /// the incident a live page opened must not be updated, nor resolved, by a rehearsal).
    package var isReplay = false
    /// `replay --send`'s resolution of an alert still firing when the recording ended: it closes
    /// the rehearsal's incident, and says so rather than that the post calmed down.
    package var closedAtRecordingEnd = false
    /// Where the silence command reaches the watch that sent this (`--url URL` or `--state-dir
    /// DIR`), and the post's page on the watch's web server: added by the notifier, which knows them.
    package var silenceTarget: String?
    package var pageURL: String?

    /// The one way a notification is made.
    package init(_ subject: Subject, time: Double, rule: String, severity: Severity, reason: Reason, sinks: [String],
                 firedAt: Double? = nil, why: String? = nil, held: String? = nil, watching: String? = nil) {
        self.subject = subject
        self.time = time
        self.rule = rule
        self.severity = severity
        self.reason = reason
        self.sinks = sinks
        self.firedAt = firedAt
        self.why = why
        self.held = held
        self.watching = watching
    }

    /// Firing until the alert resolves.
    package var state: State { reason == .resolved ? .resolved : .firing }

    /// The source the alert is about (the post's, the spiking one, the one that is down).
    package var source: String {
        switch subject {
        case .post(let key, _): return key.source
        case .volume(let source, _, _), .sourceDown(let source, _, _): return source
        }
    }

    /// The post, for an alert about one.
    package var post: PostSnapshot? {
        get { if case .post(_, let snapshot) = subject { return snapshot } else { return nil } }
        set { if case .post(let key, _) = subject, let newValue { subject = .post(key, newValue) } }
    }

    /// The post's key; for the other subjects, the source with no post.
    package var key: PostKey {
        if case .post(let key, _) = subject { return key }
        return PostKey(source: source, id: "")
    }

    package var isVolume: Bool { if case .volume = subject { return true } else { return false } }
    package var isSourceDown: Bool { if case .sourceDown = subject { return true } else { return false } }

    // The flat view the templates, the console and the JSON line read: each a post's number, or
    // what a volume or source-down alert shows in its place.
    package var reshares: Int { post?.reshares ?? 0 }
    package var predicted: Double? { post?.predicted }
    package var supercritical: Bool { post?.supercritical ?? false }
    package var velocityPerMin: Double { post?.velocityPerMin ?? 0 }
    package var reach: Double { post?.reach ?? 0 }
    package var reachAssumed: Int { post?.reachAssumed ?? 0 }

    /// What a reach partly assumed says after its number, empty when every audience in it is
    /// known: a Reddit post's 59 upvotes at an assumed audience each are not 5,900 people seen.
    package var reachNote: String {
        reachAssumed > 0 ? " (\(NumberText.count(reachAssumed, "reshare")) at an assumed audience: their resharers' followers are not known)" : ""
    }
    package var author: String? {
        if case .sourceDown = subject { return "foreshock" }
        return post?.author
    }
    package var url: String? { post?.url }
    package var excerpt: String? {
        if case .sourceDown(_, _, let message) = subject { return message }
        return post?.excerpt
    }
    package var complaint: Bool { post?.complaint ?? false }
    package var unansweredFor: Double? { post?.unansweredFor }
    package var authorFollowers: Double? { post?.authorFollowers }
    package var createdAt: Double? {
        if case .sourceDown(_, let since, _) = subject { return since }
        return post?.createdAt
    }
    package var replies: Int? { post?.replies }
    package var likes: Int? { post?.likes }
    package var growth: [Int] { post?.growth ?? [] }
    package var volumeRatio: Double? { if case .volume(_, let ratio, _) = subject { return ratio } else { return nil } }
    package var volumeZ: Double? { if case .volume(_, _, let z) = subject { return z } else { return nil } }

    /// Names the alert across its notifications and restarts: `source:post`, or `source` for a
    /// volume spike. PagerDuty's dedup_key, the webhook's `alert_key`, the email thread.
    package var alertKey: String {
        let key = switch subject {
        case .post(let key, _): key.description
        case .volume(let source, _, _): "volume:\(source)"
        case .sourceDown(let source, _, _): "foreshock:source-down/\(source)"
        }
        return isReplay ? "replay/" + key : key
    }

    /// This notification as `replay --send` hands it to the sinks (`isReplay`).
    package var replayed: AlertNotification {
        var note = self
        note.isTest = true
        note.isReplay = true
        return note
    }

    /// The command that holds this alert's notifications back for two hours, as a person on
    /// call would paste it: by post for a post, by rule and source otherwise. Each value is
    /// quoted for a POSIX shell (post ids and names come from the networks). None for a
    /// resolution (nothing is left to silence) nor for a rehearsal's (`isReplay`: it would
    /// hold back the live alert it repeats).
    package var silenceCommand: String? {
        guard state != .resolved, !isReplay else { return nil }
        let quoted = Self.shellQuoted
        let match: String
        switch subject {
        case .post(let key, _): match = "--post \(quoted(key.description))"
        case .volume(let source, _, _), .sourceDown(let source, _, _): match = "--rule \(quoted(rule)) --source \(quoted(source))"
        }
        return "foreshock silence add \(match) --for 2h --comment 'on it'" + (silenceTarget.map { " " + $0 } ?? "")
    }

    /// The matchers that hold back exactly this alert, as `POST /api/v1/silences` takes them:
    /// the post for a post, the rule and source otherwise. Values are in double quotes, which
    /// the matcher parser takes off, so an id that itself starts and ends with a quote stays whole.
    package var silenceMatchers: [String] {
        switch subject {
        case .post(let key, _): return Self.silenceMatchers(rule: rule, source: key.source, post: key)
        case .volume(let source, _, _), .sourceDown(let source, _, _): return Self.silenceMatchers(rule: rule, source: source, post: nil)
        }
    }

    /// `silenceMatchers` for an alert known by its parts.
    package static func silenceMatchers(rule: String, source: String, post: PostKey?) -> [String] {
        let matchers = post.map { [SilenceMatcher(.post, .equal, $0.description)] }
            ?? [SilenceMatcher(.rule, .equal, rule), SilenceMatcher(.source, .equal, source)]
        return matchers.map(\.quoted)
    }

    /// `text` as one word of a POSIX shell: as it is when it is plain, else in single quotes.
    package static func shellQuoted(_ text: String) -> String {
        text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.:@/".contains($0)) } && !text.isEmpty
            ? text : "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// Names this one notification (alert, why, when to the millisecond): what the notification
    /// log remembers, so a restart does not send it again. Under the reason the core gave it
    /// (`idReason`), however a sink reads it.
    package var notificationID: String { "\(alertKey)|\((idReason ?? reason).rawValue)|\(Int64((time * 1000).rounded()))" }

    /// The alert object of replay's `--format json`, the `file` sink and the webhook payload.
    package var jsonLine: String {
        func number(_ value: Double?) -> String { JSONText.number(value.map { ($0 * 1000).rounded() / 1000 }) }
        let fields: [(String, String)] = [
            ("type", "\"alert\""), ("time", JSONText.quote(Timestamp.format(Date(timeIntervalSince1970: time)))),
            ("post", post == nil ? "null" : JSONText.quote(key.id)), ("source", JSONText.quote(source)),
            ("rule", JSONText.quote(rule)), ("severity", JSONText.quote(severity.rawValue)), ("state", JSONText.quote(state.rawValue)),
            ("reason", JSONText.quote(reason.rawValue)),
            ("reshares", String(reshares)), ("predicted", supercritical ? "null" : number(predicted)),
            ("supercritical", supercritical ? "true" : "false"), ("velocity_per_min", number(velocityPerMin)), ("reach", number(reach)),
            ("reach_assumed_reshares", String(reachAssumed)), ("volume_ratio", number(volumeRatio)), ("volume_z", number(volumeZ)), ("complaint", complaint ? "true" : "false"),
            ("unanswered_for_s", number(unansweredFor)), ("why", JSONText.string(why)), ("held", JSONText.string(held)),
            ("watching", JSONText.string(watching)), ("silence", JSONText.string(silenceCommand)),
            ("author", JSONText.string(author)), ("url", JSONText.string(WebLink.safe(url))), ("text", JSONText.string(excerpt)),
            ("alert_key", JSONText.quote(alertKey)), ("author_followers", number(authorFollowers)),
            ("first_seen", createdAt.map { JSONText.quote(Timestamp.format(Date(timeIntervalSince1970: $0))) } ?? "null"),
            ("fired_at", firedAt.map { JSONText.quote(Timestamp.format(Date(timeIntervalSince1970: $0))) } ?? "null"),
        ] + (isTest ? [("test", "true")] : [])
        return "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }

    /// Replay and notifications are ordered by time, then post, then rule.
    package static func ordered(_ a: AlertNotification, _ b: AlertNotification) -> Bool {
        (a.time, a.key.source, a.key.id, a.rule) < (b.time, b.key.source, b.key.id, b.rule)
    }
}
