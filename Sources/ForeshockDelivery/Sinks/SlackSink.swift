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
    /// Slack takes at most 50 blocks a message: alerts go out together as far as their blocks
    /// (and a divider between two) fit.
    static let maxBlocks = 50
    /// Slack refuses a section's text over 3,000 characters (a field's over 2,000). Each value
    /// is cut to 900 UTF-16 units and a link is at most `WebLink.longest`, so this last cut, of
    /// any string of a block, is for a template of one's own.
    static let longestText = 2_990

    package init(config: SinkConfig, template: NotificationTemplate) {
        name = config.name
        // Slack allows about one message a second per webhook.
        maxPerMinute = config.maxPerMinute ?? 60
        poster = JSONPoster(config, url: config.url?.value ?? "")
        self.template = template
    }

    package func render(_ notes: [AlertNotification], id: String) -> [(id: String, body: Data)] {
        var alerts: [(text: String?, blocks: [String], test: Bool)] = []
        for note in notes {
            let rendered = template.render(TemplateValues(note), context: .slack)
            guard let value = try? JSONValue.parse(Data(rendered.utf8)) else { continue }
            let blocks = (value["blocks"]?.arrayValue ?? []).prefix(Self.maxBlocks).map { Self.cut($0).jsonText }
            alerts.append((value["text"]?.stringValue, blocks, note.isTest))
        }
        var messages: [(id: String, body: Data)] = []
        var start = 0
        while start < alerts.count {
            var end = start, blocks: [String] = []
            while end < alerts.count {
                let more = (blocks.isEmpty ? 0 : 1) + alerts[end].blocks.count
                if !blocks.isEmpty, blocks.count + more > Self.maxBlocks { break }
                if !blocks.isEmpty { blocks.append(#"{"type":"divider"}"#) }
                blocks += alerts[end].blocks
                end += 1
            }
            let part = alerts[start..<end]
            let texts = part.compactMap(\.text)
            var text = texts.first ?? "Foreshock alert"
            if texts.count > 1 { text += " (and \(texts.count - 1) more)" }
            // Slack reads text and blocks and ignores the rest: a receiver's own tooling can tell a test.
            let test = part.contains(where: \.test) ? ",\"test\":true" : ""
            let body = "{\"text\":\(JSONText.quote(SafeText.cut(text, Self.longestText))),\"blocks\":[\(blocks.joined(separator: ","))]\(test)}"
            messages.append((messages.isEmpty ? id : "\(id).\(messages.count)", Data(body.utf8)))
            start = end
        }
        return messages
    }

    /// Every string in a block cut to `longestText` UTF-16 units, at a character's edge.
    static func cut(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let text) where text.utf16.count > longestText:
            return .string(SafeText.cut(text, utf16Units: longestText))
        case .array(let items): return .array(items.map(cut))
        case .object(let fields): return .object(fields.mapValues(cut))
        default: return value
        }
    }

    package func send(_ body: Data, id: String) async throws(DeliveryError) {
        try await poster.post(body)
    }
}
