import Foundation

/// A complete HTTP response. Any status is a response, not an error: 304, 429 and 5xx are
/// decided on by the caller, which has the headers (`Retry-After`, rate limits, `ETag`).
package struct HTTPResponse: Sendable {
    package var status: Int
    package var headers: HTTPHeaders
    package var body: Data
    /// The URL the last redirect led to.
    package var effectiveURL: String

    package init(status: Int, headers: HTTPHeaders, body: Data, effectiveURL: String) {
        self.status = status
        self.headers = headers
        self.body = body
        self.effectiveURL = effectiveURL
    }

    /// True for 2xx.
    package var isSuccess: Bool { (200..<300).contains(status) }
}
