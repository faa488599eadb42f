import Foundation
import Testing
@testable import ForeshockSupport
@testable import ForeshockConfig
@testable import ForeshockCore
@testable import ForeshockTestSupport

@Suite("Config: JSON5, durations, secrets, every problem at once")
struct ConfigTests {

    static let environment = [
        "MASTODON_TOKEN": "token-123456", "SMTP_PASSWORD": "hunter2-long",
        "OPS_WEBHOOK_URL": "https://hooks.example.com/T/B/XYZ", "OPS_WEBHOOK_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    ]

    static func parse(_ text: String, environment: [String: String] = environment, requireSecrets: Bool = true) -> ConfigLoader.Result {
        ConfigLoader.parse(Data(text.utf8), origin: "test.json5", environment: environment, requireSecrets: requireSecrets)
    }

    @Test("the documented example loads with comments and trailing commas")
    func exampleLoads() throws {
        let result = Self.parse(ConfigFixtures.example)
        #expect(result.errors.isEmpty, "\(result.errors)")
        let config = try #require(result.config)
        #expect(config.sources.map(\.name) == ["hn", "masto"])
        #expect(config.sources[0].interval == 30)
        #expect(config.sources[1].token?.value == "token-123456")
        #expect(config.sources[1].brandAccounts == ["acme_support"])
        #expect(config.rules[0].when.predictedResharesAtLeast == 1000)
        #expect(config.rules[0].when.minReshares == 10)
        #expect(config.alerting.repeatInterval == 4 * 3600)
        #expect(config.silences[0].matchers == [SilenceMatcher(.author, .equal, "acme_support")])
        #expect(Timestamp.format(config.silences[0].until) == "2026-12-31T00:00:00Z")
        #expect(config.sinks[0].smtp?.password == "hunter2-long")
        #expect(config.sinks[1].url?.value == "https://hooks.example.com/T/B/XYZ")
        #expect(config.resolvedMetricsFile == "./state/foreshock.prom")
    }

    @Test("A rule's or sink's name with a control or text-direction character, and an SMTP port libcurl would refuse at the first mail, are errors check-config names")
    func namesAndSMTPPorts() {
        for port in ["99999", "0", "70000"] {
            let errors = Self.parse(#"{ sources: [], sinks: [{ name: "m", kind: "email", smtp_url: "smtp://127.0.0.1:\#(port)", starttls: "off", from: "a@b.c", to: ["o@b.c"] }] }"#).errors
            #expect(errors.contains { $0.path == "sinks[0].smtp_url" && $0.message.contains("at most :PORT from 1 to 65535") }, "\(port): \(errors)")
        }
        #expect(Self.parse(#"{ sources: [], sinks: [{ name: "m", kind: "email", smtp_url: "smtp://127.0.0.1:2525", starttls: "off", from: "a@b.c", to: ["o@b.c"] }] }"#).errors.isEmpty)
        let text = #"{ sources: [], rules: [{ name: "r\u202eule", severity: "critical", when: { min_reshares: 5 } }], sinks: [{ name: "t\u001b[31m", kind: "console" }] }"#
        let errors = Self.parse(text).errors
        #expect(errors.contains { $0.path == "rules[0].name" && $0.message.hasPrefix("holds a control or text-direction character") }, "\(errors)")
        #expect(errors.contains { $0.path == "sinks[0].name" && $0.message.hasPrefix("holds a control or text-direction character") }, "\(errors)")
    }

    @Test("A secret's variable set but empty is said as such, not as not set: the fix differs")
    func emptyVariable() {
        let text = #"{ sources: [], sinks: [{ name: "hook", kind: "webhook", url_env: "HOOK" }] }"#
        #expect(Self.parse(text, environment: ["HOOK": ""]).errors.map(\.description).contains { $0.hasSuffix("sinks[0].url_env: environment variable HOOK is set but empty (it must be set where Foreshock runs)") })
        #expect(Self.parse(text, environment: [:]).errors.map(\.description).contains { $0.hasSuffix("sinks[0].url_env: environment variable HOOK is not set (it must be set where Foreshock runs)") })
    }

    @Test("durations", arguments: [
        ("500ms", 0.5), ("30s", 30.0), ("5m", 300.0), ("1h30m", 5400.0), ("2d", 172800.0), ("1.5h", 5400.0), ("1h0m10s", 3610.0),
    ])
    func durations(text: String, seconds: Double) {
        #expect(DurationText.seconds(text) == seconds)
    }

    @Test("short durations: the largest unit and the next, rounded, never a gap between them", arguments: [
        (0.0, "0s"), (45.0, "45s"), (59.6, "1m"), (90.0, "1m30s"), (3639.0, "1h1m"), (3600.0, "1h"), (11_520.0, "3h12m"), (172_800.0, "2d"), (93_600.0, "1d2h"), (86_399.0, "1d"), (3599.6, "1h"),
    ])
    func shortDurations(seconds: Double, text: String) {
        #expect(DurationText.short(seconds) == text)
    }

    @Test("not durations", arguments: ["", "30", "30x", "s", "-5s", "1h 30", "5 m", "1e3s", "ms", String(repeating: "9", count: 400) + "h"])
    func notDurations(text: String) {
        #expect(DurationText.seconds(text) == nil)
    }

    @Test("No duration or time, however wrong, traps on its way to a message; a config's durations stop at ten years")
    func hugeDurations() {
        let huge = DurationText.seconds("99999999999999999999999999h")!
        #expect(!DurationText.format(huge).isEmpty && !DurationText.short(huge).isEmpty && DurationText.short(.nan) == "0s")
        #expect(Timestamp.format(Date(timeIntervalSince1970: huge)) == "9999-12-31T23:59:59Z")
        #expect(Timestamp.parse(Timestamp.format(Date(timeIntervalSince1970: -huge))) != nil)
        let errors = Self.parse(#"{ sources: [], alerting: { repeat_interval: "99999999999999999999999999h" } }"#).errors.map(\.description)
        #expect(errors.contains { $0.contains("alerting.repeat_interval") && $0.contains("is too long (at most 3650d)") }, "\(errors)")
    }

    @Test("A JSON feed's paths are dotted paths: JSONPath, brackets or wildcards, which would read nothing, are errors at their key")
    func jsonFeedPaths() {
        func errors(items: String, text: String) -> [String] {
            Self.parse(#"{ sources: [{ name: "j", kind: "json", url: "https://api.example.com/x", items: "\#(items)", fields: { id: "id", text: "\#(text)" } }] }"#).errors.map(\.description)
        }
        #expect(errors(items: "data.children", text: "data.title") == [] && errors(items: ".", text: "a.0.b") == [])
        #expect(errors(items: "$.data", text: "title").contains { $0.contains("sources[0].items") && $0.contains("is not a dotted path") })
        #expect(errors(items: "data", text: "posts[0].title").contains { $0.contains("sources[0].fields.text") && $0.contains("is not a dotted path") })
        #expect(errors(items: "items.*.title", text: "title").count == 1)
        // A `$` inside a key is a key's (MongoDB's extended JSON), and doubled dots read as one.
        #expect(errors(items: "data..items", text: "_id.$oid") == [] && errors(items: ".items", text: "title") == [])
    }

    @Test("A request's or a delivery's timeout is at most ten minutes: longer is a slip, and would hold a sink's pages or a source's polls that long")
    func timeoutsBounded() {
        let errors = Self.parse(#"{ sources: [{ name: "hn", kind: "hackernews", query: "acme", timeout: "1h" }], sinks: [{ name: "w", kind: "webhook", url: "https://hooks.example.com/x", timeout: "11m" }] }"#).errors.map(\.description)
        #expect(errors.contains { $0.contains("sources[0].timeout") && $0.contains("\"1h\" is too long (at most 10m)") }, "\(errors)")
        #expect(errors.contains { $0.contains("sinks[0].timeout") && $0.contains("\"11m\" is too long (at most 10m)") }, "\(errors)")
        #expect(Self.parse(#"{ sources: [{ name: "hn", kind: "hackernews", query: "acme", timeout: "10m" }], sinks: [{ name: "w", kind: "webhook", url: "https://hooks.example.com/x", timeout: "10m" }] }"#).errors.isEmpty)
    }

    @Test("web: listen is an address and port; external_url is the root of a host, not a path under one; a short token is refused")
    func web() {
        func errors(_ web: String) -> [String] { Self.parse("{ sources: [], web: \(web) }").errors.map(\.description) }
        #expect(errors(#"{ listen: "127.0.0.1:9464", external_url: "https://foreshock.example.com/" }"#) == [])
        #expect(errors(#"{ listen: "[::1]:0" }"#) == [])
        #expect(errors(#"{ external_url: "https://example.com/foreshock" }"#).contains { $0.hasPrefix("test.json5: web.external_url: has a path, query or fragment") })
        #expect(errors(#"{ external_url: "https://example.com/?a=1" }"#).count == 1)
        #expect(errors(#"{ listen: "localhost:9464" }"#).contains { $0.contains("is not an IP address and port") })
        for listen in ["abc:0", "127.1:0", "999.1.1.1:0", "[zz]:0", "::1:0"] {
            #expect(errors("{ listen: \"\(listen)\" }").contains { $0.contains("is not an IP address and port") }, "\(listen)")
        }
        #expect(errors(#"{ listen: "0.0.0.0:9464" }"#) == [] && errors(#"{ listen: "[::]:9464" }"#) == [])
        #expect(errors(#"{ token: "short" }"#).contains { $0.contains("shorter than 16 characters") })
        let parsed = Self.parse(#"{ sources: [], web: { external_url: "https://foreshock.example.com/" } }"#)
        #expect(parsed.config?.web?.externalURL == "https://foreshock.example.com", "the trailing slash goes, so links are not //posts")
    }

    @Test("a misspelt key and a bad duration are both reported, with their key paths")
    func everyProblemAtOnce() {
        let text = ConfigFixtures.example
            .replacingOccurrences(of: #"interval: "30s" },"#, with: #"interval: "30x" },"#)
            .replacingOccurrences(of: "min_reshares: 10", with: "min_reshares: 10, treshold: 5")
            .replacingOccurrences(of: "repeat_interval", with: "repeat_intervall")
        let result = Self.parse(text)
        #expect(result.config == nil)
        let messages = result.errors.map(\.description)
        #expect(messages.contains { $0.hasPrefix("test.json5: sources[0].interval: \"30x\" is not a duration") })
        #expect(messages.contains { $0.hasPrefix("test.json5: rules[0].when.treshold: unknown key") })
        #expect(messages.contains { $0 == #"test.json5: alerting.repeat_intervall: unknown key (did you mean "repeat_interval"?)"# })
        #expect(result.errors.count == 3)
    }

    @Test("A section's key put at the top level is pointed to where it goes; a misspelt section is a misspelling")
    func keyOneLevelTooHigh() {
        let messages = Self.parse(#"{ sources: [], lexicon: { brand_terms: ["acme"] }, group_wait: "5s", external_url: "https://x.example", scorng: {} }"#).errors.map(\.description)
        #expect(messages == [#"test.json5: external_url: unknown key (it goes in web: web.external_url)"#,
                             #"test.json5: group_wait: unknown key (it goes in alerting: alerting.group_wait)"#,
                             #"test.json5: lexicon: unknown key (it goes in scoring: scoring.lexicon)"#,
                             #"test.json5: scorng: unknown key (did you mean "scoring"?)"#], "\(messages)")
    }

    @Test("A rule whose conditions are all null, or none, is refused: it would page for every post")
    func ruleWithoutCondition() {
        for when in ["{ }", "{ min_reshares: null }", "{ min_reshares: null, predicted_reshares_at_least: null }"] {
            let result = Self.parse(#"{ sources: [], rules: [{ name: "r", severity: "critical", when: \#(when) }] }"#)
            #expect(result.config == nil, "\(when)")
            #expect(result.errors.map(\.description) == ["test.json5: rules[0].when: has no condition (give at least one, e.g. min_reshares: 10; null is none)"], "\(when)")
        }
        // A condition of the wrong type is said once, not also as no condition at all.
        let wrong = Self.parse(#"{ sources: [], rules: [{ name: "r", severity: "critical", when: { min_reshares: "ten" } }] }"#)
        #expect(wrong.errors.count == 1 && wrong.errors.first?.path == "rules[0].when.min_reshares", "\(wrong.errors)")
        #expect(Self.parse(#"{ sources: [], rules: [{ name: "r", severity: "critical", when: { min_reshares: 10, max_age: null } }] }"#).config != nil)
    }

    @Test("A rule that can never hold is warned about (too old before it is unanswered long enough, a complaint with no complaint terms); an empty sinks list is refused, as an empty sources list is")
    func rulesThatCannotHold() {
        let old = Self.parse(#"{ sources: [], rules: [{ name: "r", severity: "critical", when: { max_age: "1m", unanswered_for_at_least: "1h" } }] }"#)
        func ruleWarnings(_ result: ConfigLoader.Result) -> [String] { result.warnings.map(\.description).filter { $0.contains("rules[") } }
        #expect(old.config != nil && ruleWarnings(old) == ["test.json5: warning: rules[0].when: can never hold: max_age 1m is not longer than unanswered_for_at_least 1h"], "\(old.warnings)")
        let wordless = Self.parse(#"{ sources: [], scoring: { lexicon: { replace_builtin: true, complaint_terms: [] } }, rules: [{ name: "r", severity: "critical", when: { complaint: true } }] }"#)
        #expect(wordless.config != nil && ruleWarnings(wordless).first?.hasPrefix("test.json5: warning: rules[0].when: can never hold: it asks for a complaint") == true, "\(wordless.warnings)")
        #expect(Self.parse(#"{ sources: [], rules: [{ name: "r", severity: "critical", when: { max_age: "2h", unanswered_for_at_least: "1h" } }] }"#).warnings.count == 1)
        let empty = Self.parse(#"{ sources: [], rules: [{ name: "r", severity: "critical", sinks: [], when: { min_reshares: 1 } }] }"#)
        #expect(empty.config == nil && empty.errors.map(\.path) == ["rules[0].sinks"], "\(empty.errors)")
    }

    @Test("A config's silences are checked as silence add checks them: a rule or source it does not have, with a suggestion, and at most 366 days")
    func silencesChecked() {
        let result = Self.parse(#"{ sources: [], include_default_rules: true, silences: [{ matchers: ["rule=going-virl"], for: "1d" }, { match: { rule: "going-viral" }, for: "400d" }, { match: { rule: "heating-up" }, for: "2h" }] }"#)
        let errors = result.errors.map(\.description)
        #expect(result.config == nil && errors.count == 2, "\(errors)")
        #expect(errors.contains { $0.hasPrefix(#"test.json5: silences[0]: names no rule "going-virl""#) && $0.hasSuffix("Did you mean going-viral?") }, "\(errors)")
        #expect(errors.contains("test.json5: silences[1].for: a silence lasts at most 366d (a year and a day); change the rule for longer"), "\(errors)")
    }

    @Test("A URL from a variable or a file that is not one is said at url_env or url_file, naming the variable or file, never the value")
    func urlFromVariable() throws {
        let fromEnv = Self.parse(#"{ sources: [], sinks: [{ name: "w", kind: "webhook", url_env: "OPS_URL" }] }"#, environment: ["OPS_URL": "s3cret-not-a-url"])
        #expect(fromEnv.errors.map(\.description) == ["test.json5: sinks[0].url_env: the value of OPS_URL is not an http(s) URL (e.g. https://hooks.example.com/...)"], "\(fromEnv.errors)")
        let file = try writeTemporaryFile("ftp://example.com/x\n", name: "url.txt")
        let fromFile = Self.parse(#"{ sources: [], sinks: [{ name: "w", kind: "webhook", url_file: "\#(file)" }] }"#)
        #expect(fromFile.errors.map(\.description) == ["test.json5: sinks[0].url_file: the contents of \(file) is not an http(s) URL (e.g. https://hooks.example.com/...)"], "\(fromFile.errors)")
    }

    @Test("A source name holding a control or text-direction character is refused: its posts' keys would write it %XX, and rules and silences naming it would match nothing")
    func sourceNameCharacters() {
        let result = Self.parse(#"{ sources: [{ name: "rtl\u202Ex", kind: "hackernews", query: "acme" }] }"#)
        #expect(result.config == nil && result.errors.map(\.description).contains { $0.hasPrefix("test.json5: sources[0].name: holds a control or text-direction character") }, "\(result.errors)")
        #expect(Self.parse(#"{ sources: [{ name: "hn/acme ünïcode", kind: "hackernews", query: "acme" }] }"#).config != nil)
    }

    @Test("A key given twice is said, also when the second is written with a \\u escape")
    func escapedDuplicateKey() {
        let result = Self.parse(#"{ sources: [], rules: [{ name: "r", severity: "critical", when: { min_reshares: 1000, "min_r\u0065shares": 1 } }] }"#)
        #expect(result.config == nil && result.errors.map(\.description).contains { $0.contains("rules[0].when.min_reshares: given twice in one object") }, "\(result.errors)")
    }

    @Test("Thousands of unknown keys in one object are twenty named lines and one count, not a suggestion each")
    func manyUnknownKeys() {
        let keys = (0..<5_000).map { "k\($0): 1" }.joined(separator: ", ")
        let result = Self.parse("{ sources: [], alerting: { \(keys) } }")
        let messages = result.errors.map(\.description)
        #expect(result.config == nil)
        #expect(messages.count == 21, "\(messages.prefix(3))")
        #expect(messages.filter { $0.contains("unknown key (") }.count == 20)
        #expect(messages.last == "test.json5: alerting: 4980 more unknown keys, not named one by one", "\(messages.last ?? "")")
    }

    @Test("URLs libcurl would refuse at the first request are refused at check-config: a port past 65535, an unclosed IPv6 literal, a space; and a search of 10 MB")
    func unreadableURLs() {
        let long = String(repeating: "a", count: 5000)
        let text = #"""
        {
          sources: [
            { name: "m1", kind: "mastodon", query: "acme", base_url: "https://mastodon.example:99999999" },
            { name: "m2", kind: "mastodon", query: "acme", base_url: "https://[::1" },
            { name: "m3", kind: "mastodon", query: "acme", base_url: "https://mastodon example" },
            { name: "m4", kind: "mastodon", query: "\#(long)" },
            { name: "ok", kind: "mastodon", query: "acme", base_url: "https://[::1]:8443" },
          ],
          rules: [ { name: "r", severity: "critical", when: { min_reshares: 10 } } ],
          sinks: [ { name: "hook", kind: "webhook", url: "http://a:b:c/x" }, { name: "fine", kind: "webhook", url: "http://127.0.0.1:65535/x" } ],
        }
        """#
        let paths = Self.parse(text).errors.map(\.path)
        #expect(Set(paths) == ["sources[0].base_url", "sources[1].base_url", "sources[2].base_url", "sources[3].query", "sinks[0].url"], "\(paths)")
        // A generated file gone wrong: 20,000 sources ran a 4 GB address space out.
        let many = (0...Config.maxSources).map { #"{ name: "s\#($0)", kind: "hackernews", query: "acme" }"# }.joined(separator: ",")
        #expect(Self.parse("{ sources: [\(many)] }").errors.map(\.description) == ["test.json5: sources: 1001 sources; a watch takes at most 1000 (run several watches)"])
    }

    @Test("control characters in header names and values, URLs, addresses and user agents are errors with their key paths; check-config and test-alert refuse them")
    func controlCharacters() async throws {
        let text = #"""
        {
          sources: [
            { name: "feed", kind: "json", url: "https://api.example/feed\r\nX-Evil: 1", items: ".", fields: { id: "id" },
              headers: { "X-Ok": "fine", "X-Bad": "v\r\nX-Injected: yes", "Bad Name": "v" } },
            { name: "r", kind: "reddit", query: "acme", client_id: "id-1234567", client_secret: "secret-1234567", user_agent: "bot\r\nX-Injected: yes" },
          ],
          rules: [ { name: "r", severity: "critical", when: { min_reshares: 10 } } ],
          sinks: [
            { name: "hook", kind: "webhook", url: "https://hooks.example/a", headers: { "X-Test": "v\r\nX-Injected: yes" } },
            { name: "slack", kind: "slack", url: "https://hooks.example/b\r\nX-Injected: yes" },
            { name: "mail", kind: "email", smtp_url: "smtp://127.0.0.1:25\r\nRCPT TO:<x@evil.example>", starttls: "off",
              from: "foreshock@example.org", to: ["oncall@example.org\r\nBcc: x@evil.example"] },
          ],
        }
        """#
        let problems = Self.parse(text).errors
        let paths = problems.map(\.path)
        for path in ["sources[0].url", "sources[0].headers.X-Bad", "sources[0].headers.Bad Name", "sources[1].user_agent",
                     "sinks[0].headers.X-Test", "sinks[1].url", "sinks[2].smtp_url", "sinks[2].to"] {
            #expect(paths.contains(path), "\(path) not among \(problems.map(\.description))")
        }
        #expect(!paths.contains("sources[0].headers.X-Ok"))
        #expect(!problems.map(\.description).joined().contains("X-Injected"), "a problem repeats the value: \(problems)")

        let hook = try await FixtureServer.start("http_server.py")
        defer { hook.stop() }
        let config = try writeTemporaryFile("""
        { sources: [], rules: [{ name: "r", severity: "critical", when: { min_reshares: 10 } }],
          sinks: [{ name: "hook", kind: "webhook", url: "\(hook.base)/echo", headers: { "X-Test": "v\\r\\nX-Injected: yes" } }] }
        """)
        let (checked, _, said) = await runForeshock(["check-config", config])
        #expect(checked != .success)
        #expect(said.contains("sinks[0].headers.X-Test"), "\(said)")
        let (sent, _, _) = await runForeshock(["test-alert", "--config", config])
        #expect(sent != .success)
        let seen = try await NotifierFixtures.requests(hook, path: "/echo")
        #expect(seen.isEmpty, "test-alert sent \(seen.map(\.headers))")
    }

    @Test("wrong types, unknown kinds and dangling names are errors")
    func structuralProblems() {
        let text = """
        {
          sources: [ { name: "a", kind: "myspace", query: "x" }, { name: "a", kind: "hackernews", query: 5 } ],
          rules: [ { name: "r", severity: "urgent", sinks: ["nope"], when: {} } ],
          sinks: [ { name: "mail", kind: "email", smtp_url: "smtp://mail.example.com", starttls: "off", from: "x", to: [] } ],
        }
        """
        let paths = Self.parse(text).errors.map(\.path)
        #expect(paths.contains("sources[0].kind"))
        #expect(paths.contains("sources[1].query"))
        #expect(paths.contains("rules[0].severity"))
        #expect(paths.contains("sinks[0].smtp_url"))   // STARTTLS off to a remote host
        #expect(paths.contains("sinks[0].from"))
        #expect(paths.contains("sinks[0].to"))
        #expect(paths.contains("rules[0].when"))
        #expect(paths.contains("rules[0].sinks[0]"))
    }

    @Test("secrets: _env, _file with its trailing newline dropped, literal with a warning, never two")
    func secrets() throws {
        let file = try writeTemporaryFile("file-secret-value\n", name: "token")
        let text = """
        { sources: [
            { name: "a", kind: "x", query: "acme", token_file: "\(file)" },
            { name: "b", kind: "x", query: "acme", token: "inline-token" },
            { name: "c", kind: "x", query: "acme", token_env: "UNSET_VAR" },
            { name: "d", kind: "x", query: "acme", token: "t", token_env: "MASTODON_TOKEN" },
          ] }
        """
        let lenient = Self.parse(text, requireSecrets: false)
        #expect(lenient.errors.map(\.path) == ["sources[3].token"])
        #expect(lenient.warnings.map(\.path).contains("sources[1].token"))
        #expect(lenient.warnings.map(\.path).contains("sources[2].token_env"))
        let strict = Self.parse(text)
        #expect(strict.errors.map(\.path).contains("sources[2].token_env"))
        let fixed = Self.parse(text.replacingOccurrences(of: #"token: "t", "#, with: ""))
        let config = try #require(Self.parse(text.replacingOccurrences(of: #"token: "t", "#, with: "").replacingOccurrences(of: "UNSET_VAR", with: "MASTODON_TOKEN")).config, "\(fixed.errors)")
        #expect(config.sources[0].token?.value == "file-secret-value")
        #expect(config.sources[1].token?.value == "inline-token")
        #expect("\(config.sources[0].token!)" == "<redacted>")
    }

    @Test("A literal URL on this machine with no user info or query holds no credential: no warning, and --print shows it; any other literal URL is warned about and printed redacted")
    func plainLoopbackURLs() throws {
        let urls = ["http://127.0.0.1:8080/mentions", "http://localhost/feed?token=abc", "http://u:p@127.0.0.1/feed", "https://api.example.com/mentions", "https://127.0.0.1.example.com/feed"]
        let text = "{ sources: [" + urls.enumerated().map { #"{ name: "s\#($0.offset)", kind: "json", url: "\#($0.element)", items: "items", fields: { id: "id" } }"# }.joined(separator: ", ")
            + #"], sinks: [{ name: "local", kind: "webhook", url: "http://[::1]:9000/hook" }, { name: "slack", kind: "slack", url: "https://hooks.slack.com/services/T0/B0/x" }] }"#
        let result = Self.parse(text)
        let config = try #require(result.config, "\(result.errors)")
        #expect(result.warnings.map(\.path).filter { $0.hasSuffix(".url") } == ["sources[1].url", "sources[2].url", "sources[3].url", "sources[4].url", "sinks[1].url"], "\(result.warnings)")
        let printed = ConfigText.render(config, origin: "test.json5")
        #expect(printed.contains(#"url: "http://127.0.0.1:8080/mentions""#) && printed.contains(#"url: "http://[::1]:9000/hook""#), "\(printed)")
        #expect(!printed.contains("token=abc") && !printed.contains("u:p@") && !printed.contains("example.com/") && !printed.contains("hooks.slack.com"), "\(printed)")
        #expect("\(config.sources[0].url!)" == "<redacted>")
    }

    @Test("a syntax error names its line and column; a raw control byte in a string, which JSON5 allows and the decoder does not, by its code")
    func syntaxError() {
        let result = Self.parse("{\n  sources: [\n    { name: \"a\" kind: \"x\" },\n  ],\n}")
        #expect(result.errors.count == 1)
        #expect(result.errors[0].message.contains("line 3, column"))
        let control = Self.parse("{\n  sources: [{ name: \"m\", kind: \"mastodon\", query: \"ac\u{1b}me\" }] }")
        #expect(control.errors.map(\.message) == [#"not valid JSON5: line 2, column 54: a control character in a string must be written as a \u escape, found byte 0x1b"#], "\(control.errors)")
        // A tab in a string too (the decoder refuses it); one in a comment is no string's.
        let tab = Self.parse("{ /* a\tcomment \u{1b} */ sources: [{ name: \"m\", kind: \"mastodon\", query: \"ac\tme\" }] }")
        #expect(tab.errors.map(\.message) == [#"not valid JSON5: line 1, column 72: a control character in a string must be written as a \u escape, found byte 0x09"#], "\(tab.errors)")
        let comment = Self.parse("{ sources: [] }\n/* the rest")
        #expect(comment.errors.map(\.message) == ["not valid JSON5: line 2, column 1: a /* comment is never closed with */, found '/'"], "\(comment.errors)")
    }

    @Test("Numbers JSON5 allows but a threshold cannot take: the error says which number, and where", arguments: [
        ("1e400", "not valid JSON5: the value at rules[0].when.min_reshares cannot be read (a number beyond ±1.8e308, or an unpaired \\uD800–\\uDFFF escape?)"),
        ("NaN", "rules[0].when.min_reshares: expected a whole number, found NaN"),
        ("-Infinity", "rules[0].when.min_reshares: expected a whole number, found -Infinity"),
        ("2.5", "rules[0].when.min_reshares: expected a whole number, found 2.5"),
        ("99999999999999999999", "rules[0].when.min_reshares: 1e+20 is too large"),
    ])
    func unusableNumbers(number: String, message: String) {
        let result = Self.parse("{ rules: [ { name: \"r\", severity: \"warning\", when: { min_reshares: \(number) } } ] }")
        #expect(result.errors.map(\.description).contains { $0.hasSuffix(message) }, "\(result.errors)")
        let float = Self.parse("{ rules: [ { name: \"r\", severity: \"warning\", when: { predicted_reshares_at_least: NaN } } ] }")
        #expect(float.errors.map(\.description).contains { $0.hasSuffix("rules[0].when.predicted_reshares_at_least: expected a finite number, found NaN") }, "\(float.errors)")
    }

    @Test("a webhook signing secret shorter than the Standard Webhooks spec's 24 bytes is a warning; one that is not whsec_ base64 an error")
    func signingSecrets() {
        func problems(_ secret: String) -> (errors: [String], warnings: [String]) {
            let result = Self.parse("{ sinks: [{ name: \"hook\", kind: \"webhook\", url: \"https://hooks.example.com/x\", secret: \"\(secret)\" }] }")
            return (result.errors.map(\.path), result.warnings.filter { $0.message.contains("easy to guess") }.map(\.path))
        }
        #expect(problems("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").warnings.isEmpty)
        #expect(problems("whsec_c2hvcnQ=").warnings == ["sinks[0].secret"])
        #expect(problems("not-a-secret").errors.contains("sinks[0].secret"))
    }

    @Test("a config with no sources is valid, with a warning")
    func noSources() {
        let result = Self.parse("{ rules: [ { name: \"r\", severity: \"warning\", when: { min_reshares: 5 } } ] }")
        #expect(result.config != nil)
        #expect(result.warnings.map(\.path).contains("sources"))
    }

    @Test("brand terms and the complaint score condition are read, and checked")
    func brandAndComplaintScore() throws {
        let good = Self.parse("""
        { scoring: { lexicon: { brand_terms: ["Acme", "@acme_support"] } },
          rules: [ { name: "r", severity: "warning", when: { complaint_score_at_least: 2 } },
                   { name: "storm", severity: "warning", when: { volume_spike_z_at_least: 4 } } ] }
        """)
        let config = try #require(good.config)
        #expect(config.rules.last?.when.volumeSpikeZAtLeast == 4 && RuleMatcher.isVolumeRule(config.rules[1]))
        #expect(config.scoring.brandTerms == ["Acme", "@acme_support"])
        #expect(config.rules.first?.when.complaintScoreAtLeast == 2)
        let bad = Self.parse("""
        { scoring: { lexicon: { brand_terms: "Acme" } }, rules: [ { name: "r", severity: "warning", when: { complaint_score_at_least: 0 } } ] }
        """)
        #expect(bad.config == nil)
        #expect(bad.problems.map(\.path).contains("scoring.lexicon.brand_terms"))
        #expect(bad.problems.map(\.path).contains("rules[0].when.complaint_score_at_least"))
    }

    @Test("the embedded default config loads and takes the query")
    func embeddedDefault() throws {
        let (config, _) = try ConfigLoader.embeddedDefault(query: "Acme Air", environment: [:])
        #expect(!config.sources.isEmpty)
        #expect(config.sources.first { $0.kind == .hackernews }?.query == "Acme Air")
        #expect(config.sources.first { $0.kind == .mastodon }?.query == "acmeair")
        #expect(config.rules.contains { $0.severity == .critical })
        #expect(config.sources.allSatisfy { $0.token == nil && $0.clientID == nil })
    }

    @Test("RFC 3339 times round-trip, offsets and fractions included")
    func timestamps() throws {
        let date = try #require(Timestamp.parse("2026-11-24T09:19:04.250+02:00"))
        #expect(Timestamp.format(date) == "2026-11-24T07:19:04.250Z")
        #expect(Timestamp.parse("2011-10-07T00:00:00Z")?.timeIntervalSince1970 == 1_317_945_600)
        #expect(Timestamp.parse("2026-11-24") == nil)
        #expect(Timestamp.parse("2026-13-01T00:00:00Z") == nil)
        #expect(Timestamp.parse("2026-11-24T07:19:04") == nil)
        // No day a month has not: February 31st is not read as March 3rd.
        for missing in ["2023-02-31T11:57:00Z", "2023-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2026-04-31T00:00:00Z"] { #expect(Timestamp.parse(missing) == nil, "\(missing)") }
        for leap in ["2024-02-29T00:00:00Z", "2000-02-29T00:00:00Z", "2026-12-31T23:59:59Z"] { #expect(Timestamp.parse(leap) != nil, "\(leap)") }
    }
}
