import ForeshockConfig
import ForeshockCore
import ForeshockSupport
import ForeshockTransport
import Foundation

/// PagerDuty Events API v2: one event per alert, `dedup_key` = the alert key so escalations
/// and repeats update one incident and a resolve closes it; the payload from `pagerduty.json`.
package struct PagerDutySink: AlertSink {
    package let name: String
    package let maxPerMinute: Int?
    private let poster: JSONPoster
    private let template: NotificationTemplate
    private let routingKey: String

    package init(config: SinkConfig, template: NotificationTemplate) {
        name = config.name
        // The Events API allows 120 events a minute per integration.
        maxPerMinute = config.maxPerMinute ?? 120
        poster = JSONPoster(config, url: config.url?.value ?? SinkConfig.pagerDutyURL)
        self.template = template
        routingKey = config.routingKey?.value ?? ""
    }

    /// The alert key, or past the API's 255 characters (a post whose id is a long URL) its
    /// source and a digest of it: the same for the trigger and the resolve.
    static func dedupKey(_ key: String) -> String {
        guard key.utf8.count > 255 else { return key }
        let digest = Digest.hex(HMAC.sha256(key: Array("foreshock dedup key".utf8), message: Array(key.utf8)))
        return String(key.prefix { $0 != ":" }.prefix(64)) + ":sha256:" + digest
    }

    package func render(_ notes: [AlertNotification], id: String) -> [(id: String, body: Data)] {
        notes.enumerated().map { index, note in
            var fields = [("routing_key", JSONText.quote(routingKey)), ("dedup_key", JSONText.quote(Self.dedupKey(note.alertKey))), ("client", "\"Foreshock\"")]
            if note.state == .resolved {
                fields.append(("event_action", "\"resolve\""))
                if note.isTest {
                    fields.append(("payload", "{\"summary\":\"Foreshock test alert, resolved\",\"source\":\"foreshock\",\"severity\":\"info\",\"custom_details\":{\"test\":true}}"))
                }
            } else {
                fields.append(("event_action", "\"trigger\""))
                let rendered = template.render(TemplateValues(note), context: .json)
                var payload = (try? JSONValue.parse(Data(rendered.utf8))) ?? .object([:])
                if case .object(var object) = payload {
                    // The API refuses a summary over 1,024 characters (as JavaScript counts them,
                    // in UTF-16 units), and a severity it does not know.
                    object["summary"] = .string(SafeText.cut(object["summary"]?.stringValue ?? "Foreshock alert", utf16Units: 1024))
                    let severity = object["severity"]?.stringValue ?? ""
                    object["severity"] = .string(["critical", "error", "warning", "info"].contains(severity) ? severity : "warning")
                    if (object["source"]?.stringValue ?? "").isEmpty { object["source"] = .string("foreshock") }
                    // When it happened, not when it arrived: a message may wait in the outbox, and
                    // replay --send sends old alerts.
                    if object["timestamp"] == nil { object["timestamp"] = .string(Timestamp.format(Date(timeIntervalSince1970: note.time))) }
                    // The Events API takes custom_details as it is: where a test says so.
                    if note.isTest {
                        var details = object["custom_details"]?.objectValue ?? [:]
                        details["test"] = .bool(true)
                        object["custom_details"] = .object(details)
                    }
                    payload = .object(object)
                }
                fields.append(("payload", payload.jsonText))
                let links = [(WebLink.safe(note.url), "The post"), (WebLink.safe(note.pageURL), "Its curve in Foreshock")].compactMap { url, text in
                    url.map { "{\"href\":\(JSONText.quote($0)),\"text\":\"\(text)\"}" }
                }
                if !links.isEmpty { fields.append(("links", "[" + links.joined(separator: ",") + "]")) }
            }
            let body = "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
            return (notes.count == 1 ? id : "\(id).\(index)", Data(body.utf8))
        }
    }

    /// A trigger opens an incident that stays open until a resolve closes it.
    package var opensIncidents: Bool { true }

    package func send(_ body: Data, id: String) async throws(DeliveryError) {
        try await poster.post(body)
    }
}
