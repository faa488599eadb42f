import ForeshockConfig
import ForeshockSupport
import Foundation

/// One notification the watch process sends (and replay prints): an alert starting, escalating,
/// repeating or resolving.
package struct AlertNotification: Sendable, Equatable {
    package enum State: String, Sendable { case firing, resolved }
    package enum Reason: String, Sendable { case started, escalated, repeated, resolved }

    /// What the alert is about: a post, or a source for a volume spike.
    package var key: PostKey
    package var isVolume: Bool
    package var time: Double
    package var rule: String
    package var severity: Severity
    package var state: State
    package var reason: Reason
    /// Sink names; empty means every sink.
    package var sinks: [String]
    package var reshares: Int
    package var predicted: Double?
    package var supercritical: Bool
    package var velocityPerMin: Double
    package var reach: Double
    package var volumeRatio: Double?
    /// A volume spike in standard deviations above the source's baseline.
    package var volumeZ: Double? = nil
    package var author: String?
    package var url: String?
    package var excerpt: String?
    package var complaint: Bool
    package var unansweredFor: Double?
    /// What the templates show beyond the rule's numbers: the author's audience, when the post
    /// appeared, when this alert first fired, the other counters, and the reshares at eight
    /// even steps from the post's creation to now (the sparkline).
    package var authorFollowers: Double? = nil
    package var createdAt: Double? = nil
    package var firedAt: Double? = nil
    package var replies: Int? = nil
    package var likes: Int? = nil
    package var growth: [Int] = []
    /// One line on which terms made the prediction high ("kept 6.4 reshares a minute …").
    package var why: String? = nil

    package init(key: PostKey, isVolume: Bool, time: Double, rule: String, severity: Severity, state: State, reason: Reason, sinks: [String],
                 reshares: Int, predicted: Double?, supercritical: Bool, velocityPerMin: Double, reach: Double, volumeRatio: Double?,
                 volumeZ: Double? = nil, author: String?, url: String?, excerpt: String?, complaint: Bool, unansweredFor: Double?) {
        self.key = key
        self.isVolume = isVolume
        self.time = time
        self.rule = rule
        self.severity = severity
        self.state = state
        self.reason = reason
        self.sinks = sinks
        self.reshares = reshares
        self.predicted = predicted
        self.supercritical = supercritical
        self.velocityPerMin = velocityPerMin
        self.reach = reach
        self.volumeRatio = volumeRatio
        self.volumeZ = volumeZ
        self.author = author
        self.url = url
        self.excerpt = excerpt
        self.complaint = complaint
        self.unansweredFor = unansweredFor
    }

    /// Names the alert across its notifications and restarts: `source:post`, or `source` for a
    /// volume spike. PagerDuty's dedup_key, the webhook's `alert_key`, the email thread.
    package var alertKey: String { isVolume ? "volume:\(key.source)" : key.description }

    /// Names this one notification (alert, why, when to the millisecond): what the notification
    /// log remembers, so a restart does not send it again.
    package var notificationID: String { "\(alertKey)|\(reason.rawValue)|\(Int64((time * 1000).rounded()))" }

    /// The alert object of replay's `--format json`, the `file` sink and the webhook payload.
    package var jsonLine: String {
        func number(_ value: Double?) -> String { JSONText.number(value.map { ($0 * 1000).rounded() / 1000 }) }
        let fields: [(String, String)] = [
            ("type", "\"alert\""), ("time", JSONText.quote(Timestamp.format(Date(timeIntervalSince1970: time)))),
            ("post", isVolume ? "null" : JSONText.quote(key.id)), ("source", JSONText.quote(key.source)),
            ("rule", JSONText.quote(rule)), ("severity", JSONText.quote(severity.rawValue)), ("state", JSONText.quote(state.rawValue)),
            ("reason", JSONText.quote(reason.rawValue)),
            ("reshares", String(reshares)), ("predicted", supercritical ? "null" : number(predicted)),
            ("supercritical", supercritical ? "true" : "false"), ("velocity_per_min", number(velocityPerMin)), ("reach", number(reach)),
            ("volume_ratio", number(volumeRatio)), ("volume_z", number(volumeZ)), ("complaint", complaint ? "true" : "false"),
            ("unanswered_for_s", number(unansweredFor)), ("why", JSONText.string(why)),
            ("author", JSONText.string(author)), ("url", JSONText.string(WebLink.safe(url))), ("text", JSONText.string(excerpt)),
            ("alert_key", JSONText.quote(alertKey)), ("author_followers", number(authorFollowers)),
            ("first_seen", createdAt.map { JSONText.quote(Timestamp.format(Date(timeIntervalSince1970: $0))) } ?? "null"),
            ("fired_at", firedAt.map { JSONText.quote(Timestamp.format(Date(timeIntervalSince1970: $0))) } ?? "null"),
        ]
        return "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }

    /// Replay and notifications are ordered by time, then post, then rule.
    package static func ordered(_ a: AlertNotification, _ b: AlertNotification) -> Bool {
        (a.time, a.key.source, a.key.id, a.rule) < (b.time, b.key.source, b.key.id, b.rule)
    }
}
