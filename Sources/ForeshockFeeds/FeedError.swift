import ForeshockSupport

/// Why a feed could not read what it got. One line: the source's name is added by whoever logs it.
package struct FeedError: Error, Sendable, Equatable, CustomStringConvertible {
    package enum Code: String, Sendable {
        /// Not JSON at all (an HTML error page, a truncated body).
        case malformed
        /// JSON, but not the shape this API sends.
        case unexpectedShape
        /// The HTTP exchange failed.
        case transport
        /// The server answered with an error status.
        case httpStatus
        /// Credentials were refused or could not be obtained.
        case authentication
        /// The server asked us to wait.
        case rateLimited
    }

    package var code: Code
    package var message: String
    /// For `.httpStatus` and `.rateLimited`.
    package var status: Int?
    /// Seconds to wait before trying again, when the server said.
    package var retryAfter: Double?

    package init(_ code: Code, _ message: String, status: Int? = nil, retryAfter: Double? = nil) {
        self.code = code
        self.message = message
        self.status = status
        self.retryAfter = retryAfter
    }

    package var description: String { message }

    /// Whether asking again later may well work: the exchange failed, the server was busy or
    /// in trouble, or asked to wait. A refusal (403, 404) or a body not as expected stays.
    package var isTransient: Bool {
        switch code {
        case .transport, .rateLimited: return true
        case .httpStatus: return status.map { $0 >= 500 || $0 == 408 || $0 == 429 } ?? false
        case .malformed, .unexpectedShape, .authentication: return false
        }
    }

    /// A body that could not be decoded: says what it looked like instead of JSON.
    /// - Parameter body: the body's start (a few hundred bytes are enough to say it).
    static func notJSON(_ body: [UInt8], _ error: JSONSyntaxError) -> FeedError {
        let text = String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let start = text.prefix(64).lowercased()
        if start.hasPrefix("<!doctype html") || start.hasPrefix("<html") {
            return FeedError(.malformed, "got an HTML page instead of JSON")
        }
        if body.isEmpty { return FeedError(.malformed, "got an empty body instead of JSON") }
        // A proxy's or an API's plain-text answer ("Rate limit exceeded", "404 page not found"):
        // what it says is the reason, where a parser's "found 'R'" hides it.
        let firstLine = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        if let first = firstLine.first, !"{[\"".contains(first), firstLine.contains(where: \.isLetter) {
            let shown = SafeText.cut(SafeText.clean(firstLine, keepLineBreaks: false), 120)
            return FeedError(.malformed, "got text instead of JSON: \(JSONText.quote(shown))")
        }
        return FeedError(.malformed, "response is \(error)")
    }
}
