import Foundation

/// Takes credentials out of text before it is logged, shown or written to the state directory.
///
/// Servers repeat what they were sent: a 401 quotes the `Authorization` header, a 404 names
/// the secret path of a webhook URL, an error echoes the `api_key` of a query. So every text
/// that came back from the network, or names a URL, goes through `scrub` where it is made:
/// known secret values and the credential-bearing parts of URLs (userinfo, query values, and
/// the whole of a URL that is a secret as such, path included) become `<redacted>`, and so does
/// whatever follows `Bearer` or `Basic`.
package struct Redactor: Sendable {
    package static let mark = "<redacted>"
    /// Longest first, so a secret containing another is replaced whole.
    private let fragments: [String]

    /// - Parameters:
    ///   - secrets: values that must never appear (tokens, passwords).
    ///   - secretURLs: URLs that are secrets as a whole (webhook and Slack URLs): their path,
    ///     query and userinfo too.
    ///   - urls: URLs whose userinfo and query values are secret (a `json` source's `?api_key=`).
    package init(secrets: [String] = [], secretURLs: [String] = [], urls: [String] = []) {
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
    package static func credentialHeaderValues(_ headers: [String: String]) -> [String] {
        headers.filter { name, _ in
            let lower = name.lowercased()
            return ["auth", "key", "token", "secret", "cookie", "session", "signature", "password"].contains { lower.contains($0) }
        }.map(\.value)
    }

    /// One redactor over several.
    package func merged(with other: Redactor) -> Redactor {
        Redactor(fragments: Array(Set(fragments + other.fragments)).sorted { $0.count > $1.count })
    }

    private init(fragments: [String]) { self.fragments = fragments }

    /// The text with every known secret, bearer credential and URL credential replaced.
    package func scrub(_ text: String) -> String {
        var out = text
        for fragment in fragments where out.contains(fragment) {
            out = out.replacingOccurrences(of: fragment, with: Self.mark)
        }
        out = Self.scrubSchemes(out)
        return Self.scrubURLs(out)
    }

    /// A URL fit to show: userinfo and every query value replaced.
    package static func url(_ text: String) -> String {
        let parts = URLParts(text)
        guard parts.scheme != nil else { return text }
        var out = String(parts.prefix) + (parts.userinfo == nil ? "" : mark + "@") + parts.hostAndPort + parts.path
        if parts.query != nil {
            out += "?" + parts.queryPairs.map { $0.value == nil ? String($0.name) : $0.name + "=" + mark }.joined(separator: "&")
        }
        return out + parts.fragment
    }

    /// Userinfo, query values and (for a secret URL) the path of `url`.
    static func credentialParts(of url: String, pathIsSecret: Bool) -> [String] {
        let parts = URLParts(url)
        guard parts.scheme != nil else { return [url] }
        var secrets = parts.userinfo.map { [String($0)] } ?? []
        // Receivers often quote a path or a value percent-decoded.
        func add(_ piece: Substring) {
            secrets.append(String(piece))
            if let decoded = piece.removingPercentEncoding { secrets.append(decoded) }
        }
        if pathIsSecret, parts.path.count > 1 { add(parts.path) }
        for pair in parts.queryPairs { if let value = pair.value { add(value) } }
        return secrets
    }

    /// Each match of `pattern` with the token that follows it (up to whitespace or one of
    /// `stops`), written as `replace(match, token)`; the rest of the text as it was.
    private static func rewrite(_ text: String, _ pattern: String, stops: String, _ replace: (Substring, Substring) -> String) -> String {
        var out = ""
        var rest = text[...]
        while let found = rest.range(of: pattern, options: .regularExpression) {
            out += rest[..<found.lowerBound]
            let after = rest[found.upperBound...]
            let end = after.firstIndex { $0.isWhitespace || stops.contains($0) } ?? after.endIndex
            out += replace(rest[found], after[..<end])
            rest = after[end...]
        }
        return out + rest
    }

    /// `Bearer xyz` and `Basic xyz` credentials named as such in the text. A credential is a
    /// token of 10 or more token characters: "a basic check" keeps its word.
    private static func scrubSchemes(_ text: String) -> String {
        guard text.range(of: "bearer", options: .caseInsensitive) != nil || text.range(of: "basic ", options: .caseInsensitive) != nil else { return text }
        return rewrite(text, #"(?i)\b(bearer|basic)\s+(?=[A-Za-z0-9._~+/=-]{10})"#, stops: "\"'\\,;)}]<>`") { scheme, _ in scheme + mark }
    }

    /// Every `scheme://…` in the text through `url(_:)`.
    private static func scrubURLs(_ text: String) -> String {
        guard text.contains("://") else { return text }
        return rewrite(text, #"[A-Za-z][A-Za-z0-9+.-]*://"#, stops: "\"'\\<>`") { scheme, rest in url(String(scheme + rest)) }
    }
}
