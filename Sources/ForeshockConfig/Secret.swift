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

    package var description: String { "<redacted>" }
}
