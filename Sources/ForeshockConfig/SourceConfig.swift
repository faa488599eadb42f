import ForeshockSupport
import ForeshockTransport
import Foundation

/// One mention stream to poll: `sources[]` in the config.
package struct SourceConfig: Sendable {
    package enum Kind: String, Sendable, CaseIterable {
        case mastodon, bluesky, reddit, hackernews, x, json
    }

    /// Which endpoint a kind with several reads from.
    package enum Mode: String, Sendable, CaseIterable {
        case tag, search, mentions, subreddit
    }

    package var name: String
    package var kind: Kind
    /// The search text, hashtag (Mastodon `tag`) or subreddit (Reddit `subreddit`).
    package var query: String?
    package var mode: Mode?
    /// Seconds between polls.
    package var interval: Double = 60
    package var baseURL: String
    /// Seconds allowed for one request.
    package var timeout: Double = 30
    package var insecureSkipVerify = false
    package var caFile: String?

    package var token: Secret?
    package var clientID: Secret?
    package var clientSecret: Secret?
    package var userAgent: String?
    package var identifier: String?
    package var appPassword: Secret?

    /// The brand's own handles, to tell when a post has been answered.
    package var brandAccounts: [String] = []
    /// Reshares at which the resharers of a post are fetched; nil never.
    package var fetchResharersAt: Int? = 20
    /// Budget for the extra calls (resharers, replies, re-polls of tracked posts).
    package var callsPerMinute: Int = 60
    /// The most new mentions one poll takes, whatever a server sends; the rest of that answer
    /// is skipped (and said once). Every API's pages together stay far below it.
    package var maxItemsPerPoll: Int = SourceConfig.defaultMaxItemsPerPoll
    package static let defaultMaxItemsPerPoll = 2_000
    /// Followers assumed for a resharer the API does not name; nil learns it from what is seen.
    package var typicalFollowers: Int?
    /// Mastodon: also listen on the streaming API for new posts.
    package var stream = false

    /// `json` sources: the URL, where the items are and which fields are which.
    package var url: Secret?
    package var items: String?
    package var fields: [String: String] = [:]
    package var cursorParam: String?
    package var cursorField: String?
    package var headers: [String: String] = [:]

    /// What the source watches, as an alert names it: `mastodon #acme, brand acme_support`.
    package var watching: String {
        var text = name
        if let query, !query.isEmpty {
            switch mode {
            case .tag?: text += " #\(query)"
            case .subreddit?: text += " r/\(query)"
            default: text += " \"\(query)\""
            }
        }
        if !brandAccounts.isEmpty { text += ", brand " + brandAccounts.joined(separator: ", ") }
        return text
    }

    /// Where the source reads from, as a digest (its URL may hold a secret): its kind, server,
    /// query, mode and a JSON feed's URL and mapping. A cursor belongs to where it was read: a
    /// source that reads from somewhere else after a reload or a restart starts afresh, as on its
    /// first poll, rather than ask its new query for what follows a post of the old one.
    package var readsFrom: String {
        let parts = [kind.rawValue, baseURL, query ?? "", mode?.rawValue ?? "", url?.value ?? "", items ?? "", cursorParam ?? "", cursorField ?? ""]
            + fields.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return Digest.hex(Digest.sha256(Array(parts.joined(separator: "\n").utf8)).prefix(12))
    }

    /// The source's credentials, the userinfo and query values of its URLs, and its header
    /// values: what a server's answer may repeat and nothing may show.
    package var redactor: Redactor {
        var secrets = [token, clientID, clientSecret, appPassword].compactMap { $0?.value } + Redactor.credentialHeaderValues(headers)
        // Reddit's token request sends `Basic base64(client_id:client_secret)`.
        if let id = clientID?.value, let secret = clientSecret?.value { secrets.append(Data("\(id):\(secret)".utf8).base64EncodedString()) }
        return Redactor(secrets: secrets, urls: [url?.value, baseURL].compactMap { $0 })
    }

    /// The modes each kind offers, the first being the default.
    package static func modes(of kind: Kind) -> [Mode] {
        switch kind {
        case .mastodon: return [.tag, .search, .mentions]
        case .reddit: return [.search, .subreddit]
        default: return []
        }
    }

    package static func defaultBaseURL(of kind: Kind) -> String {
        switch kind {
        case .mastodon: return "https://mastodon.social"
        case .bluesky: return "https://public.api.bsky.app"
        case .reddit: return "https://oauth.reddit.com"
        case .hackernews: return "https://hn.algolia.com"
        case .x: return "https://api.x.com"
        case .json: return ""
        }
    }

    /// Why `name` cannot be an account's handle, or nil. A handle is one word with at most an
    /// `@` before it and one inside it (Mastodon's `@acme@server`), nothing empty on either
    /// side: `@@acme` or `acme@` would match no one, and the answers it was for would page.
    package static func handleProblem(_ name: String) -> String? {
        let bare = AccountHandle.bare(name)
        if bare.contains(where: \.isWhitespace) { return "has a space in it (one handle an entry)" }
        let parts = bare.split(separator: "@", omittingEmptySubsequences: false)
        if bare.isEmpty || parts.count > 2 || parts.contains(where: \.isEmpty) {
            return "is not a handle (write acme, @acme, or on Mastodon @acme@server)"
        }
        return nil
    }

    /// A Mastodon brand account whose domain the source's host sits under (`@acme@example.com`
    /// on `mastodon.example.com`) is taken for another server's account, which the answers
    /// name in full; if the server's own handles carry that domain, they name it bare.
    static func mastodonDomainNote(_ account: String, baseURL: String) -> String? {
        let (user, domain) = AccountHandle.parts(account)
        guard let domain, let host = URLParts(baseURL).host?.lowercased(), host != domain, host.hasSuffix("." + domain) else { return nil }
        return "\"\(account)\" is taken for an account of \(domain), another server than \(host); if it is this server's own (its handles may end in \(domain)), write \"\(user)\""
    }

    /// The fields a `json` source can map.
    package static let jsonFields = ["id", "created_at", "author", "author_followers", "title", "text", "url", "reshares", "replies", "likes", "quotes", "reply_to", "reshare_of", "quote_of", "lang"]

    package init(name: String, kind: Kind, query: String? = nil, baseURL: String? = nil) {
        self.name = name
        self.kind = kind
        self.query = query
        self.baseURL = baseURL ?? Self.defaultBaseURL(of: kind)
        self.mode = Self.modes(of: kind).first
    }

    static func read(_ object: ObjectReader, reader: ConfigReader) -> SourceConfig? {
        // Post keys write such characters as %XX (`SafeText.identifier`): a rule's `sources`
        // and a silence naming the source as written would match nothing.
        let name = object.name("a name is in every alert key, log line and link")
        let kind = object.choice("kind", Kind.self, required: true)
        guard let kind else {
            // Without a kind the other keys cannot be judged; report only the common ones.
            _ = object.string("query"); _ = object.duration("interval")
            return nil
        }
        var source = SourceConfig(name: name ?? "?", kind: kind)
        source.query = object.string("query")
        // No API searches for more; a longer one fails at every poll as a URL libcurl refuses.
        if let query = source.query, query.utf8.count > 4096 {
            reader.error(object.keyPath("query"), "is \(query.utf8.count) bytes long; a search is at most 4096")
            source.query = nil
        }
        if let interval = object.duration("interval", min: 1) { source.interval = interval }
        if let timeout = object.duration("timeout", min: 0.1, max: 600) { source.timeout = timeout }
        if kind != .json, let base = object.wireString("base_url", "URL") {
            object.checkWebURL(base, key: "base_url", example: "\"https://mastodon.social\"")
            source.baseURL = base.hasSuffix("/") ? String(base.dropLast()) : base
        }
        if object.bool("insecure_skip_verify") == true {
            source.insecureSkipVerify = true
            reader.warning(object.keyPath("insecure_skip_verify"), "TLS peer verification is off for this source (only for test servers)")
        }
        source.caFile = object.string("ca_file")
        source.brandAccounts = object.strings("brand_accounts") ?? []
        for (index, account) in source.brandAccounts.enumerated() {
            let key = "\(object.keyPath("brand_accounts"))[\(index)]"
            // A JSON feed's author is whatever its mapping reads, a display name too.
            if kind != .json, let problem = handleProblem(account) { reader.error(key, "\"\(account)\" \(problem)") }
            if kind == .mastodon, let note = mastodonDomainNote(account, baseURL: source.baseURL) { reader.warning(key, note) }
        }
        source.fetchResharersAt = object.int("fetch_resharers_at", min: 1) ?? source.fetchResharersAt
        source.callsPerMinute = object.int("calls_per_minute", min: 0) ?? source.callsPerMinute
        source.typicalFollowers = object.int("typical_followers", min: 0)
        source.maxItemsPerPoll = object.int("max_items_per_poll", min: 1) ?? source.maxItemsPerPoll

        let modes = modes(of: kind)
        if !modes.isEmpty {
            if let mode = object.choice("mode", Mode.self) {
                if modes.contains(mode) {
                    source.mode = mode
                } else {
                    reader.error(object.keyPath("mode"), "\"\(mode.rawValue)\" is not a mode of \(kind.rawValue) sources (use one of \(modes.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")))")
                }
            }
        }

        switch kind {
        case .mastodon:
            source.token = object.secret("token")
            source.stream = object.bool("stream") ?? false
            if source.mode != .tag, source.token == nil {
                reader.error(object.keyPath("token"), "missing (Mastodon's \(source.mode?.rawValue ?? "") mode needs an access token: token_env or token_file)")
            }
        case .x:
            source.token = object.secret("token", required: true)
        case .reddit:
            source.clientID = object.secret("client_id", required: true)
            source.clientSecret = object.secret("client_secret", required: true)
            source.userAgent = object.wireString("user_agent", "User-Agent", required: true)
        case .bluesky:
            source.identifier = object.string("identifier")
            source.appPassword = object.secret("app_password")
            if (source.identifier == nil) != (source.appPassword == nil) {
                reader.error(object.keyPath(source.identifier == nil ? "identifier" : "app_password"), "missing (a Bluesky login needs both identifier and app_password_env)")
            }
        case .hackernews:
            break
        case .json:
            source.url = object.secret("url", required: true)
            object.checkWebURL(source.url, key: "url", example: "https://api.example.com/mentions")
            source.token = object.secret("token")
            source.items = object.dottedPath("items", required: true)
            if let fields = object.object("fields", required: true) {
                for field in jsonFields {
                    if let path = fields.dottedPath(field, required: field == "id") { source.fields[field] = path }
                }
                fields.finish()
            }
            source.cursorParam = object.string("cursor_param")
            source.cursorField = object.dottedPath("cursor_field")
            if (source.cursorParam == nil) != (source.cursorField == nil) {
                reader.error(object.keyPath("cursor_param"), "cursor_param and cursor_field go together (give both or neither)")
            }
            source.headers = object.headerMap("headers") ?? [:]
        }
        let needsQuery = !(kind == .json || (kind == .mastodon && source.mode == .mentions))
        if needsQuery, source.query == nil {
            reader.error(object.keyPath("query"), "missing (what to search for: a word, a hashtag or a subreddit)")
        }
        if kind == .mastodon, source.mode == .tag, let query = source.query {
            let tag = query.hasPrefix("#") ? String(query.dropFirst()) : query
            if tag.isEmpty || !tag.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) {
                reader.error(object.keyPath("query"), "\"\(query)\" is not a hashtag (letters, digits and _ only)")
            }
        }
        object.finish()
        return name == nil ? nil : source
    }
}
