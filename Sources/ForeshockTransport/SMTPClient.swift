import CCurl
import ForeshockSupport
import Foundation

/// How to reach a mail server.
package struct SMTPSettings: Sendable, Equatable {
    /// Whether to upgrade a plain `smtp://` connection with STARTTLS.
    package enum StartTLS: String, Sendable, Equatable, CaseIterable {
        /// Refuse to send unless the server upgrades to TLS.
        case required
        /// Send in the clear; allowed only to a loopback host.
        case off
    }

    /// `smtp://host:port` (STARTTLS) or `smtps://host:port` (implicit TLS).
    package var url: String
    package var startTLS: StartTLS
    package var username: String?
    package var password: String?
    package var caFile: String?
    package var insecureSkipVerify: Bool
    package var connectTimeout: Double
    package var timeout: Double

    package init(
        url: String, startTLS: StartTLS = .required, username: String? = nil, password: String? = nil,
        caFile: String? = nil, insecureSkipVerify: Bool = false, connectTimeout: Double = 10, timeout: Double = 60
    ) {
        self.url = url
        self.startTLS = startTLS
        self.username = username
        self.password = password
        self.caFile = caFile
        self.insecureSkipVerify = insecureSkipVerify
        self.connectTimeout = connectTimeout
        self.timeout = timeout
    }

    /// Why these settings must not be used, or nil when they are fine.
    package var problem: String? {
        guard let host = URLParts(url).host, let scheme = URLParts(url).scheme else {
            return "not a URL (smtp://host:587 or smtps://host:465)"
        }
        guard scheme == "smtp" || scheme == "smtps" else {
            return "scheme must be smtp or smtps, not \(scheme)"
        }
        // libcurl refuses a port past 65535 or a word, and only at the first mail.
        guard URLParts(url).hasValidAuthority else {
            return "the URL's host and port cannot be read: a host, then at most :PORT from 1 to 65535 (an IPv6 address in [ ])"
        }
        if scheme == "smtp", startTLS == .off, !URLParts.isLoopback(host) {
            return "starttls \"off\" is allowed only for a loopback host, not \(host) (use \"required\" or smtps://)"
        }
        return nil
    }
}

/// A message ready for SMTP: the envelope and the RFC 5322 text with CRLF line ends.
package struct SMTPMessage: Sendable {
    package var from: String
    package var recipients: [String]
    package var data: Data

    package init(from: String, recipients: [String], data: Data) {
        self.from = from
        self.recipients = recipients
        self.data = data
    }
}

/// Sends mail through libcurl's SMTP: STARTTLS or implicit TLS, AUTH, the message uploaded by a
/// read callback (libcurl escapes lines that start with a dot).
package struct SMTPClient: Sendable {
    package let settings: SMTPSettings
    private let engine: CurlEngine

    package init(settings: SMTPSettings, engine: CurlEngine = .shared) {
        self.settings = settings
        self.engine = engine
    }

    /// Delivers one message to every recipient.
    /// - Throws: `TransportError`; `.rejected` with the server's reply code when it refused,
    ///   which is transient for 4xx and permanent for 5xx.
    package func send(_ message: SMTPMessage) async throws(TransportError) {
        if let problem = settings.problem {
            throw TransportError(code: .invalidRequest, message: problem)
        }
        guard !message.recipients.isEmpty else {
            throw TransportError(code: .invalidRequest, message: "no recipients")
        }
        for address in [message.from] + message.recipients where address.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "<" || $0 == ">" }) {
            throw TransportError(code: .invalidRequest, message: "address contains a line break or angle bracket")
        }
        let transfer: CurlTransfer
        do { transfer = try CurlTransfer() } catch { throw error as! TransportError }
        transfer.set(CURLOPT_URL, settings.url)
        transfer.set(CURLOPT_PROTOCOLS_STR, "smtp,smtps")
        transfer.set(CURLOPT_USE_SSL, Int(settings.startTLS == .required ? CURLUSESSL_ALL.rawValue : CURLUSESSL_NONE.rawValue))
        transfer.set(CURLOPT_SSL_VERIFYPEER, settings.insecureSkipVerify ? 0 : 1)
        transfer.set(CURLOPT_SSL_VERIFYHOST, settings.insecureSkipVerify ? 0 : 2)
        if let ca = settings.caFile { transfer.set(CURLOPT_CAINFO, ca) }
        if let user = settings.username { transfer.set(CURLOPT_USERNAME, user) }
        if let password = settings.password { transfer.set(CURLOPT_PASSWORD, password) }
        transfer.set(CURLOPT_CONNECTTIMEOUT_MS, Int(settings.connectTimeout * 1000))
        transfer.set(CURLOPT_TIMEOUT_MS, Int(settings.timeout * 1000))
        transfer.set(CURLOPT_MAIL_FROM, "<\(message.from)>")
        transfer.set(CURLOPT_MAIL_RCPT, list: message.recipients.map { "<\($0)>" })
        transfer.setUpload(message.data)
        do {
            _ = try await engine.perform(transfer)
        } catch where error.code == .tls && settings.startTLS == .required && error.message.contains("STARTTLS not supported") {
            // libcurl's words say what failed, not what to change in the config.
            var error = error
            error.message += URLParts(settings.url).hasLoopbackHost
                ? " (a mail server on this machine without TLS: set starttls: \"off\" on the sink)"
                : " (the server offers no TLS upgrade: use smtps:// if it takes TLS from the start, or another server)"
            throw error
        }
    }
}
