import Foundation
import Testing
@testable import ForeshockSupport
@testable import ForeshockConfig
@testable import ForeshockCore
@testable import ForeshockDelivery
@testable import ForeshockTestSupport

/// What each receiver documents it refuses: Slack's 50 blocks and 3,000-character sections,
/// PagerDuty's 255-character dedup_key, RFC 5322's 998-character lines and RFC 2047's
/// 75-character encoded-words.
@Suite("What receivers refuse is never sent")
struct ReceiverLimitsTests {
    static let templates = AlertTemplates(directory: nil)

    /// Alerts about `count` posts, with `text`, by `author`, with `id` for each post's id.
    static func notes(_ count: Int, text: String = "lost my bag", author: String? = nil, id: (Int) -> String = { "p\($0)" }) -> [AlertNotification] {
        (0..<count).map { index in
            var note = NotifierFixtures.note(id(index), text: text)
            if let author { note.post?.author = author }
            return note
        }
    }

    func slack() throws -> SlackSink {
        var config = SinkConfig(name: "slack", kind: .slack)
        config.url = .literal("http://127.0.0.1:9/hook")
        return SlackSink(config: config, template: try Self.templates.load("slack.json", context: .slack))
    }

    @Test("Slack: alerts go out together only as far as 50 blocks hold them, every one of them sent")
    func slackBlocks() throws {
        let messages = try slack().render(Self.notes(20), id: "msg_1")
        let bodies = try messages.map { try JSONValue.parse($0.body) }
        #expect(messages.count > 1)
        #expect(bodies.allSatisfy { ($0["blocks"]?.arrayValue?.count ?? 99) <= 50 }, "\(bodies.map { $0["blocks"]?.arrayValue?.count ?? -1 })")
        let headlines = bodies.flatMap { ($0["blocks"]?.arrayValue ?? []).filter { $0["type"]?.stringValue != "divider" } }.map(\.jsonText).joined()
        #expect((0..<20).allSatisfy { headlines.contains("mastodon:p\($0)") || headlines.contains("p\($0)") })
        #expect(Set(messages.map(\.id)).count == messages.count && messages[0].id == "msg_1")
    }

    @Test("Slack: no text over its limits, a post of many lines quoted whole, a link too long for a section left out")
    func slackTexts() throws {
        let family = String(repeating: "👨‍👩‍👧‍👦", count: 400) // 11 UTF-16 units each
        var long = Self.notes(1, text: family)
        long[0].post?.url = "https://example.com/?q=" + String(repeating: "x", count: 3000)
        let body = try JSONValue.parse(try slack().render(long, id: "m")[0].body)
        func strings(_ value: JSONValue) -> [String] {
            switch value {
            case .string(let text): return [text]
            case .array(let items): return items.flatMap(strings)
            case .object(let fields): return fields.values.flatMap(strings)
            default: return []
            }
        }
        #expect(strings(body).allSatisfy { $0.utf16.count <= 3000 }, "\(strings(body).map(\.utf16.count).max() ?? 0)")
        #expect(!body.jsonText.contains("xxxxxxxxxx"))
        let lines = try JSONValue.parse(try slack().render(Self.notes(1, text: "line one\nline two\nthird line C:\\new"), id: "m")[0].body)
        #expect(lines.jsonText.contains(#">line one\n>line two\n>third line C:\\new"#), "\(lines.jsonText)")
        // The link stays whole beside the longest text.
        var both = Self.notes(1, text: family)
        both[0].post?.url = "https://example.com/" + String(repeating: "y", count: 900)
        let kept = try JSONValue.parse(try slack().render(both, id: "m")[0].body).jsonText
        #expect(kept.contains(String(repeating: "y", count: 900) + "|Open the post"), "the link was cut")
    }

    @Test("Slack: a post id of 2,000 characters leaves the silence command whole, in a context element of its own")
    func slackSilenceCommandWhole() throws {
        let long = Self.notes(1, id: { _ in String(repeating: "é", count: 2000) })
        let body = try JSONValue.parse(try slack().render(long, id: "m")[0].body)
        let texts = (body["blocks"]?.arrayValue ?? []).flatMap { $0["elements"]?.arrayValue ?? [] }.compactMap { $0["text"]?.stringValue }
        let command = try #require(texts.first { $0.hasPrefix("Silence it for two hours: `foreshock silence add --post") }, "\(texts.map { $0.prefix(60) })")
        #expect(command.hasSuffix("--for 2h --comment 'on it'`") && command.utf16.count <= 3000, "\(command.suffix(60))")
    }

    @Test("Mail: a critical page grouped after a warning leads, in the subject and first in the body; a resolution never leads")
    func mailLeadsWithCritical() throws {
        let email = try Self.templates.loadEmail(override: nil)
        var config = SinkConfig(name: "mail", kind: .email)
        config.from = "foreshock@example.com"
        config.to = ["oncall@example.com"]
        let sink = EmailSink(config: config, text: email.body, subject: email.subject, html: try Self.templates.load("email.html", context: .html))
        func mail(_ notes: [AlertNotification]) throws -> JSONValue {
            let path = try writeTemporaryFile(String(decoding: sink.render(notes, id: "m")[0].body, as: UTF8.self), name: "m.eml")
            return try MailFixtures.parsedNow(path)
        }
        let warning = NotifierFixtures.note("1", text: "mild", severity: .warning)
        let critical = NotifierFixtures.note("2", text: "spreading complaint", after: 5, severity: .critical)
        let grouped = try mail([warning, critical])
        let subject = grouped["subject"]?.stringValue ?? ""
        #expect(subject.contains("CRITICAL") && !subject.contains("WARNING") && subject.hasSuffix("(and 1 more)"), "\(subject)")
        let text = grouped["parts"]?.arrayValue?.first { $0.arrayValue?.first?.stringValue == "text/plain" }?.arrayValue?.last?.stringValue ?? ""
        let first = try #require(text.range(of: "spreading complaint")), second = try #require(text.range(of: "mild"))
        #expect(first.lowerBound < second.lowerBound)
        let resolved = NotifierFixtures.note("3", reason: .resolved, after: 9, severity: .critical)
        let withResolution = try mail([resolved, warning])
        #expect(withResolution["subject"]?.stringValue?.contains("WARNING") == true, "\(withResolution)")
    }

    @Test("PagerDuty: a dedup_key past 255 characters is a digest, the same for the trigger and the resolve; the event says when it happened")
    func pagerDutyKey() throws {
        var config = SinkConfig(name: "pd", kind: .pagerduty)
        config.routingKey = .literal("R0UT1NGKEY0000000000000000000000")
        let sink = PagerDutySink(config: config, template: try Self.templates.load("pagerduty.json", context: .json))
        let id = "https://news.example.com/2026/11/24/" + String(repeating: "a-very-long-article-slug-", count: 12)
        var trigger = Self.notes(1, id: { _ in id })[0]
        trigger.time = 1_764_000_000
        var resolve = trigger
        resolve.reason = .resolved
        let sent = try [trigger, resolve].map { try JSONValue.parse(sink.render([$0], id: "m")[0].body) }
        let keys = sent.compactMap { $0["dedup_key"]?.stringValue }
        #expect(keys.count == 2 && keys[0] == keys[1] && keys[0].utf8.count <= 255 && keys[0].hasPrefix("mastodon:sha256:"), "\(keys)")
        #expect(sent[0][path: "payload.timestamp"]?.stringValue == "2025-11-24T16:00:00Z")
        let short = try JSONValue.parse(sink.render(Self.notes(1), id: "m")[0].body)
        #expect(short["dedup_key"]?.stringValue == "mastodon:p0")
    }

    @Test("A mail thread's Message-ID is a dot-atom whatever the post's id: no empty atom from `a..b`, a trailing dot, or a long key cut at a dot")
    func threadIDIsDotAtom() {
        for id in ["a..b.", ".x", String(repeating: "y", count: 110) + "." + String(repeating: "z", count: 50), "é…"] {
            let messageID = EmailSink.threadID(NotifierFixtures.note(id))
            let left = messageID.dropFirst().prefix { $0 != "@" }
            #expect(messageID.hasPrefix("<alert.") && messageID.hasSuffix("@foreshock>"), "\(messageID)")
            #expect(!left.split(separator: ".", omittingEmptySubsequences: false).contains { $0.isEmpty }, "\(messageID)")
        }
        // A key with no such dots keeps the id it had, so alerts started before still thread.
        #expect(EmailSink.threadID(NotifierFixtures.note("7")).hasPrefix("<alert.mastodon-7."))
    }

    @Test("Mail: every line within RFC 5322's 998 characters, every encoded-word within RFC 2047's 75 and every line of them within its 76, with many threads and a letter under 30 combining marks")
    func mailLines() throws {
        let references = (0..<20).map { "<alert.bsky-at---did-plc-\(String(repeating: "z", count: 40))-\($0).1795597831@foreshock>" }
        var message = MailMessage(from: "foreshock@example.com", to: (0..<40).map { "oncall\($0)@example.com" },
                                  subject: "FIRING: Z" + String(repeating: "\u{0300}", count: 30) + "'s post " + String(repeating: "שירות ", count: 40),
                                  messageID: "<m@foreshock>", date: Date(timeIntervalSince1970: 1_764_000_000), text: "t", html: "h")
        message.references = references
        message.extraHeaders = [("X-Foreshock-Alert", references.joined(separator: " "))]
        let text = String(decoding: message.data, as: UTF8.self)
        let lines = text.components(separatedBy: "\r\n")
        #expect(lines.allSatisfy { $0.utf8.count <= 998 }, "\(lines.map(\.utf8.count).max() ?? 0)")
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\r\n" }).filter { $0.hasPrefix("=?UTF-8?B?") }
        #expect(!words.isEmpty && words.allSatisfy { $0.count <= 75 }, "\(words.map(\.count).max() ?? 0)")
        // A line holding one is at most 76 characters, the header's name included (RFC 2047 §2).
        let encodedLines = lines.filter { $0.contains("=?UTF-8?B?") }
        #expect(encodedLines.first?.hasPrefix("Subject: =?UTF-8?B?") == true && encodedLines.allSatisfy { $0.count <= 76 }, "\(encodedLines.map(\.count))")
        let named = MailMessage.header("X-Foreshock-Alert", "mastodon:" + String(repeating: "é", count: 80))
        #expect(named.components(separatedBy: "\r\n").allSatisfy { $0.count <= 76 }, "\(named)")
        // A name so long no word fits beside it: the words start on the next line.
        let longName = MailMessage.header("X-" + String(repeating: "N", count: 60), "é")
        #expect(longName.components(separatedBy: "\r\n").allSatisfy { $0.count <= 76 } && longName.contains(":\r\n =?UTF-8?B?"), "\(longName)")
        // The alert keys stay plain text (filters match on them), folded between keys.
        #expect(text.contains("X-Foreshock-Alert: <alert.bsky"))
        // Unfolded, the headers say what they said.
        let unfolded = text.replacingOccurrences(of: "\r\n ", with: " ")
        #expect(unfolded.contains("References: " + references.joined(separator: " ")))
        #expect(unfolded.contains("To: oncall0@example.com, oncall1@example.com,"))
    }
}
