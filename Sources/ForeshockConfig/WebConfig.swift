import ForeshockSupport
import Foundation

/// The watch process's web server: `web` in the config. Off when the key is absent (or null);
/// on in the embedded default config, on loopback.
package struct WebConfig: Sendable, Equatable {
    /// The IP address listened on (`127.0.0.1`, `::1`, `0.0.0.0`) and the port.
    package var address = "127.0.0.1"
    package var port = 9464
    /// The token that changes need (`Authorization: Bearer …`); none: the API is read-only.
    package var token: Secret?
    /// Where people reach this server (`https://foreshock.example.com`): alerts link to a post's
    /// page there, and their silence command names it.
    package var externalURL: String?
    package var maxConnections = 64
    /// Seconds a connection may sit idle, and may last in all.
    package var idleTimeout = 10.0
    package var connectionLifetime = 30.0

    package init() {}

    /// `127.0.0.1:9464`, `[::1]:9464`.
    package var listen: String { address.contains(":") ? "[\(address)]:\(port)" : "\(address):\(port)" }

    /// `HOST:PORT` (an IPv6 host in brackets); nil when it is not one.
    package static func parseListen(_ text: String) -> (address: String, port: Int)? {
        guard let parts = HostAndPort(text[...]), let port = parts.port, let number = Int(port), (0...65535).contains(number),
              isAddress(String(parts.host), v6: parts.bracketed) else { return nil }
        return (String(parts.host), number)
    }

    /// Whether `host` is an IPv4 address in dotted decimal (or IPv6, in brackets), as the
    /// server will read it: `abc`, `127.1` and `999.1.1.1` are not.
    package static func isAddress(_ host: String, v6: Bool) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 16)
        return inet_pton(v6 ? AF_INET6 : AF_INET, host, &buffer) == 1
    }

    static func read(_ object: ObjectReader, reader: ConfigReader) -> WebConfig {
        var web = WebConfig()
        if let listen = object.string("listen") {
            if let parsed = parseListen(listen) {
                (web.address, web.port) = parsed
            } else {
                reader.error(object.keyPath("listen"), "\"\(listen)\" is not an IP address and port (e.g. \"127.0.0.1:9464\", \"[::1]:9464\", \"0.0.0.0:9464\")")
            }
        }
        web.token = object.secret("token")
        if let token = web.token?.value, token.count < 16 {
            reader.error(object.keyPath("token"), "is shorter than 16 characters (anyone who can reach the port could guess it)")
        }
        web.externalURL = object.wireString("external_url", "URL").map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        object.checkWebURL(web.externalURL, key: "external_url", example: "https://foreshock.example.com")
        if let url = web.externalURL {
            let parts = URLParts(url)
            if parts.host != nil, !parts.path.isEmpty || parts.query != nil || !parts.fragment.isEmpty {
                // The pages link from the root (/posts/…, /api/v1/status); under a prefix they would break.
                reader.error(object.keyPath("external_url"), "has a path, query or fragment (\(url)): serve Foreshock at the root of a host name "
                             + "of its own, such as https://foreshock.example.com, as its pages link from /")
            }
        }
        web.maxConnections = object.int("max_connections", min: 1, max: 10_000) ?? web.maxConnections
        web.idleTimeout = object.duration("idle_timeout", min: 1) ?? web.idleTimeout
        web.connectionLifetime = object.duration("connection_lifetime", min: 1) ?? web.connectionLifetime
        if web.address != "127.0.0.1", web.address != "::1", web.token == nil {
            reader.warning(object.keyPath("listen"), "listens beyond this machine with no token: anyone who can reach it reads every post and alert (the API stays read-only)")
        }
        object.finish()
        return web
    }
}
