import ForeshockSupport
import ForeshockTransport
import Foundation

/// Where notifications go: `sinks[]` in the config.
package struct SinkConfig: Sendable {
    package enum Kind: String, Sendable, CaseIterable {
        case email, webhook, slack, pagerduty, console, file
    }

    package var name: String
    package var kind: Kind
    /// A template file of the sink's own, instead of the default in `alerts/`.
    package var template: String?
    /// At most this many notifications a minute; more wait their turn.
    package var maxPerMinute: Int?
    package var timeout: Double = 30

    // email
    package var smtp: SMTPSettings?
    /// The SMTP password as the config gives it (its value is also in `smtp`).
    package var password: Secret?
    package var from: String?
    package var to: [String] = []
    package var htmlTemplate: String?

    // webhook, slack, pagerduty
    package var url: Secret?
    package var secret: Secret?
    package var routingKey: Secret?
    package var headers: [String: String] = [:]
    package var insecureSkipVerify = false
    package var caFile: String?

    // file
    package var path: String?

    package static let pagerDutyURL = "https://events.pagerduty.com/v2/enqueue"

    /// The sink's credentials: webhook and Slack URLs as a whole (their path is the secret),
    /// signing secrets, routing keys, passwords, header values, and the userinfo and query
    /// values of any other URL.
    package var redactor: Redactor {
        let whole = kind == .webhook || kind == .slack
        // An SMTP server may echo AUTH PLAIN's or LOGIN's base64 rather than the password.
        var login: [String] = []
        if let password = smtp?.password {
            let user = smtp?.username ?? ""
            login = [password, Data("\0\(user)\0\(password)".utf8).base64EncodedString(), Data(password.utf8).base64EncodedString()]
        }
        return Redactor(secrets: [secret, routingKey].compactMap { $0?.value } + login + Redactor.credentialHeaderValues(headers),
                        secretURLs: whole ? [url?.value].compactMap { $0 } : [],
                        urls: (whole ? [] : [url?.value].compactMap { $0 }) + [smtp?.url].compactMap { $0 })
    }

    package init(name: String, kind: Kind) {
        self.name = name
        self.kind = kind
    }

    static func read(_ object: ObjectReader, reader: ConfigReader) -> SinkConfig? {
        let name = object.name("a sink's name is in every delivery line and log line")
        guard let kind = object.choice("kind", Kind.self, required: true) else { return nil }
        var sink = SinkConfig(name: name ?? "?", kind: kind)
        sink.template = object.string("template")
        sink.maxPerMinute = object.int("max_per_minute", min: 1)
        if let timeout = object.duration("timeout", min: 0.1, max: 600) { sink.timeout = timeout }
        switch kind {
        case .email:
            let url = object.wireString("smtp_url", "URL", required: true)
            let startTLS = object.choice("starttls", SMTPSettings.StartTLS.self) ?? .required
            let password = object.secret("password")
            sink.password = password
            let caFile = object.string("ca_file")
            let insecure = object.bool("insecure_skip_verify") ?? false
            if let url {
                let settings = SMTPSettings(url: url, startTLS: startTLS, username: object.string("username"),
                                            password: password?.value, caFile: caFile, insecureSkipVerify: insecure)
                if let problem = settings.problem { reader.error(object.keyPath("smtp_url"), problem) }
                sink.smtp = settings
            } else {
                _ = object.string("username")
            }
            sink.from = object.string("from", required: true)
            sink.to = object.strings("to", required: true, nonEmpty: true) ?? []
            sink.htmlTemplate = object.string("html_template")
            for (index, address) in ([sink.from].compactMap { $0 } + sink.to).enumerated() where !isMailAddress(address) {
                reader.error(object.keyPath(index == 0 && sink.from == address ? "from" : "to"), "\"\(address)\" is not a mail address (name@example.com)")
            }
        case .webhook, .slack:
            sink.url = object.secret("url", required: true)
            if kind == .webhook {
                sink.secret = object.secret("secret")
                sink.headers = object.headerMap("headers") ?? [:]
                if let value = sink.secret?.value, SinkConfig.signingKey(value).map({ $0.count < 4 }) ?? true {
                    reader.error(object.keyPath("secret"), "a signing secret is \"whsec_\" followed by base64 (as the Standard Webhooks spec writes them)")
                } else if let key = sink.secret?.value.flatMap(SinkConfig.signingKey), key.count < 24 {
                    reader.warning(object.keyPath("secret"), "a signing secret of \(key.count) bytes is easy to guess; the Standard Webhooks spec asks for at least 24 (openssl rand -base64 32)")
                }
            }
            sink.insecureSkipVerify = object.bool("insecure_skip_verify") ?? false
            sink.caFile = object.string("ca_file")
            object.checkWebURL(sink.url, key: "url", example: "https://hooks.example.com/...")
        case .pagerduty:
            sink.routingKey = object.secret("routing_key", required: true)
            if sink.routingKey?.value?.isEmpty == true { reader.error(object.keyPath("routing_key"), "is empty (give the integration's routing key)") }
            let url = object.wireString("url", "URL") ?? pagerDutyURL
            sink.url = .literal(url)
            object.checkWebURL(sink.url, key: "url", example: "https://hooks.example.com/...")
            sink.insecureSkipVerify = object.bool("insecure_skip_verify") ?? false
            sink.caFile = object.string("ca_file")
        case .file:
            sink.path = object.string("path", required: true)
        case .console:
            break
        }
        object.finish()
        return name == nil ? nil : sink
    }

    /// A bare address such as `oncall@example.com`: nothing that could end a header or add a recipient.
    static func isMailAddress(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return false }
        return !text.contains { $0.isWhitespace || $0.isNewline || "<>,;\"".contains($0) }
    }
}

extension SinkConfig {
    /// The bytes of a `whsec_<base64>` secret.
    package static func signingKey(_ secret: String) -> [UInt8]? {
        guard secret.hasPrefix("whsec_"), let data = Data(base64Encoded: String(secret.dropFirst(6))) else { return nil }
        return [UInt8](data)
    }
}
