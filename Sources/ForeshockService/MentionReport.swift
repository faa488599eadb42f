import ForeshockFeeds
import ForeshockSupport
import Foundation

/// New mentions on the terminal: one short line each, or JSON Lines for piping.
struct MentionReport: Sendable {
    var terminal: Terminal
    var format: String

    func show(_ outcome: PollOutcome) {
        guard format != "none" else { return }
        for mention in outcome.mentions {
            if format == "jsonl" {
                terminal.print(mention.jsonLine)
                continue
            }
            let text = (mention.text ?? "").replacingOccurrences(of: "\n", with: " ")
            let excerpt = SafeText.cut(text, 100)
            let counts = [("reshares", mention.reshares), ("replies", mention.replies), ("likes", mention.likes)]
                .compactMap { name, value in value.map { "\($0) \(name)" } }.joined(separator: ", ")
            let kind = mention.reshareOf.map { "reshare of \($0)" } ?? (mention.replyTo.map { "reply to \($0)" } ?? "post")
            // Everything here but the counts came from the network.
            terminal.print(SafeText.terminal("[\(outcome.source)] \(mention.author ?? "?") \(kind)\(counts.isEmpty ? "" : " (\(counts))"): \(excerpt) \(WebLink.safe(mention.url) ?? "")"))
        }
    }
}
