import ForeshockConfig
import ForeshockCore
import ForeshockDelivery
import ForeshockSupport
import ForeshockTransport
import Foundation
import Synchronization

/// The watch process on the web: `/metrics` to scrape, `/-/healthy` and `/-/ready`, a JSON API
/// (`/api/v1/…`, what `foreshock status --url` and `silence --url` use) and a live page.
///
/// It answers on the HTTP server's own threads from `state`, which the watch refreshes every
/// couple of seconds; changes (silences) need the configured token, sent as
/// `Authorization: Bearer …` and compared in constant time, never a cookie, so a page elsewhere
/// cannot make a browser change anything. No token: the API is read-only.
package final class WebServer: Sendable {
    package let state = WebState()
    private let config: WebConfig
    let settings: Mutex<Settings>
    private let server = Mutex<HTTPServer?>(nil)
    private let silences: SilenceStore
    private let logger: Logger

    /// What a reload may change.
    struct Settings: Sendable {
        var token: [UInt8]?
        var externalURL: String?
        /// The config running, whose rules and sources a silence may name; how stale a look may
        /// be before the process is not healthy.
        var watch: Config
        var staleAfter: Double
    }

    package init(config: WebConfig, watch: Config, stateDir: String, logger: Logger) {
        self.config = config
        self.logger = logger
        silences = SilenceStore(configured: [], stateDir: stateDir)
        settings = Mutex(Self.settings(config, watch))
    }

    private static func settings(_ web: WebConfig, _ watch: Config) -> Settings {
        Settings(token: web.token?.value.map { Array($0.utf8) }, externalURL: web.externalURL, watch: watch,
                 staleAfter: max(30, 3 * watch.scoring.evaluationInterval))
    }

    /// `http://127.0.0.1:9464`, as this machine reaches it.
    package var localURL: String {
        let port = server.withLock { $0?.port } ?? config.port
        let host = config.address == "0.0.0.0" ? "127.0.0.1" : config.address == "::" ? "::1" : config.address
        return host.contains(":") ? "http://[\(host)]:\(port)" : "http://\(host):\(port)"
    }

    /// Starts listening.
    /// - Throws: `TransportError` naming the address when it cannot.
    package func start() throws(TransportError) {
        var limits = HTTPServer.Limits()
        limits.connections = config.maxConnections
        limits.connectionsPerAddress = max(1, config.maxConnections / 2)
        limits.timeout = Int(config.idleTimeout.rounded(.up))
        limits.lifetime = config.connectionLifetime
        let started = try HTTPServer(address: config.address, port: config.port, limits: limits) { [self] request in respond(request) }
        server.withLock { $0 = started }
    }

    package func stop() {
        server.withLock { server in
            server?.stop()
            server = nil
        }
    }

    /// A reloaded config's token, link and names (the address stays until a restart).
    package func reconfigure(_ fresh: Config) {
        guard let web = fresh.web else {
            logger.warning("web is gone from the config; the web server stops at the next start")
            return
        }
        // The token and external_url take effect now; what the socket was opened with waits.
        let waiting = [("web.listen", web.listen != config.listen), ("web.max_connections", web.maxConnections != config.maxConnections),
                       ("web.idle_timeout", web.idleTimeout != config.idleTimeout),
                       ("web.connection_lifetime", web.connectionLifetime != config.connectionLifetime)].filter(\.1).map(\.0)
        if !waiting.isEmpty {
            logger.warning("\(waiting.joined(separator: ", ")) \(waiting.count == 1 ? "changes" : "change") at the next start",
                           [("listening", config.listen), ("configured", web.listen)])
        }
        settings.withLock { $0 = Self.settings(web, fresh) }
    }

    // MARK: Routes

    /// Answers one request. Every path is one of a fixed few: nothing is read from disk by
    /// path, so `/../../etc/passwd` is only ever a 404.
    func respond(_ request: HTTPServer.Request) -> HTTPServer.Response {
        // A page elsewhere can point a name of its own at this address (DNS rebinding): answer
        // only to an address, localhost, or the name in external_url.
        let path = request.path
        let api = path.hasPrefix("/api/")
        // One Host, as HTTP/1.1 requires (RFC 9112 §3.2): with two, a proxy and this server
        // could each read another, and the check below would pass on the one it read.
        // Two lengths that differ: a proxy and this server could each end the body elsewhere
        // (request smuggling), RFC 9112 §6.3.
        // The connection is closed after either: what follows on it may be read from the wrong place.
        if request.lengthsDiffer { return Self.closing(Self.refusal(400, "Content-Length headers that differ", json: api)) }
        if request.hostHeaders > 1 || (request.hostHeaders == 0 && request.version == "HTTP/1.1") {
            let why = request.hostHeaders > 1 ? "more than one Host header" : "an HTTP/1.1 request needs a Host header"
            return Self.closing(Self.refusal(400, why, json: api))
        }
        guard acceptsHost(request.host) else {
            let why = "this server answers to its address, localhost or web.external_url's host, not \(request.host.map { SafeText.terminal($0) } ?? "no Host")"
            return Self.refusal(421, why, json: api)
        }
        if request.bodyTooLarge { return Self.json(413, error: "the body is over 64 KB") }
        let method = request.method == "HEAD" ? "GET" : request.method
        // An encoded control character (`%00`, which the server's decoding turns into 0x01, or
        // `%0A`) names nothing here, and must not end a name early.
        if path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            return Self.refusal(400, "the path holds a control character", json: api)
        }
        if path == "/" { return only(["GET"], method) ?? page() }
        if path == "/metrics" { return only(["GET"], method) ?? metrics() }
        if path == "/-/healthy" { return only(["GET"], method) ?? healthy() }
        if path == "/-/ready" { return only(["GET"], method) ?? ready() }
        if path == "/api/v1/status" { return only(["GET"], method, json: true) ?? status() }
        if path == "/api/v1/alerts" { return only(["GET"], method, json: true) ?? alerts() }
        if path == "/api/v1/silences" {
            if let wrong = only(["GET", "POST"], method, json: true) { return wrong }
            return method == "GET" ? listSilences() : addSilence(request)
        }
        if path.hasPrefix("/api/v1/silences/") {
            if let wrong = only(["DELETE"], method, json: true) { return wrong }
            return expireSilence(String(path.dropFirst("/api/v1/silences/".count)), request)
        }
        let sources = settings.withLock { $0.watch.sources.map(\.name) }
        if path.hasPrefix("/api/v1/posts/") {
            guard let key = Self.postKey(path.dropFirst("/api/v1/posts/".count), sources: sources) else {
                return Self.json(404, error: "no post of a configured source there: /api/v1/posts/{source}/{id}")
            }
            return only(["GET"], method, json: true) ?? post(key)
        }
        if path.hasPrefix("/posts/"), path.hasSuffix("/curve.svg"), let key = Self.postKey(path.dropFirst("/posts/".count).dropLast("/curve.svg".count), sources: sources) {
            return only(["GET"], method) ?? curve(key)
        }
        if path.hasPrefix("/posts/"), let key = Self.postKey(path.dropFirst("/posts/".count), sources: sources) {
            return only(["GET"], method) ?? postPage(key)
        }
        return path.hasPrefix("/api/") ? Self.json(404, error: "no such endpoint: see docs/api.md") : Self.text(404, "not found")
    }

    /// Whether the Host header names this server: an IP address, localhost, or external_url's host.
    /// The header is read whole, as RFC 9110 writes it (`host [":" port]`, an IPv6 address in
    /// brackets): `a:b:c`, `127.0.0.1:1@evil` or `[::1` name nothing and are refused, not cut
    /// down to a part that looks like an address.
    func acceptsHost(_ header: String?) -> Bool {
        guard let header, !header.isEmpty else { return true }  // HTTP/1.0 clients send none
        guard let parts = HostAndPort(header.lowercased()[...]), !parts.host.isEmpty, parts.portIsDigits(allowingEmpty: true) else { return false }
        let host = String(parts.host)
        if parts.bracketed { return WebConfig.isAddress(host, v6: true) }
        if host == "localhost" || host.hasSuffix(".localhost") || WebConfig.isAddress(host, v6: false) { return true }
        let external = settings.withLock { $0.externalURL }.flatMap { URLParts($0).host?.lowercased() }
        return external == host
    }

    /// A 405 naming the methods the path takes, unless `method` is one.
    private func only(_ methods: [String], _ method: String, json: Bool = false) -> HTTPServer.Response? {
        guard !methods.contains(method) else { return nil }
        let allowed = (methods.contains("GET") ? methods + ["HEAD"] : methods).joined(separator: ", ")
        var response = json ? Self.json(405, error: "\(method) is not allowed here (\(allowed))")
                            : Self.text(405, "\(method) is not allowed here")
        response.headers.append(("Allow", allowed))
        return response
    }

    /// `source/id` of a configured source: the id is everything after the source's name and a
    /// slash (Bluesky's ids hold slashes). Nil for a source the watch does not have.
    static func postKey(_ text: Substring, sources: [String]) -> PostKey? {
        // The path arrives decoded, so a source named `feeds/acme` cannot be told from its id
        // by the first slash: the longest configured name the path starts with is the source.
        guard text.utf8.count <= maxKeyBytes,
              let source = sources.filter({ text.hasPrefix($0 + "/") && text.count > $0.count + 1 }).max(by: { $0.count < $1.count }) else { return nil }
        return PostKey(source: source, id: String(text.dropFirst(source.count + 1)))
    }

    /// The longest `source/id` a path may name: no network's post id comes near it, and what is
    /// asked for is remembered a while.
    static let maxKeyBytes = 2048

    // MARK: Metrics and health

    private func metrics() -> HTTPServer.Response {
        guard let snapshot = state.snapshot else { return Self.text(503, "no look at the watch yet") }
        return HTTPServer.Response(status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8", body: Data(snapshot.metrics.utf8))
    }

    /// 200 while the process runs and looks at itself as often as it should (restoring its
    /// state counts as running); 503 when its scoring core is stuck, for a supervisor to restart it.
    private func healthy() -> HTTPServer.Response {
        guard let snapshot = state.snapshot else { return Self.text(200, "ok, starting: the state is being restored") }
        let age = Date().timeIntervalSince(snapshot.takenAt), limit = settings.withLock { $0.staleAfter }
        return age <= limit ? Self.text(200, "ok") : Self.text(503, "the watch has not refreshed its state for \(Int(age)) s (the scoring core is stuck)")
    }

    /// 200 once the state is restored and every source has been polled once, or has failed
    /// where it shows (a source that is down is reported, in the line and on the page, rather
    /// than taking the page out of a load balancer when someone needs it most).
    private func ready() -> HTTPServer.Response {
        guard let snapshot = state.snapshot else { return Self.text(503, "not ready: the state is being restored") }
        if !snapshot.unpolled.isEmpty { return Self.text(503, "not ready: not polled yet: \(snapshot.unpolled.joined(separator: ", "))") }
        return Self.text(200, snapshot.down.isEmpty ? "ready" : "ready; source down: \(snapshot.down.joined(separator: ", "))")
    }

    // MARK: The API

    private func status() -> HTTPServer.Response {
        guard let snapshot = state.snapshot else { return Self.json(503, error: "no look at the watch yet") }
        return HTTPServer.Response(status: 200, contentType: "application/json", body: snapshot.statusJSON)
    }

    private func alerts() -> HTTPServer.Response {
        guard let snapshot = state.snapshot else { return Self.json(503, error: "no look at the watch yet") }
        return Self.json(200, Encoded(["alerts": snapshot.status.alerts]))
    }

    private func post(_ key: PostKey) -> HTTPServer.Response {
        guard let followed = state.followed(key) else {
            state.ask(key)
            return Self.json(404, error: "\(key.description) is not followed: only posts that fire or are among the hottest are, and those asked for "
                             + "(asked now: if the watch tracks it, it is here within a few seconds)")
        }
        let alerts = state.snapshot?.status.alerts.filter { $0.key == key.description } ?? []
        let series = followed.points.map { p in
            SeriesJSON(time: Timestamp.format(Date(timeIntervalSince1970: p.time)), reshares: p.reshares, predicted: p.predicted.map { $0.rounded() },
                       supercritical: p.supercritical, seismicLow: p.bandLow.map { $0.rounded() }, seismicHigh: p.bandHigh.map { $0.rounded() })
        }
        return Self.json(200, PostJSON(post: followed.post, createdAt: Timestamp.format(Date(timeIntervalSince1970: followed.createdAt)),
                                       page: WebPath.post(source: key.source, id: key.id), series: series, alerts: alerts))
    }

    struct SeriesJSON: Encodable {
        var time: String
        var reshares: Int
        var predicted: Double?
        var supercritical: Bool
        var seismicLow: Double?
        var seismicHigh: Double?
    }

    struct PostJSON: Encodable {
        var post: WatchStatus.Post
        var createdAt: String
        var page: String
        var series: [SeriesJSON]
        var alerts: [WatchStatus.Alert]
    }

    struct SilenceJSON: Encodable {
        var id: String
        var matchers: [String]
        var created: String
        var until: String
        var expired: String?
        var active: Bool
        var comment: String?

        init(_ entry: SilenceStore.Stored, now: Date) {
            id = entry.id
            matchers = entry.silence.matchers.map(\.description)
            created = Timestamp.format(entry.created)
            until = Timestamp.format(entry.silence.until)
            expired = entry.expired.map(Timestamp.format)
            active = entry.active(at: now)
            comment = entry.silence.comment
        }
    }

    private func listSilences() -> HTTPServer.Response {
        let now = Date()
        return Self.json(200, Encoded(["silences": silences.list.map { SilenceJSON($0, now: now) }]))
    }

    /// `{"matchers": ["rule=going-viral", "author=~dana.*"], "for": "2h", "comment": "…"}` (or `until`).
    private func addSilence(_ request: HTTPServer.Request) -> HTTPServer.Response {
        if let refused = authorize(request) { return refused }
        guard let body = try? JSONValue.parse(request.body), let given = body.objectValue else {
            return Self.json(400, error: "the body must be a JSON object: {\"matchers\": [\"rule=going-viral\"], \"for\": \"2h\", \"comment\": \"…\"}")
        }
        // A key set to null is left out, as in the config. One not read, read wrong, or given
        // twice (the parser keeps the last) would silence other than what was asked for: each is said.
        if let twice = JSONSyntaxLocator.duplicateKeys(Array(request.body), json5: false).first {
            return Self.json(400, error: "\"\(SafeText.cut(twice.path, 100))\" is given twice")
        }
        let fields = given.filter { $0.value != .null }
        if let unknown = fields.keys.sorted().first(where: { !["matchers", "for", "until", "comment"].contains($0) }) {
            return Self.json(400, error: "unknown key \"\(SafeText.cut(unknown, 100))\": give matchers, for or until, and comment")
        }
        if fields["for"] != nil, fields["until"] != nil { return Self.json(400, error: "give \"for\" or \"until\", not both") }
        for key in ["for", "until", "comment"] where fields[key].map({ $0.stringValue == nil }) ?? false {
            return Self.json(400, error: "\"\(key)\" is a string, not \(fields[key]!.kindName)")
        }
        if let given = fields["matchers"], given.arrayValue == nil {
            return Self.json(400, error: "\"matchers\" is a list of strings such as [\"rule=going-viral\"], not \(given.kindName)")
        }
        var matchers: [SilenceMatcher] = []
        for item in fields["matchers"]?.arrayValue ?? [] {
            guard let text = item.stringValue else { return Self.json(400, error: "matchers are strings such as \"rule=going-viral\"") }
            do { matchers.append(try SilenceMatcher.parse(text)) } catch { return Self.json(400, error: error.description) }
        }
        if let refusal = SilenceMatcher.refusal(matchers) { return Self.json(400, error: refusal) }
        if let problem = settings.withLock({ $0.watch.unknownName(in: matchers) }) { return Self.json(400, error: "this watch has \(problem)") }
        let until: Date
        if let span = fields["for"]?.stringValue {
            guard let seconds = DurationText.seconds(span), seconds > 0 else { return Self.json(400, error: "\"for\" is a duration such as \"2h\", not \"\(span)\"") }
            if let refusal = SilenceConfig.refusal(lasting: seconds) { return Self.json(400, error: "\"for\": \(refusal)") }
            until = Date().addingTimeInterval(seconds)
        } else if let end = fields["until"]?.stringValue {
            guard let time = Timestamp.parse(end), time > Date() else { return Self.json(400, error: "\"until\" is a time to come, in RFC 3339, not \"\(end)\"") }
            if let refusal = SilenceConfig.refusal(lasting: time.timeIntervalSinceNow) { return Self.json(400, error: "\"until\": \(refusal)") }
            until = time
        } else {
            return Self.json(400, error: "give \"for\" (a duration such as \"2h\") or \"until\" (an RFC 3339 time)")
        }
        let silence = SilenceConfig(matchers: matchers, until: until, comment: fields["comment"]?.stringValue.map { SafeText.cut($0, 500) })
        do {
            let id = try silences.add(silence)
            logger.info("silence added through the web API", [("id", id), ("matchers", silence.matcherText)])
            guard let stored = silences.list.first(where: { $0.id == id }) else { return Self.json(500, error: "the silence was not kept") }
            return Self.json(201, SilenceJSON(stored, now: Date()))
        } catch {
            // The one who asked sees it; so does whoever reads the watch's log.
            logger.error("a silence asked for through the web API could not be kept", [("error", error.description)])
            return Self.json(500, error: error.description)
        }
    }

    private func expireSilence(_ id: String, _ request: HTTPServer.Request) -> HTTPServer.Response {
        if let refused = authorize(request) { return refused }
        do {
            guard let before = try silences.expire(id) else { return Self.json(404, error: "no silence \"\(id)\"") }
            logger.info("silence expired through the web API", [("id", id)])
            let now = Date()
            guard let after = silences.list.first(where: { $0.id == id }) else { return Self.json(200, SilenceJSON(before, now: now)) }
            return Self.json(200, SilenceJSON(after, now: now))
        } catch {
            logger.error("a silence could not be expired through the web API", [("id", id), ("error", error.description)])
            return Self.json(500, error: error.description)
        }
    }

    /// Nil when the request may change things: a token is configured and the request carries
    /// it. Else 403 (read-only) or 401.
    private func authorize(_ request: HTTPServer.Request) -> HTTPServer.Response? {
        guard let token = settings.withLock({ $0.token }) else {
            return Self.json(403, error: "read-only: this watch has no web.token, so nothing can be changed through it")
        }
        // The scheme's name is case-insensitive (RFC 9110 §11.1), the token is not.
        let given = request.authorization.flatMap { $0.lowercased().hasPrefix("bearer ") ? Array($0.dropFirst(7).utf8) : nil } ?? []
        guard Digest.constantTimeEqual(given, token) else {
            var refused = Self.json(401, error: "a change needs Authorization: Bearer <web.token>")
            refused.headers.append(("WWW-Authenticate", "Bearer realm=\"foreshock\""))
            return refused
        }
        return nil
    }

    // MARK: Answers

    /// Wraps a dictionary so it encodes as one JSON object.
    struct Encoded<Value: Encodable>: Encodable {
        let value: [String: Value]
        init(_ value: [String: Value]) { self.value = value }
        func encode(to encoder: Encoder) throws { try value.encode(to: encoder) }
    }

    static func json<T: Encodable>(_ status: Int, _ value: T) -> HTTPServer.Response {
        do {
            return HTTPServer.Response(status: status, contentType: "application/json", body: try JSONText.encoder(pretty: false).encode(value))
        } catch {
            return json(500, error: "the answer could not be written as JSON: \(error)")
        }
    }

    static func json(_ status: Int, error: String) -> HTTPServer.Response {
        HTTPServer.Response(status: status, contentType: "application/json", body: Data("{\"error\":\(JSONText.quote(error))}".utf8))
    }

    /// An error in the form its path answers in: JSON under `/api/`, a line of text elsewhere.
    static func refusal(_ status: Int, _ why: String, json: Bool) -> HTTPServer.Response {
        json ? Self.json(status, error: why) : text(status, why)
    }

    /// `response`, with the connection closed after it (libmicrohttpd reads `Connection: close`).
    static func closing(_ response: HTTPServer.Response) -> HTTPServer.Response {
        var response = response
        response.headers.append(("Connection", "close"))
        return response
    }

    static func text(_ status: Int, _ line: String) -> HTTPServer.Response {
        HTTPServer.Response(status: status, contentType: "text/plain; charset=utf-8", body: Data((line + "\n").utf8))
    }

    static func html(_ body: String, csp: String) -> HTTPServer.Response {
        HTTPServer.Response(status: 200, contentType: "text/html; charset=utf-8", body: Data(body.utf8), headers: [("Content-Security-Policy", csp)])
    }
}
