import ForeshockConfig
import ForeshockCore
import ForeshockSupport
import ForeshockTransport
import Foundation

/// A generic JSON POST, signed per the Standard Webhooks spec when it has a secret:
/// `webhook-id` (stable across retries and restarts, so a receiver can drop duplicates),
/// `webhook-timestamp`, and `webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>`.
///
/// The body is `{"version":"1","receiver":…,"id":…,"alerts":[…]}`, one object per alert
/// rendered from `webhook.json` (by default the fields of replay's alert line).
package struct WebhookSink: AlertSink {
    package let name: String
    package let maxPerMinute: Int?
    private let poster: JSONPoster
    private let template: NotificationTemplate
    private let key: [UInt8]?

    package init(config: SinkConfig, template: NotificationTemplate) {
        name = config.name
        maxPerMinute = config.maxPerMinute
        var poster = JSONPoster(config, url: config.url?.value ?? "")
        for (header, value) in config.headers { poster.headers.set(header, value) }
        self.poster = poster
        self.template = template
        key = config.secret?.value.flatMap(SinkConfig.signingKey)
    }
    /// `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, as the Standard Webhooks spec writes it.
    package static func signature(key: [UInt8], id: String, timestamp: Int, body: Data) -> String {
        let signed = Array("\(id).\(timestamp).".utf8) + [UInt8](body)
        return "v1," + Data(HMAC.sha256(key: key, message: signed)).base64EncodedString()
    }

    package func render(_ notes: [AlertNotification], id: String) -> [(id: String, body: Data)] {
        let alerts = notes.map { template.render(TemplateValues($0), context: .json) }.joined(separator: ",")
        let test = notes.contains(where: \.isTest) ? ",\"test\":true" : ""
        return [(id, Data("{\"version\":\"1\",\"receiver\":\(JSONText.quote(name)),\"id\":\(JSONText.quote(id))\(test),\"alerts\":[\(alerts)]}".utf8))]
    }

    package func send(_ body: Data, id: String) async throws(DeliveryError) {
        var headers = [("webhook-id", id)]
        if let key {
            // Signed at each attempt: receivers reject timestamps more than a few minutes old.
            let timestamp = Int(Date().timeIntervalSince1970)
            headers += [("webhook-timestamp", String(timestamp)), ("webhook-signature", Self.signature(key: key, id: id, timestamp: timestamp, body: body))]
        }
        try await poster.post(body, extra: headers)
    }
}
