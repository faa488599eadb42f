import Foundation
import Testing
@testable import ForeshockSupport
@testable import ForeshockTransport
@testable import ForeshockTestSupport

@Suite("SMTP client against a real aiosmtpd on loopback")
struct SMTPClientTests {
    /// A message whose body has lines that SMTP must not take for its own (a lone dot).
    static func message(subject: String = "Complaint heating up") -> SMTPMessage {
        let text = [
            "From: Foreshock <foreshock@example.com>",
            "To: oncall@example.com",
            "Subject: \(subject)",
            "Message-ID: <test-1@foreshock>",
            "",
            "Dana's post has 120 reshares.",
            ".",
            ".. and a line starting with a dot",
            "end",
        ].joined(separator: "\r\n") + "\r\n"
        return SMTPMessage(from: "foreshock@example.com", recipients: ["oncall@example.com", "lead@example.com"], data: Data(text.utf8))
    }

    struct Received {
        let message: String
        let envelope: [String: Any]
    }

    static func received(in directory: URL) throws -> [Received] {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".eml") }.sorted()
        return try files.map { name in
            let eml = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            let json = try Data(contentsOf: directory.appendingPathComponent(name.replacingOccurrences(of: ".eml", with: ".json")))
            return Received(message: eml, envelope: try JSONSerialization.jsonObject(with: json) as! [String: Any])
        }
    }

    static func expectIntact(_ received: [Received], tls: Bool, auth: Bool = false) {
        #expect(received.count == 1)
        guard let mail = received.first else { return }
        let sent = String(decoding: message().data, as: UTF8.self)
        #expect(mail.message.replacingOccurrences(of: "\r\n", with: "\n") == sent.replacingOccurrences(of: "\r\n", with: "\n"))
        #expect(mail.envelope["mail_from"] as? String == "foreshock@example.com")
        #expect(mail.envelope["rcpt_tos"] as? [String] == ["oncall@example.com", "lead@example.com"])
        #expect(mail.envelope["tls"] as? Bool == tls)
        #expect((mail.envelope["auth"] as? Bool ?? false) == auth)
    }

    @Test("plain SMTP to a loopback server, STARTTLS off")
    func plain() async throws {
        let outbox = try makeTemporaryDirectory()
        let server = try await FixtureServer.start("smtp_server.py", ["--outdir", outbox.path])
        defer { server.stop() }
        let client = SMTPClient(settings: SMTPSettings(url: "smtp://127.0.0.1:\(server.port)", startTLS: .off))
        try await client.send(Self.message())
        Self.expectIntact(try Self.received(in: outbox), tls: false)
    }

    @Test("STARTTLS with a CA made for the test, and AUTH")
    func startTLS() async throws {
        let certs = try await TestCertificates.make()
        let outbox = try makeTemporaryDirectory()
        let server = try await FixtureServer.start("smtp_server.py", ["--outdir", outbox.path, "--starttls", certs.certFile, certs.keyFile, "--auth", "foreshock:s3cret"])
        defer { server.stop() }
        let client = SMTPClient(settings: SMTPSettings(url: "smtp://localhost:\(server.port)", startTLS: .required, username: "foreshock", password: "s3cret", caFile: certs.caFile))
        try await client.send(Self.message())
        Self.expectIntact(try Self.received(in: outbox), tls: true, auth: true)
    }

    @Test("smtps:// implicit TLS")
    func implicitTLS() async throws {
        let certs = try await TestCertificates.make()
        let outbox = try makeTemporaryDirectory()
        let server = try await FixtureServer.start("smtp_server.py", ["--outdir", outbox.path, "--implicit-tls", certs.certFile, certs.keyFile])
        defer { server.stop() }
        let client = SMTPClient(settings: SMTPSettings(url: "smtps://localhost:\(server.port)", caFile: certs.caFile))
        try await client.send(Self.message())
        Self.expectIntact(try Self.received(in: outbox), tls: true)
    }

    @Test("STARTTLS required but not offered: nothing is sent in the clear")
    func startTLSRequiredButMissing() async throws {
        let outbox = try makeTemporaryDirectory()
        let server = try await FixtureServer.start("smtp_server.py", ["--outdir", outbox.path])
        defer { server.stop() }
        let client = SMTPClient(settings: SMTPSettings(url: "smtp://127.0.0.1:\(server.port)", startTLS: .required))
        do {
            try await client.send(Self.message())
            Issue.record("must refuse to send without TLS")
        } catch {
            #expect(error.code == .tls)
        }
        #expect(try Self.received(in: outbox).isEmpty)
    }

    @Test("an untrusted certificate fails STARTTLS")
    func untrustedCertificate() async throws {
        let certs = try await TestCertificates.make()
        let outbox = try makeTemporaryDirectory()
        let server = try await FixtureServer.start("smtp_server.py", ["--outdir", outbox.path, "--starttls", certs.certFile, certs.keyFile])
        defer { server.stop() }
        let client = SMTPClient(settings: SMTPSettings(url: "smtp://localhost:\(server.port)"))
        await #expect(throws: TransportError.self) { try await client.send(Self.message()) }
        #expect(try Self.received(in: outbox).isEmpty)
    }

    @Test("wrong password is an authentication error")
    func wrongPassword() async throws {
        let certs = try await TestCertificates.make()
        let outbox = try makeTemporaryDirectory()
        let server = try await FixtureServer.start("smtp_server.py", ["--outdir", outbox.path, "--starttls", certs.certFile, certs.keyFile, "--auth", "foreshock:s3cret"])
        defer { server.stop() }
        let client = SMTPClient(settings: SMTPSettings(url: "smtp://localhost:\(server.port)", username: "foreshock", password: "wrong", caFile: certs.caFile))
        do {
            try await client.send(Self.message())
            Issue.record("expected an authentication failure")
        } catch {
            #expect(error.code == .authentication)
            #expect(!error.isTransient)
        }
    }

    @Test("451 is transient and a retry succeeds; 550 is permanent")
    func replyCodes() async throws {
        let outbox = try makeTemporaryDirectory()
        let flaky = try await FixtureServer.start("smtp_server.py", ["--outdir", outbox.path, "--fail-first", "1"])
        defer { flaky.stop() }
        let client = SMTPClient(settings: SMTPSettings(url: "smtp://127.0.0.1:\(flaky.port)", startTLS: .off))
        do {
            try await client.send(Self.message())
            Issue.record("the first DATA must be refused")
        } catch {
            #expect(error.code == .rejected)
            #expect(error.replyCode == 451)
            #expect(error.isTransient)
        }
        try await client.send(Self.message())
        Self.expectIntact(try Self.received(in: outbox), tls: false)

        let rejecting = try await FixtureServer.start("smtp_server.py", ["--outdir", outbox.path, "--reject"])
        defer { rejecting.stop() }
        let refused = SMTPClient(settings: SMTPSettings(url: "smtp://127.0.0.1:\(rejecting.port)", startTLS: .off))
        do {
            try await refused.send(Self.message())
            Issue.record("RCPT must be refused")
        } catch {
            #expect(error.replyCode == 550)
            #expect(!error.isTransient)
        }
    }

    @Test("STARTTLS off is refused for a host that is not loopback")
    func startTLSOffOnlyForLoopback() async throws {
        #expect(SMTPSettings(url: "smtp://mail.example.com:587", startTLS: .off).problem != nil)
        #expect(SMTPSettings(url: "smtp://127.0.0.1:25", startTLS: .off).problem == nil)
        #expect(SMTPSettings(url: "smtp://localhost:25", startTLS: .off).problem == nil)
        #expect(SMTPSettings(url: "smtp://[::1]:25", startTLS: .off).problem == nil)
        #expect(SMTPSettings(url: "http://mail.example.com", startTLS: .required).problem != nil)
        let client = SMTPClient(settings: SMTPSettings(url: "smtp://mail.example.com:587", startTLS: .off))
        do {
            try await client.send(Self.message())
            Issue.record("must refuse before connecting")
        } catch {
            #expect(error.code == .invalidRequest)
        }
    }

    @Test("an address with a line break cannot add a recipient")
    func headerInjection() async throws {
        let client = SMTPClient(settings: SMTPSettings(url: "smtp://127.0.0.1:1", startTLS: .off))
        var message = Self.message()
        message.recipients = ["oncall@example.com>\r\nRCPT TO:<attacker@example.com"]
        await #expect(throws: TransportError.self) { try await client.send(message) }
    }
}
