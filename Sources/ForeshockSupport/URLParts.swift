import Foundation

/// The parts of a URL, read without Foundation's URL so that odd but valid URLs (IPv6
/// literals, userinfo) are handled the same on every platform: what config checks, link
/// checks and redaction all need, split in one place.
package struct URLParts {
    /// Lowercased.
    package var scheme: String?
    /// As written, up to and including `://` (empty when there is no scheme).
    var prefix: Substring = ""
    /// What stands before `@` in the authority, if anything does.
    package var userinfo: Substring?
    /// The authority without its userinfo: host and port as written.
    var hostAndPort: Substring = ""
    package var host: String?
    var port: Int?
    /// From the first `/` after the authority to the query or fragment.
    package var path: Substring = ""
    /// After `?`, without the fragment.
    package var query: Substring?
    /// From `#` on, `#` included.
    package var fragment: Substring = ""

    /// Scheme and authority without userinfo (`https://host:8443`): where a path on the same
    /// server starts; nil for what has no scheme or host.
    package var origin: String? { scheme == nil || host == nil ? nil : String(prefix) + hostAndPort }

    package init(_ text: String) {
        guard let schemeEnd = text.range(of: "://") else { return }
        scheme = text[..<schemeEnd.lowerBound].lowercased()
        prefix = text[..<schemeEnd.upperBound]
        let rest = text[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        if let at = authority.lastIndex(of: "@") {
            userinfo = authority[..<at]
            authority = authority[authority.index(after: at)...]
        }
        hostAndPort = authority
        var tail = rest[authorityEnd...]
        if let hash = tail.firstIndex(of: "#") {
            fragment = tail[hash...]
            tail = tail[..<hash]
        }
        if let question = tail.firstIndex(of: "?") {
            query = tail[tail.index(after: question)...]
            tail = tail[..<question]
        }
        path = tail
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { port = Int(after.dropFirst()) }
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            port = Int(authority[authority.index(after: colon)...])
        } else {
            host = String(authority)
        }
        if host?.isEmpty == true { host = nil }
    }

    /// Whether the authority is a host with, at most, a port from 1 to 65535: an IPv6 literal
    /// closed by `]`, no colon in a name, nothing after the port. `https://[::1`, `:99999999`
    /// and `a:b:c` pass a look for a scheme and a host, and libcurl refuses them at the first
    /// request.
    package var hasValidAuthority: Bool {
        guard host != nil, let authority = HostAndPort(hostAndPort), authority.portIsDigits(allowingEmpty: false) else { return false }
        return authority.port.map { (1...65535).contains(Int($0) ?? 0) } ?? true
    }

    /// The query's `name=value` pairs as written (a pair without `=` has a nil value).
    var queryPairs: [(name: Substring, value: Substring?)] {
        guard let query else { return [] }
        return query.split(separator: "&", omittingEmptySubsequences: false).map { pair in
            guard let equals = pair.firstIndex(of: "=") else { return (pair, nil) }
            return (pair[..<equals], pair[pair.index(after: equals)...])
        }
    }

    /// Whether the URL's host is this machine (`isLoopback`); false with no host.
    package var hasLoopbackHost: Bool { host.map(Self.isLoopback) ?? false }

    /// True for `localhost`, 127.0.0.0/8 and ::1 (`127.x.example.com` is a name, anywhere).
    package static func isLoopback(_ host: String) -> Bool {
        let host = host.lowercased()
        if host == "localhost" || host == "::1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isASCII) && UInt8($0) != nil }
    }
}
