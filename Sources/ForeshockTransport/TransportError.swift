/// A transfer that did not complete: libcurl's own words plus a code to decide on retries.
///
/// The message never contains the URL: webhook URLs and query strings often carry secrets,
/// so the caller adds its own context (a source or sink name) when it logs.
package struct TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this was, coarse enough to decide whether to retry.
    package enum Code: String, Sendable, Equatable {
        case invalidRequest = "invalid request"
        case unsupportedProtocol = "unsupported protocol"
        case resolveFailed = "could not resolve host"
        case connectFailed = "could not connect"
        case timedOut = "timed out"
        case tls = "TLS failure"
        case tooLarge = "response too large"
        case tooManyRedirects = "too many redirects"
        case authentication = "authentication failed"
        case connectionLost = "connection lost"
        case rejected = "rejected by server"
        case cancelled = "cancelled"
        /// A stream's reader refused a chunk (`HTTPClient.stream`).
        case fellBehind = "reader fell behind"
        case other = "transfer failed"
    }

    /// The kind of failure.
    package var code: Code
    /// libcurl's message (from `CURLOPT_ERRORBUFFER`, else `curl_easy_strerror`).
    package var message: String
    /// The raw `CURLcode`, 0 when the failure did not come from libcurl.
    package var curlCode: Int
    /// The last protocol reply code (an SMTP reply such as 450 or 550), when one was read.
    package var replyCode: Int?

    package init(code: Code, message: String, curlCode: Int = 0, replyCode: Int? = nil) {
        self.code = code
        self.message = message
        self.curlCode = curlCode
        self.replyCode = replyCode
    }

    /// Whether trying again later could succeed (timeouts, connection errors, SMTP 4xx).
    package var isTransient: Bool {
        switch code {
        case .resolveFailed, .connectFailed, .timedOut, .connectionLost, .fellBehind, .other:
            return true
        case .rejected:
            if let reply = replyCode { return (400..<500).contains(reply) }
            return false
        case .invalidRequest, .unsupportedProtocol, .tls, .tooLarge, .tooManyRedirects,
             .authentication, .cancelled:
            return false
        }
    }

    package var description: String {
        var text = code.rawValue
        if let reply = replyCode, reply > 0 { text += " (reply \(reply))" }
        if message.lowercased().hasPrefix(code.rawValue) { return message + text.dropFirst(code.rawValue.count) }
        if !message.isEmpty { text += ": \(message)" }
        return text
    }
}
