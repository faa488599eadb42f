import Foundation

/// A post's link as a notification may show it: posts are hostile input, and a `url` of
/// `javascript:alert(document.cookie)` must never become the email's link, the Slack link or
/// PagerDuty's `links`.
package enum WebLink {
    /// The longest link kept, before its encoding: longer than any post's.
    package static let longest = 1024

    /// The URL when it is an `http` or `https` link with a host, with the characters that could
    /// end or re-label a link in some markup (Slack's `<url|text>`, an HTML attribute)
    /// percent-encoded; nil for anything else, and for one past `longest`.

    package static func safe(_ text: String?) -> String? {
        guard let text else { return nil }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        // Longer than any post's link, and than what Slack's section can hold beside the text.
        guard trimmed.utf8.count <= Self.longest else { return nil }
        let parts = URLParts(trimmed)
        guard parts.scheme == "http" || parts.scheme == "https", parts.host != nil else { return nil }
        var out = ""
        for scalar in trimmed.unicodeScalars {
            if SafeText.isUnsafe(scalar) || scalar.properties.isWhitespace { return nil }
            switch scalar {
            case "|", "<", ">", "\"", "'", "`", "\\", "^", "{", "}":
                out += "%" + String(scalar.value, radix: 16, uppercase: true)
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
