import Foundation

/// Takes credentials out of text before it is logged, shown or written to the state directory.
///
/// Servers repeat what they were sent: a 401 quotes the `Authorization` header, a 404 names
/// the secret path of a webhook URL, an error echoes the `api_key` of a query. So every text
/// that came back from the network, or names a URL, goes through `scrub` where it is made:
/// known secret values and the credential-bearing parts of URLs (userinfo, query values, and
/// the whole of a URL that is a secret as such, path included) become `<redacted>`, and so does
/// whatever follows `Bearer` or `Basic`.
public struct Redactor: Sendable {
    public static let mark = "<redacted>"
    /// Longest first, so a secret containing another is replaced whole.
    private let fragments: [String]

    /// - Parameters:
    ///   - secrets: values that must never appear (tokens, passwords).
    ///   - secretURLs: URLs that are secrets as a whole (webhook and Slack URLs): their path,
    ///     query and userinfo too.
    ///   - urls: URLs whose userinfo and query values are secret (a `json` source's `?api_key=`).
    public init(secrets: [String] = [], secretURLs: [String] = [], urls: [String] = []) {
        var parts = secrets
        for url in secretURLs {
            parts.append(url)
            parts += Self.credentialParts(of: url, pathIsSecret: true)
        }
        for url in urls { parts += Self.credentialParts(of: url, pathIsSecret: false) }
        // Short values would blank out ordinary words; a real credential is longer than this.
        fragments = Array(Set(parts.filter { $0.count >= 6 })).sorted { $0.count > $1.count }
    }

    /// The values of headers whose names say they carry a credential (`Authorization`,
    /// `X-Api-Key`, `Cookie`, …); other header values are ordinary words.
    public static func credentialHeaderValues(_ headers: [String: String]) -> [String] {
        headers.filter { name, _ in
            let lower = name.lowercased()
            return ["auth", "key", "token", "secret", "cookie", "session", "signature", "password"].contains { lower.contains($0) }
        }.map(\.value)
    }

    /// One redactor over several.
    public func merged(with other: Redactor) -> Redactor {
        Redactor(fragments: Array(Set(fragments + other.fragments)).sorted { $0.count > $1.count })
    }

    private init(fragments: [String]) { self.fragments = fragments }

    /// The text with every known secret, bearer credential and URL credential replaced.
    public func scrub(_ text: String) -> String {
        var out = text
        for fragment in fragments where out.contains(fragment) {
            out = out.replacingOccurrences(of: fragment, with: Self.mark)
        }
        out = Self.scrubSchemes(out)
        return Self.scrubURLs(out)
    }

    /// A URL fit to show: userinfo and every query value replaced.
    public static func url(_ text: String) -> String {
        guard let schemeEnd = text.range(of: "://") else { return text }
        var rest = text[schemeEnd.upperBound...]
        var out = String(text[..<schemeEnd.upperBound])
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        if let at = authority.lastIndex(of: "@") {
            out += mark + "@" + authority[authority.index(after: at)...]
        } else {
            out += authority
        }
        rest = rest[authorityEnd...]
        guard let question = rest.firstIndex(of: "?") else { return out + rest }
        out += rest[...question]
        let query = rest[rest.index(after: question)...]
        let fragmentStart = query.firstIndex(of: "#") ?? query.endIndex
        out += query[..<fragmentStart].split(separator: "&", omittingEmptySubsequences: false).map { pair in
            guard let equals = pair.firstIndex(of: "=") else { return String(pair) }
            return pair[...equals] + mark
        }.joined(separator: "&")
        return out + query[fragmentStart...]
    }

    /// Userinfo, query values and (for a secret URL) the path of `url`.
    static func credentialParts(of url: String, pathIsSecret: Bool) -> [String] {
        guard let schemeEnd = url.range(of: "://") else { return [url] }
        let rest = url[schemeEnd.upperBound...]
        var parts: [String] = []
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        if let at = rest[..<authorityEnd].lastIndex(of: "@") { parts.append(String(rest[..<at])) }
        let tail = rest[authorityEnd...]
        let queryStart = tail.firstIndex(of: "?") ?? tail.endIndex
        let path = tail[..<queryStart]
        if pathIsSecret, path.count > 1 {
            parts.append(String(path))
            // Receivers often quote the path without its first segment or percent-decoded.
            if let decoded = path.removingPercentEncoding { parts.append(decoded) }
        }
        if queryStart < tail.endIndex {
            for pair in tail[tail.index(after: queryStart)...].split(separator: "&") {
                guard let equals = pair.firstIndex(of: "=") else { continue }
                let value = pair[pair.index(after: equals)...]
                parts.append(String(value))
                if let decoded = value.removingPercentEncoding { parts.append(decoded) }
            }
        }
        return parts
    }

    /// `Bearer xyz`, `Basic xyz`, `token=xyz`-style credentials named as such in the text.
    private static func scrubSchemes(_ text: String) -> String {
        guard text.range(of: "bearer", options: .caseInsensitive) != nil || text.range(of: "basic ", options: .caseInsensitive) != nil else { return text }
        var out = ""
        var words = text[...]
        // A credential is a token of 10 or more token characters: "a basic check" keeps its word.
        while let found = words.range(of: #"(?i)\b(bearer|basic)\s+(?=[A-Za-z0-9._~+/=-]{10})"#, options: .regularExpression) {
            out += words[..<found.upperBound]
            let rest = words[found.upperBound...]
            let end = rest.firstIndex { $0.isWhitespace || "\"'\\,;)}]<>`".contains($0) } ?? rest.endIndex
            out += mark
            words = rest[end...]
        }
        return out + words
    }

    /// Every `scheme://…` in the text through `url(_:)`.
    private static func scrubURLs(_ text: String) -> String {
        guard text.contains("://") else { return text }
        var out = ""
        var rest = text[...]
        while let found = rest.range(of: #"[A-Za-z][A-Za-z0-9+.-]*://"#, options: .regularExpression) {
            out += rest[..<found.lowerBound]
            let after = rest[found.lowerBound...]
            let end = after.firstIndex { $0.isWhitespace || "\"'\\<>`".contains($0) } ?? after.endIndex
            out += url(String(after[..<end]))
            rest = after[end...]
        }
        return out + rest
    }
}
