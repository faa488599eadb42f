import ForeshockConfig
import ForeshockCore
import ForeshockSupport
import Foundation

/// A Slack incoming webhook: `blocks` rendered from `slack.json` per alert (a divider between
/// alerts that go out together), and a `text` fallback for notifications and old clients.
package struct SlackSink: AlertSink {
    package let name: String
    package let maxPerMinute: Int?
    private let poster: JSONPoster
    private let template: NotificationTemplate
    /// Slack takes at most 50 blocks a message.
    static let maxAlertsPerMessage = 8

    package init(config: SinkConfig, template: NotificationTemplate) {
        name = config.name
        // Slack allows about one message a second per webhook.
        maxPerMinute = config.maxPerMinute ?? 60
        poster = JSONPoster(config, url: config.url?.value ?? "")
        self.template = template
    }

    package func render(_ notes: [AlertNotification], id: String) -> [(id: String, body: Data)] {
        var messages: [(id: String, body: Data)] = []
        var start = 0
        while start < notes.count {
            let part = Array(notes[start..<min(notes.count, start + Self.maxAlertsPerMessage)])
            var texts: [String] = [], blocks: [String] = []
            for note in part {
                let rendered = template.render(TemplateValues(note), context: .slack)
                guard let value = try? JSONValue.parse(Data(rendered.utf8)) else { continue }
                if let text = value["text"]?.stringValue { texts.append(text) }
                if !blocks.isEmpty { blocks.append(#"{"type":"divider"}"#) }
                blocks += (value["blocks"]?.arrayValue ?? []).map(\.jsonText)
            }
            var text = texts.first ?? "Foreshock alert"
            if texts.count > 1 { text += " (and \(texts.count - 1) more)" }
            // Slack reads text and blocks and ignores the rest: a receiver's own tooling can tell a test.
            let test = part.contains(where: \.isTest) ? ",\"test\":true" : ""
            let body = "{\"text\":\(JSONText.quote(text)),\"blocks\":[\(blocks.joined(separator: ","))]\(test)}"
            messages.append((start == 0 ? id : "\(id).\(start / Self.maxAlertsPerMessage)", Data(body.utf8)))
            start += Self.maxAlertsPerMessage
        }
        return messages
    }

    package func send(_ body: Data, id: String) async throws(DeliveryError) {
        try await poster.post(body)
    }
}
