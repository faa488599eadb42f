/// An authority's host and port as RFC 3986 writes them (`host`, `host:port`, `[v6]`,
/// `[v6]:port`), split in one place for the three that read one: a URL's authority in the
/// config, `web.listen`, and a request's `Host` header. Each says which ports it takes.
package struct HostAndPort {
    /// Without the brackets of an IPv6 literal.
    package var host: Substring
    package var bracketed: Bool
    /// What follows the `:` as written (maybe empty, maybe not digits); nil when there is no `:`.
    package var port: Substring?

    /// Nil when an IPv6 literal's `]` is missing, or anything but `:` follows it. Without
    /// brackets the first `:` ends the host, so `a:b:c` has the port `b:c`.
    package init?(_ text: Substring) {
        let rest: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            rest = text[text.index(after: close)...]
            bracketed = true
        } else {
            let colon = text.firstIndex(of: ":") ?? text.endIndex
            host = text[..<colon]
            rest = text[colon...]
            bracketed = false
        }
        guard rest.isEmpty || rest.first == ":" else { return nil }
        port = rest.isEmpty ? nil : rest.dropFirst()
    }

    /// Whether the port, if any, is one to five ASCII digits (`allowingEmpty`: or none after the `:`).
    package func portIsDigits(allowingEmpty: Bool) -> Bool {
        guard let port else { return true }
        return (allowingEmpty || !port.isEmpty) && port.count <= 5 && port.allSatisfy { $0.isASCII && $0.isNumber }
    }
}
