import CCurl
import ForeshockSupport
import Foundation

/// An HTTP client on libcurl: many requests at once on the shared `CurlEngine`.
///
/// Every request decodes gzip and deflate, follows at most 5 redirects over http and https
/// only, verifies the TLS peer unless told not to, and caps the decoded body size.
package struct HTTPClient: Sendable {
    /// Sent when a request has no `User-Agent` of its own.
    package var userAgent: String
    private let engine: CurlEngine

    package init(userAgent: String = "foreshock/\(Foreshock.version)", engine: CurlEngine = .shared) {
        self.userAgent = userAgent
        self.engine = engine
    }

    /// Sends a request and waits for the whole response.
    /// - Parameter request: what to send and the limits to send it under.
    /// - Returns: the response, whatever its status.
    /// - Throws: `TransportError` when no complete response arrived.
    package func send(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse {
        let transfer = try configure(request)
        let outcome = try await engine.perform(transfer)
        return HTTPResponse(status: outcome.replyCode, headers: outcome.headers, body: outcome.body, effectiveURL: outcome.effectiveURL)
    }

    /// Sends a request whose successful response is a long-lived stream (server-sent events):
    /// body bytes go to `chunk` as they arrive, on the engine's thread, so `chunk` must be quick.
    /// Ends when the server closes the stream, the task is cancelled, or `chunk` returns false
    /// (its reader cannot keep up: nothing waits on the engine's thread, which other transfers share).
    /// - Returns: the response; its body is empty when it was streamed, or holds an error page.
    /// - Throws: `TransportError` when the transfer broke off (a cancelled stream throws
    ///   `.cancelled`, one whose `chunk` refused `.fellBehind`).
    package func stream(_ request: HTTPRequest, chunk: @escaping @Sendable (Data) -> Bool) async throws(TransportError) -> HTTPResponse {
        let transfer = try configure(request)
        transfer.stream(chunk)
        let outcome = try await engine.perform(transfer)
        return HTTPResponse(status: outcome.replyCode, headers: outcome.headers, body: outcome.body, effectiveURL: outcome.effectiveURL)
    }

    /// A GET with optional headers.
    package func get(_ url: String, headers: HTTPHeaders = HTTPHeaders(), timeout: Double = 30) async throws(TransportError) -> HTTPResponse {
        try await send(HTTPRequest(url: url, headers: headers, timeout: timeout))
    }

    private func configure(_ request: HTTPRequest) throws(TransportError) -> CurlTransfer {
        guard let scheme = request.url.split(separator: ":", maxSplits: 1).first?.lowercased(),
              scheme == "http" || scheme == "https" else {
            throw TransportError(code: .unsupportedProtocol, message: "only http and https URLs are fetched")
        }
        let transfer: CurlTransfer
        do { transfer = try CurlTransfer() } catch { throw error as! TransportError }
        transfer.set(CURLOPT_URL, request.url)
        transfer.set(CURLOPT_PROTOCOLS_STR, "http,https")
        transfer.set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
        transfer.set(CURLOPT_FOLLOWLOCATION, 1)
        transfer.set(CURLOPT_MAXREDIRS, 5)
        transfer.set(CURLOPT_ACCEPT_ENCODING, "")
        transfer.set(CURLOPT_CONNECTTIMEOUT_MS, Int(request.connectTimeout * 1000))
        transfer.set(CURLOPT_TIMEOUT_MS, Int(request.timeout * 1000))
        transfer.set(CURLOPT_SSL_VERIFYPEER, request.insecureSkipVerify ? 0 : 1)
        transfer.set(CURLOPT_SSL_VERIFYHOST, request.insecureSkipVerify ? 0 : 2)
        if let ca = request.caFile { transfer.set(CURLOPT_CAINFO, ca) }
        transfer.limitBody(to: request.maxBodyBytes)

        let method = request.method.uppercased()
        switch method {
        case "GET": transfer.set(CURLOPT_HTTPGET, 1)
        case "HEAD": transfer.set(CURLOPT_NOBODY, 1)
        case "POST": break
        default: transfer.set(CURLOPT_CUSTOMREQUEST, method)
        }
        if let body = request.body {
            transfer.setPostFields(body)
            if method != "POST" { transfer.set(CURLOPT_CUSTOMREQUEST, method) }
        } else if method == "POST" {
            transfer.setPostFields(Data())
        }

        var lines = request.headers.map { $0.value.isEmpty ? "\($0.name);" : "\($0.name): \($0.value)" }
        if request.headers["User-Agent"] == nil { lines.append("User-Agent: \(userAgent)") }
        // libcurl waits up to a second for "100 Continue" before a large body; no server we talk to needs it.
        lines.append("Expect:")
        transfer.set(CURLOPT_HTTPHEADER, list: lines)
        return transfer
    }
}
