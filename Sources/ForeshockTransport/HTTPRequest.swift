import Foundation

/// One HTTP request and the limits it runs under.
package struct HTTPRequest: Sendable {
    package var method: String
    package var url: String
    package var headers: HTTPHeaders
    package var body: Data?
    /// Seconds allowed to establish the connection (TCP and TLS).
    package var connectTimeout: Double
    /// Seconds allowed for the whole transfer; 0 means no limit.
    package var timeout: Double
    /// Largest decoded body accepted; the transfer is aborted past it.
    package var maxBodyBytes: Int
    /// Skips TLS peer verification. Only for a source that says `insecure_skip_verify: true`.
    package var insecureSkipVerify: Bool
    /// A CA bundle to verify the peer with instead of the system's.
    package var caFile: String?

    /// The default response-size cap: 16 MiB.
    package static let defaultMaxBodyBytes = 16 << 20

    package init(
        method: String = "GET",
        url: String,
        headers: HTTPHeaders = HTTPHeaders(),
        body: Data? = nil,
        connectTimeout: Double = 10,
        timeout: Double = 30,
        maxBodyBytes: Int = HTTPRequest.defaultMaxBodyBytes,
        insecureSkipVerify: Bool = false,
        caFile: String? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.connectTimeout = connectTimeout
        self.timeout = timeout
        self.maxBodyBytes = maxBodyBytes
        self.insecureSkipVerify = insecureSkipVerify
        self.caFile = caFile
    }
}
