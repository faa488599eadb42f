import Foundation
import Testing
@testable import ForeshockSupport
@testable import ForeshockConfig
@testable import ForeshockTestSupport

/// Alert mail to a real aiosmtpd on loopback, read back with Python's own email parser.
@Suite("Email sink against a real aiosmtpd")
struct EmailSinkTests {


    static func config(port: Int, extra: String = "") throws -> Config {
        try NotifierFixtures.config(sinks: #"""
            { name: "mail", kind: "email", smtp_url: "smtp://127.0.0.1:\#(port)", starttls: "off", from: "foreshock@example.com", to: ["oncall@example.com"] }
            """#, extra: #"alerting: { group_wait: "0s" }"# + extra)
    }

    @Test("A Hebrew complaint: RFC 2047 subject readable, multipart text and HTML, follow-up threaded, hostile text inert")
    func hebrewThreaded() async throws {
        let inbox = try makeTemporaryDirectory()
        let server = try await FixtureServer.start("smtp_server.py", ["--outdir", inbox.path])
        defer { server.stop() }
        let notifier = try NotifierFixtures.notifier(try Self.config(port: server.port))
        defer { notifier.stop() }
        var first = NotifierFixtures.note("1", text: "שירות לקוחות מזעזע\r\nBcc: victim@example.com\n<script>alert(1)</script> {{advice}} \u{202E}txet")
        first.post?.author = "דנה"
        // An escalation raises the severity (AlertLifecycle): the alert starts as a warning.
        first.severity = .warning
        notifier.submit([first])
        first.severity = .critical
        var followUp = first
        followUp.reason = .escalated
        notifier.submit([followUp])
        #expect(await notifier.drain(timeout: 30))
        let one = try await MailFixtures.parsed(inbox.appendingPathComponent("1.eml").path)
        let two = try await MailFixtures.parsed(inbox.appendingPathComponent("2.eml").path)
        #expect(one["subject"]?.stringValue?.contains("דנה") == true)
        #expect(one["type"]?.stringValue == "multipart/alternative")
        let parts = one["parts"]?.arrayValue ?? []
        #expect(parts.map { $0.arrayValue?.first?.stringValue ?? "" } == ["text/plain", "text/html"])
        let text = parts.first?.arrayValue?.last?.stringValue ?? ""
        let html = parts.last?.arrayValue?.last?.stringValue ?? ""
        #expect(text.contains("שירות לקוחות מזעזע"))
        #expect(!text.contains("\u{202E}"))
        #expect(html.contains("&lt;script&gt;") && !html.contains("<script>"))
        #expect(text.contains("{{advice}}")) // the post's braces are text, not a placeholder
        // Nothing from the post became a header or a recipient.
        #expect(!(one["headers"]?.arrayValue ?? []).contains { $0.stringValue?.lowercased() == "bcc" })
        let envelope = try JSONValue.parse(Data(contentsOf: inbox.appendingPathComponent("1.json")))
        #expect(envelope["rcpt_tos"]?.arrayValue?.compactMap(\.stringValue) == ["oncall@example.com"])
        // The escalation threads under the first message.
        let root = try #require(one["message_id"]?.stringValue)
        #expect(two["in_reply_to"]?.stringValue == root)
        #expect(two["references"]?.stringValue == root)
        #expect(two["message_id"]?.stringValue != root)
        #expect(one["date"]?.stringValue?.hasSuffix("+0000") == true)
    }

    @Test("Changes of one alert grouped into one mail thread under its first; a mail about two alerts only references both")
    func groupedThreading() async throws {
        let inbox = try makeTemporaryDirectory()
        let server = try await FixtureServer.start("smtp_server.py", ["--outdir", inbox.path])
        defer { server.stop() }
        let config = try NotifierFixtures.config(sinks: #"""
            { name: "mail", kind: "email", smtp_url: "smtp://127.0.0.1:\#(server.port)", starttls: "off", from: "foreshock@example.com", to: ["oncall@example.com"] }
            """#, extra: #"alerting: { group_wait: "1h", repeat_interval: "60s" }"#)
        let notifier = try NotifierFixtures.notifier(config)
        defer { notifier.stop() }
        notifier.submit([NotifierFixtures.note("1", severity: .warning)])
        // Its reminders a repeat_interval apart, as the core sends them (a sooner one is no news).
        notifier.submit([NotifierFixtures.note("1", reason: .escalated, after: 10), NotifierFixtures.note("1", reason: .repeated, after: 80)])
        #expect(await notifier.drain(timeout: 30))
        let one = try await MailFixtures.parsed(inbox.appendingPathComponent("1.eml").path)
        let two = try await MailFixtures.parsed(inbox.appendingPathComponent("2.eml").path)
        let root = try #require(one["message_id"]?.stringValue)
        #expect(two["subject"]?.stringValue?.hasSuffix("(and 1 more)") == true, "\(two)")
        #expect(two["in_reply_to"]?.stringValue == root && two["references"]?.stringValue == root, "\(two)")

        // The drain closed the window: the next goes alone, the two after it together.
        notifier.submit([NotifierFixtures.note("1", reason: .repeated, after: 150)])
        notifier.submit([NotifierFixtures.note("2", after: 160), NotifierFixtures.note("1", reason: .repeated, after: 230)])
        #expect(await notifier.drain(timeout: 30))
        let four = try await MailFixtures.parsed(inbox.appendingPathComponent("4.eml").path)
        #expect(four["subject"]?.stringValue?.hasSuffix("(and 1 more)") == true, "\(four)")
        #expect(four["in_reply_to"] == .null, "\(four)")
        // Its HTML part is one document holding both alerts, not two pages joined.
        let html = try #require(four["parts"]?.arrayValue?.first { $0.arrayValue?.first?.stringValue == "text/html" }?.arrayValue?.last?.stringValue)
        #expect(html.components(separatedBy: "<!DOCTYPE html>").count == 2 && html.components(separatedBy: "<body").count == 2, "\(html)")
        #expect(html.components(separatedBy: "</html>").count == 2 && html.components(separatedBy: "<hr>").count == 2, "\(html)")
        #expect((four["references"]?.stringValue ?? "").split(separator: " ").count == 2, "\(four)")
        // Each alert in a header of its own, for filters: a key may hold a space.
        #expect(four["alerts"] == .array([.string(NotifierFixtures.note("2").alertKey), .string(NotifierFixtures.note("1").alertKey)]), "\(four)")
        #expect(two["alerts"] == .array([.string(NotifierFixtures.note("1").alertKey)]), "\(two)")
        // An alert that starts and escalates within one window: that mail is its thread's root.
        notifier.submit([NotifierFixtures.note("1", reason: .repeated, after: 300)])
        notifier.submit([NotifierFixtures.note("3", after: 310, severity: .warning), NotifierFixtures.note("3", reason: .escalated, after: 320)])
        #expect(await notifier.drain(timeout: 30))
        let six = try await MailFixtures.parsed(inbox.appendingPathComponent("6.eml").path)
        #expect(six["subject"]?.stringValue?.hasSuffix("(and 1 more)") == true, "\(six)")
        #expect(six["in_reply_to"] == .null && six["references"] == .null, "\(six)")
        #expect(six["message_id"]?.stringValue?.hasPrefix("<alert.") == true, "\(six)")
    }

    @Test("SMTP 451 is retried until accepted; 550 goes to the dead letters with what the server said")
    func transientAndPermanent() async throws {
        let inbox = try makeTemporaryDirectory()
        let flaky = try await FixtureServer.start("smtp_server.py", ["--outdir", inbox.path, "--fail-first", "1"])
        defer { flaky.stop() }
        let notifier = try NotifierFixtures.notifier(try Self.config(port: flaky.port))
        defer { notifier.stop() }
        notifier.submit([NotifierFixtures.note("1")])
        #expect(await notifier.drain(timeout: 30))
        #expect(FileManager.default.fileExists(atPath: inbox.appendingPathComponent("1.eml").path))
        #expect(notifier.stats.retried["mail"] == 1 && notifier.stats.delivered["mail"] == 1)

        let rejecting = try await FixtureServer.start("smtp_server.py", ["--outdir", inbox.path, "--reject"])
        defer { rejecting.stop() }
        let state = try makeTemporaryDirectory().path
        let second = try NotifierFixtures.notifier(try Self.config(port: rejecting.port), stateDir: state)
        defer { second.stop() }
        second.submit([NotifierFixtures.note("2")])
        #expect(await second.drain(timeout: 30))
        #expect(second.stats.dead["mail"] == 1 && second.stats.retried["mail"] == 0)
        // What the server said, not only its code: an operator fixes a relay or an address by it.
        #expect(try String(contentsOfFile: state + "/dead-letter.jsonl", encoding: .utf8).contains("the server said \\\"550 5.1.1 mailbox unavailable\\\""))
    }

    @Test("A server on this machine without STARTTLS, with starttls left required: the dead letter says to set starttls \"off\"")
    func noStartTLSSaysWhatToSet() async throws {
        let inbox = try makeTemporaryDirectory()
        let server = try await FixtureServer.start("smtp_server.py", ["--outdir", inbox.path])
        defer { server.stop() }
        let state = try makeTemporaryDirectory().path
        let config = try NotifierFixtures.config(sinks: #"""
            { name: "mail", kind: "email", smtp_url: "smtp://127.0.0.1:\#(server.port)", from: "foreshock@example.com", to: ["oncall@example.com"] }
            """#, extra: #"alerting: { group_wait: "0s" }"#)
        let notifier = try NotifierFixtures.notifier(config, stateDir: state)
        defer { notifier.stop() }
        notifier.submit([NotifierFixtures.note("1")])
        #expect(await notifier.drain(timeout: 30))
        let dead = try String(contentsOfFile: state + "/dead-letter.jsonl", encoding: .utf8)
        #expect(dead.contains(#"STARTTLS not supported"#) && dead.contains(#"set starttls: \"off\" on the sink"#), "\(dead)")
        #expect(!FileManager.default.fileExists(atPath: inbox.appendingPathComponent("1.eml").path))
    }

    @Test("test-alert over STARTTLS with AUTH, the CA made for the test")
    func testAlertStartTLS() async throws {
        let certs = try await TestCertificates.make()
        let inbox = try makeTemporaryDirectory()
        let server = try await FixtureServer.start("smtp_server.py", ["--outdir", inbox.path, "--starttls", certs.certFile, certs.keyFile, "--auth", "alert:s3cret"])
        defer { server.stop() }
        let path = try writeTemporaryFile("""
        { sources: [{ name: "hn", kind: "hackernews", query: "acme" }],
          sinks: [{ name: "mail", kind: "email", smtp_url: "smtp://localhost:\(server.port)", username: "alert", password_env: "SMTP_PASSWORD",
                    ca_file: "\(certs.caFile)", from: "foreshock@example.com", to: ["oncall@example.com"] }],
          rules: [{ name: "r", severity: "critical", when: { min_reshares: 10 } }] }
        """)
        let (status, _, err) = await runForeshock(["test-alert", "--config", path], environment: ["SMTP_PASSWORD": "s3cret"])
        #expect(status == .success)
        #expect(err.contains("mail: delivered"))
        let envelope = try JSONValue.parse(Data(contentsOf: inbox.appendingPathComponent("1.json")))
        #expect(envelope["tls"]?.boolValue == true && envelope["auth"]?.boolValue == true)
    }
}
