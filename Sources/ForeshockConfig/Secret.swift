import ForeshockSupport
import Foundation

/// A secret from the config: written inline, named by an environment variable, or read from a file.
///
/// Its description never shows the value, so a secret can be logged or interpolated by mistake
/// without leaking.
package struct Secret: Sendable, Equatable, CustomStringConvertible {
    package enum Origin: Sendable, Equatable {
        case literal
        case environment(String)
        case file(String)
    }

    package var origin: Origin
    /// The value; nil when the environment variable is not set now.
    package var value: String?

    package init(origin: Origin, value: String?) {
        self.origin = origin
        self.value = value
    }

    /// A literal secret, for tests and local use.
    package static func literal(_ value: String) -> Secret {
        Secret(origin: .literal, value: value)
    }

    /// A literal URL on this machine with no user info and no query (a local test's feed or
    /// receiver): nothing in it is a credential, so the config is not warned about for it and
    /// prints it as it is. Logs still redact it, as every secret.
    package var isPlainLoopbackURL: Bool {
        guard origin == .literal, let value else { return false }
        let parts = URLParts(value)
        return parts.scheme != nil && parts.userinfo == nil && parts.query == nil && parts.hasLoopbackHost
    }

    package var description: String { "<redacted>" }
}
