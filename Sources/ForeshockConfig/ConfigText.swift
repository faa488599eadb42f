import ForeshockSupport
import Foundation

/// A config as JSON5 with every default filled in: what `check-config --print FILE` shows, so a
/// person sees what `watch` will run on, not only what the file says. Secrets are written as
/// where they come from (`token_env: "X_TOKEN"`), a literal one as `<redacted>`.
package enum ConfigText {
    /// - Parameter off: rules `watch` turns off for some sources, and those sources: said in a
    ///   comment above the rule, so the text still reads back as the same config.
    package static func render(_ config: Config, origin: String, off: [(rule: String, sources: [String])] = []) -> String {
        var out = Writer()
        out.line("// The effective config of \(origin): every key, with the defaults Foreshock fills in.")
        out.open("{")
        out.value("state_dir", quote(config.stateDir))
        out.value("metrics_file", quote(config.resolvedMetricsFile))
        out.value("shutdown_timeout", duration(config.shutdownTimeout))
        out.value("source_down_after", duration(config.sourceDownAfter))
        if let templates = config.templatesDir { out.value("templates_dir", quote(templates)) }
        out.open("sources: [")
        for source in config.sources { write(source, to: &out) }
        out.close("],")
        write(config.scoring, derivedBrandTerms: Config.brandTerms(sources: config.sources), to: &out)
        // The default rules a config kept are listed among its rules below.
        out.value("include_default_rules", String(config.includesDefaultRules))
        out.open("rules: [")
        for rule in config.rules {
            if let sources = off.first(where: { $0.rule == rule.name })?.sources {
                out.line("// watch turns this rule off for \(sources.joined(separator: ", ")): no brand_accounts there, so no answer by the brand can be seen")
            }
            out.open("{")
            out.value("name", quote(rule.name))
            out.value("severity", quote(rule.severity.rawValue))
            if !rule.sinks.isEmpty { out.value("sinks", list(rule.sinks)) }
            if let sources = rule.sources { out.value("sources", list(sources)) }
            out.value("when", "{ " + rule.when.entries.map { "\($0.key): \($0.isDuration ? quote($0.value) : $0.value)" }.joined(separator: ", ") + " }")
            out.close("},")
        }
        out.close("],")
        out.value("alerting", "{ group_wait: \(duration(config.alerting.groupWait)), repeat_interval: \(duration(config.alerting.repeatInterval)), "
            + "resolve_after: \(duration(config.alerting.resolveAfter)) }")
        out.open("silences: [")
        for silence in config.silences {
            out.line("{ matchers: \(list(silence.matchers.map(\.description))), until: \(quote(Timestamp.format(silence.until)))"
                + (silence.comment.map { ", comment: \(quote($0))" } ?? "") + " },")
        }
        out.close("],")
        out.open("sinks: [")
        for sink in config.sinks { write(sink, to: &out) }
        out.close("],")
        if let web = config.web {
            out.open("web: {")
            out.value("listen", quote(web.listen))
            secret("token", web.token, to: &out)
            if let url = web.externalURL { out.value("external_url", quote(url)) }
            out.value("max_connections", String(web.maxConnections))
            out.value("idle_timeout", duration(web.idleTimeout))
            out.value("connection_lifetime", duration(web.connectionLifetime))
            out.close("},")
        } else {
            out.value("web", "null")
        }
        out.close("}")
        return out.text
    }

    private static func write(_ source: SourceConfig, to out: inout Writer) {
        out.open("{")
        out.value("name", quote(source.name))
        out.value("kind", quote(source.kind.rawValue))
        if let mode = source.mode { out.value("mode", quote(mode.rawValue)) }
        if let query = source.query { out.value("query", quote(query)) }
        if source.kind != .json { out.value("base_url", quote(source.baseURL)) }
        out.value("interval", duration(source.interval))
        out.value("timeout", duration(source.timeout))
        secret("token", source.token, to: &out)
        secret("client_id", source.clientID, to: &out)
        secret("client_secret", source.clientSecret, to: &out)
        if let agent = source.userAgent { out.value("user_agent", quote(agent)) }
        if let identifier = source.identifier { out.value("identifier", quote(identifier)) }
        secret("app_password", source.appPassword, to: &out)
        out.value("brand_accounts", list(source.brandAccounts))
        out.value("fetch_resharers_at", source.fetchResharersAt.map(String.init) ?? "null")
        out.value("calls_per_minute", String(source.callsPerMinute))
        out.value("max_items_per_poll", String(source.maxItemsPerPoll))
        out.value("typical_followers", source.typicalFollowers.map(String.init) ?? "null")
        if source.kind == .mastodon { out.value("stream", String(source.stream)) }
        if source.insecureSkipVerify { out.value("insecure_skip_verify", "true") }
        if let ca = source.caFile { out.value("ca_file", quote(ca)) }
        if source.kind == .json {
            secret("url", source.url, to: &out)
            if let items = source.items { out.value("items", quote(items)) }
            out.value("fields", "{ " + source.fields.sorted { $0.key < $1.key }.map { "\($0.key): \(quote($0.value))" }.joined(separator: ", ") + " }")
            if let param = source.cursorParam { out.value("cursor_param", quote(param)) }
            if let field = source.cursorField { out.value("cursor_field", quote(field)) }
        }
        headers(source.headers, to: &out)
        out.close("},")
    }

    private static func write(_ scoring: ScoringConfig, derivedBrandTerms: [String], to out: inout Writer) {
        out.open("scoring: {")
        out.value("short_window", duration(scoring.shortWindow))
        out.value("long_window", duration(scoring.longWindow))
        out.value("evaluation_interval", duration(scoring.evaluationInterval))
        out.value("cold_after", duration(scoring.coldAfter))
        out.value("max_tracked_posts", String(scoring.maxTrackedPosts))
        out.value("shards", String(scoring.shards))
        out.value("volume_window", duration(scoring.volumeWindow))
        let s = scoring.seismic
        out.value("seismic", "{ c: \(s.c), s0: \(duration(s.s0)), theta: \(s.theta), n_star: \(number(s.nStar)), min_window: \(duration(s.minWindow)), "
            + "max_window: \(duration(s.maxWindow)), min_shares_in_window: \(s.minSharesInWindow) }")
        // Left empty, the brand's names come from the sources, and follow them when they change.
        if scoring.brandTerms.isEmpty { out.line("// brand_terms empty: the sources' queries and brand accounts, now \(list(derivedBrandTerms))") }
        out.value("lexicon", "{ complaint_terms: \(list(scoring.complaintTerms)), replace_builtin: \(scoring.replaceBuiltinLexicon), "
            + "brand_terms: \(list(scoring.brandTerms)) }")
        out.close("},")
    }

    private static func write(_ sink: SinkConfig, to out: inout Writer) {
        out.open("{")
        out.value("name", quote(sink.name))
        out.value("kind", quote(sink.kind.rawValue))
        if let template = sink.template { out.value("template", quote(template)) }
        if let limit = sink.maxPerMinute { out.value("max_per_minute", String(limit)) }
        out.value("timeout", duration(sink.timeout))
        switch sink.kind {
        case .email:
            if let smtp = sink.smtp {
                out.value("smtp_url", quote(smtp.url))
                out.value("starttls", quote(smtp.startTLS.rawValue))
                if let user = smtp.username { out.value("username", quote(user)) }
            }
            secret("password", sink.password, to: &out)
            if let from = sink.from { out.value("from", quote(from)) }
            out.value("to", list(sink.to))
            if let html = sink.htmlTemplate { out.value("html_template", quote(html)) }
        case .webhook, .slack:
            secret("url", sink.url, to: &out)
            secret("secret", sink.secret, to: &out)
            headers(sink.headers, to: &out)
        case .pagerduty:
            secret("routing_key", sink.routingKey, to: &out)
            if let url = sink.url?.value { out.value("url", quote(url)) }
        case .file:
            if let path = sink.path { out.value("path", quote(path)) }
        case .console:
            break
        }
        if sink.insecureSkipVerify { out.value("insecure_skip_verify", "true") }
        if let ca = sink.caFile { out.value("ca_file", quote(ca)) }
        out.close("},")
    }

    /// `key_env: "NAME"`, `key_file: "PATH"`, or `key: "<redacted>"` for a literal.
    private static func secret(_ key: String, _ secret: Secret?, to out: inout Writer) {
        switch secret?.origin {
        case .environment(let name)?: out.value(key + "_env", quote(name))
        case .file(let path)?: out.value(key + "_file", quote(path))
        case .literal?: out.value(key, quote(secret.flatMap { $0.isPlainLoopbackURL ? $0.value : nil } ?? "<redacted>"))
        case nil: break
        }
    }

    /// Header values may be credentials: names only.
    private static func headers(_ headers: [String: String], to out: inout Writer) {
        guard !headers.isEmpty else { return }
        out.value("headers", "{ " + headers.keys.sorted().map { "\(quote($0)): \(quote("<redacted>"))" }.joined(separator: ", ") + " }")
    }

    private static func quote(_ text: String) -> String { JSONText.quote(text) }
    private static func duration(_ seconds: Double) -> String { quote(DurationText.format(seconds)) }
    private static func number(_ value: Double) -> String { JSONText.number(value) }
    private static func list(_ items: [String]) -> String { "[" + items.map(quote).joined(separator: ", ") + "]" }

    /// Indented JSON5 lines.
    private struct Writer {
        var text = ""
        var depth = 0
        mutating func line(_ content: String) { text += String(repeating: "  ", count: depth) + content + "\n" }
        mutating func open(_ content: String) { line(content); depth += 1 }
        mutating func close(_ content: String) { depth -= 1; line(content) }
        mutating func value(_ key: String, _ value: String) { line("\(key): \(value),") }
    }
}
