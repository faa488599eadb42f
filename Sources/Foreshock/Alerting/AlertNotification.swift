import Foundation

/// One notification the watch process sends (and replay prints): an alert starting, escalating,
/// repeating or resolving.
public struct AlertNotification: Sendable, Equatable {
    public enum State: String, Sendable { case firing, resolved }
    public enum Reason: String, Sendable { case started, escalated, repeated, resolved }

    /// What the alert is about: a post, or a source for a volume spike.
    public var key: PostKey
    public var isVolume: Bool
    public var time: Double
    public var rule: String
    public var severity: Severity
    public var state: State
    public var reason: Reason
    /// Sink names; empty means every sink.
    public var sinks: [String]
    public var reshares: Int
    public var predicted: Double?
    public var supercritical: Bool
    public var velocityPerMin: Double
    public var reach: Double
    public var volumeRatio: Double?
    /// A volume spike in standard deviations above the source's baseline.
    public var volumeZ: Double? = nil
    public var author: String?
    public var url: String?
    public var excerpt: String?
    public var complaint: Bool
    public var unansweredFor: Double?
    /// What the templates show beyond the rule's numbers: the author's audience, when the post
    /// appeared, when this alert first fired, the other counters, and the reshares at eight
    /// even steps from the post's creation to now (the sparkline).
    public var authorFollowers: Double? = nil
    public var createdAt: Double? = nil
    public var firedAt: Double? = nil
    public var replies: Int? = nil
    public var likes: Int? = nil
    public var growth: [Int] = []
    /// One line on which terms made the prediction high ("kept 6.4 reshares a minute …").
    public var why: String? = nil

    /// Names the alert across its notifications and restarts: `source:post`, or `source` for a
    /// volume spike. PagerDuty's dedup_key, the webhook's `alert_key`, the email thread.
    public var alertKey: String { isVolume ? "volume:\(key.source)" : key.description }

    /// Names this one notification (alert, why, when to the millisecond): what the notification
    /// log remembers, so a restart does not send it again.
    public var notificationID: String { "\(alertKey)|\(reason.rawValue)|\(Int64((time * 1000).rounded()))" }

    /// The alert object of replay's `--format json`, the `file` sink and the webhook payload.
    public var jsonLine: String {
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
    public static func ordered(_ a: AlertNotification, _ b: AlertNotification) -> Bool {
        (a.time, a.key.source, a.key.id, a.rule) < (b.time, b.key.source, b.key.id, b.rule)
    }
}
