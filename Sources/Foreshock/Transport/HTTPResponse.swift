import Foundation

/// A complete HTTP response. Any status is a response, not an error: 304, 429 and 5xx are
/// decided on by the caller, which has the headers (`Retry-After`, rate limits, `ETag`).
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: Data
    /// The URL the last redirect led to.
    public var effectiveURL: String

    public init(status: Int, headers: HTTPHeaders, body: Data, effectiveURL: String) {
        self.status = status
        self.headers = headers
        self.body = body
        self.effectiveURL = effectiveURL
    }

    /// True for 2xx.
    public var isSuccess: Bool { (200..<300).contains(status) }
}
