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
    static func notJSON(_ body: [UInt8], _ error: JSONSyntaxError) -> FeedError {
        let start = String(decoding: body.prefix(64), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        if start.hasPrefix("<!doctype html") || start.hasPrefix("<html") {
            return FeedError(.malformed, "got an HTML page instead of JSON")
        }
        if body.isEmpty { return FeedError(.malformed, "got an empty body instead of JSON") }
        // A proxy's or an API's plain-text answer ("Rate limit exceeded"): what it says is the
        // reason, where a parser's "found 'R'" hides it.
        if let first = start.unicodeScalars.first, first.properties.isAlphabetic, error.description.contains("line 1, column 1:") {
            let line = String(decoding: body.prefix(400), as: UTF8.self).split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
            return FeedError(.malformed, "got text instead of JSON: \(JSONText.quote(SafeText.cut(SafeText.clean(line, keepLineBreaks: false).trimmingCharacters(in: .whitespaces), 120)))")
        }
        return FeedError(.malformed, "response is \(error)")
    }
}
