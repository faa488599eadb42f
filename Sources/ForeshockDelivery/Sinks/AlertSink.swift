import ForeshockConfig
import ForeshockCore
import ForeshockSupport
import ForeshockTransport
import Foundation

/// Somewhere notifications go. Like swift-log's `LogHandler`: one small protocol, one file per
/// kind. A sink renders what goes out together into messages (stored in the outbox before the
/// first attempt, so a retry or a restart sends the very same bytes under the same id), and
/// sends one message at a time.
package protocol AlertSink: Sendable {
    /// The name rules refer to.
    var name: String { get }
    /// Messages a minute the receiver accepts (Slack about 60, PagerDuty 120); nil for no limit.
    var maxPerMinute: Int? { get }
    /// Renders notifications that go out together.
    /// - Parameter id: the group's id; each message's id is derived from it and stays stable.
    /// - Returns: the messages, each with its own id.
    func render(_ notes: [AlertNotification], id: String) -> [(id: String, body: Data)]
    /// Sends one rendered message.
    /// - Throws: `DeliveryError`, saying whether a retry could help and when.
    func send(_ body: Data, id: String) async throws(DeliveryError)
    /// Whether a firing notification opens something on the receiver's side that stays open
    /// until the resolution closes it (a PagerDuty incident): `test-alert` then resolves what
    /// it sent. False unless a sink says so.
    var opensIncidents: Bool { get }
}

extension AlertSink {
    package var opensIncidents: Bool { false }
}

/// Why a message was not delivered, and whether trying again could help.
package struct DeliveryError: Error, Sendable, CustomStringConvertible {
    package enum Code: String, Sendable {
        /// Try again later (timeouts, connection errors, 5xx, 408, 429, SMTP 4xx).
        case transient
        /// Never going to work as it is (other 4xx, SMTP 5xx): dead letter.
        case permanent
    }

    package var code: Code
    package var message: String
    /// What the receiver asked for (Retry-After), in seconds.
    package var retryAfter: Double?

    package init(_ code: Code, _ message: String, retryAfter: Double? = nil) {
        self.code = code
        self.message = message
        self.retryAfter = retryAfter
    }

    package var description: String { message }

    /// Sorts an HTTP answer: nil for 2xx, else transient for 408, 429 and 5xx, permanent otherwise.
    static func classify(_ response: HTTPResponse) -> DeliveryError? {
        guard !response.isSuccess else { return nil }
        let detail = String(decoding: response.body.prefix(200), as: UTF8.self).replacingOccurrences(of: "\n", with: " ")
        let text = "HTTP \(response.status)" + (detail.isEmpty ? "" : ": \(detail)")
        let transient = response.status == 408 || response.status == 429 || response.status >= 500 || response.status == 0
        return DeliveryError(transient ? .transient : .permanent, text,
                             retryAfter: transient ? RateLimit.retryAfter(response.headers, now: Date()) : nil)
    }

    /// The same error with every credential the sink knows taken out of its message.
    func redacted(by redactor: Redactor) -> DeliveryError {
        var copy = self
        copy.message = redactor.scrub(SafeText.terminal(message))
        return copy
    }

    static func transport(_ error: TransportError) -> DeliveryError {
        DeliveryError(error.isTransient ? .transient : .permanent, error.description)
    }
}

/// POSTs JSON with the sink's TLS settings: what the webhook, Slack and PagerDuty sinks share.
struct JSONPoster: Sendable {
    var url: String
    var headers: HTTPHeaders = HTTPHeaders()
    var timeout: Double
    var insecureSkipVerify = false
    var caFile: String?
    var client = HTTPClient()
    /// A receiver's error may quote the secret path of its URL or the key it was sent.
    var redactor: Redactor

    init(_ config: SinkConfig, url: String) {
        self.url = url
        redactor = config.redactor
        timeout = config.timeout
        insecureSkipVerify = config.insecureSkipVerify
        caFile = config.caFile
    }

    func post(_ body: Data, extra: [(String, String)] = []) async throws(DeliveryError) {
        var request = HTTPRequest(method: "POST", url: url, headers: headers, body: body, timeout: timeout)
        request.headers.set("Content-Type", "application/json")
        for (name, value) in extra { request.headers.set(name, value) }
        request.insecureSkipVerify = insecureSkipVerify
        request.caFile = caFile
        let response: HTTPResponse
        do { response = try await client.send(request) } catch { throw DeliveryError.transport(error).redacted(by: redactor) }
        if let error = DeliveryError.classify(response) { throw error.redacted(by: redactor) }
    }
}
