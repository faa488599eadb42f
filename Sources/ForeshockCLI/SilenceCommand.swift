import ForeshockConfig
import ForeshockDelivery
import ForeshockService
import ForeshockSupport
import Foundation

/// `foreshock silence add|list|expire`: silences kept in the state directory, which a running
/// watch picks up within a few seconds. A silence is one or more matchers that must all hold,
/// as amtool writes them (`rule=going-viral author=~"dana.*"`); expired silences stay on record.
enum SilenceCommand {
    /// Every line terminal-safe: comments, matchers and ids come from whoever added the silence,
    /// through the API too, and an `ESC]0;…` in one must not retitle the on-call terminal.
    private static func say(_ terminal: Terminal, _ line: String) { terminal.print(SafeText.terminal(line)) }

    static func run(_ arguments: ParsedArguments, terminal: Terminal, environment: [String: String]) async throws(CommandError) -> ExitCode {
        let positionals = arguments.positionals
        if let url = arguments[.url] { return try await remote(url, arguments: arguments, terminal: terminal, environment: environment) }
        let config: Config? = arguments[.config] == nil ? nil : try CommandConfig.load(arguments, environment: environment, query: "")
        let stateDir = try CommandAlerting.existingStateDir(arguments, config: config, command: "silence")
        // Left where it is when it cannot be read: the running watch keeps the silences it read
        // before, and would drop them if the file went away.
        let store = SilenceStore(configured: [], stateDir: stateDir, leavingUnreadable: true)
        if let problem = store.startupProblem {
            throw CommandError(.runtime, SafeText.terminal("foreshock silence: \(problem) (a running watch keeps the silences it read before)."))
        }
        if case let skipped = store.skippedEntries, skipped > 0 {
            terminal.printError("foreshock silence: the silences file has \(skipped) entr\(skipped == 1 ? "y" : "ies") that could not be read; left out")
        }
        let file = store.path ?? stateDir
        switch positionals[0] {
        case "add":
            let (matchers, span) = try request(arguments)
            if let problem = try unknownName(in: matchers, config: config, stateDir: stateDir, arguments: arguments, environment: environment) {
                throw CommandError(.usage, "foreshock silence add: \(problem)")
            }
            let silence = SilenceConfig(matchers: matchers, until: Date().addingTimeInterval(span), comment: arguments[.comment])
            let id = try stored { () throws(SilenceStore.Problem) in try store.add(silence) }
            say(terminal, "\(id) silences \(silence.matcherText) until \(Timestamp.format(silence.until)) (in \(file))")
        case "list":
            guard positionals.count == 1 else { throw CommandError(.usage, "foreshock silence list takes no arguments (--expired to show ended ones too).") }
            let now = Date(), all = store.list
            let shown = arguments.has(.expired) ? all : all.filter { $0.active(at: now) }
            if shown.isEmpty {
                let ended = all.count - all.filter { $0.active(at: now) }.count
                say(terminal, "no silences in \(file)" + (ended > 0 && !arguments.has(.expired) ? " (\(ended) ended: silence list --expired)" : ""))
            }
            for entry in shown {
                let s = entry.silence
                let state = entry.active(at: now) ? "active until \(Timestamp.format(s.until))"
                    : "ended \(Timestamp.format(entry.expired ?? s.until))" + (entry.expired == nil ? "" : " (expired by hand)")
                say(terminal, "\(entry.id)  \(s.matcherText)  \(state)  created \(Timestamp.format(entry.created))" + (s.comment.map { "  \"\($0)\"" } ?? ""))
            }
        case "expire":
            guard positionals.count == 2 else { throw CommandError(.usage, "foreshock silence expire: give the silence's id (see silence list).") }
            guard let before = try stored({ () throws(SilenceStore.Problem) in try store.expire(positionals[1]) }) else {
                throw CommandError(.usage, "foreshock silence expire: no silence \"\(positionals[1])\" in \(file) (see silence list --expired).")
            }
            say(terminal, before.active(at: Date()) ? "\(positionals[1]) expired; it stays on record (silence list --expired)"
                : "\(positionals[1]) had already ended")
        default:
            throw CommandError(.usage, "foreshock silence: the first word is add, list or expire, not \"\(positionals[0])\".")
        }
        return .success
    }

    /// A rule or source name the watch does not have, checked against the config given
    /// (`--config`), else the watch that last ran on the state directory (its `status.json`
    /// names its rules and sources), else the embedded default config, which a watch without
    /// `--config` runs.
    /// - Returns: the sentence naming what was checked and what is wrong, nil when all is known.
    private static func unknownName(in matchers: [SilenceMatcher], config: Config?, stateDir: String, arguments: ParsedArguments,
                                    environment: [String: String]) throws(CommandError) -> String? {
        if let config { return config.unknownName(in: matchers).map { "\(arguments[.config] ?? "the config") has \($0)" } }
        if let status = try? WatchStatus.read(stateDir: stateDir), let rules = status.rules {
            return SilenceMatcher.unknownName(in: matchers, rules: rules, sources: status.sources.map(\.name))
                .map { "the watch that ran on \(stateDir) (its status.json) has \($0)" }
        }
        let embedded = try CommandConfig.load(arguments, environment: environment, query: "")
        return embedded.unknownName(in: matchers).map { "the embedded default config (give --config FILE for yours) has \($0)" }
    }

    /// What `silence add` asks for: its matchers (positional and from the flags) and how long.
    private static func request(_ arguments: ParsedArguments) throws(CommandError) -> ([SilenceMatcher], Double) {
        guard let text = arguments[.duration] else {
            throw CommandError(.usage, "foreshock silence add: give --for DURATION, such as 2h or 30m.")
        }
        guard let span = DurationText.seconds(text), span > 0 else {
            throw CommandError(.usage, "foreshock silence add: --for takes a duration longer than zero, such as 2h or 30m, not \"\(SafeText.terminal(text))\".")
        }
        if let refusal = SilenceConfig.refusal(lasting: span) { throw CommandError(.usage, "foreshock silence add: --for \(SafeText.terminal(text)): \(refusal).") }
        var matchers: [SilenceMatcher] = []
        for text in arguments.positionals.dropFirst() {
            do { matchers.append(try SilenceMatcher.parse(text)) } catch { throw CommandError(.usage, "foreshock silence add: \(error.description).") }
        }
        let flags: [(SilenceMatcher.Field, CommandOption)] = [(.post, .post), (.author, .author), (.rule, .rule), (.source, .sourceMatcher)]
        for (field, option) in flags {
            for value in arguments.all(option) { matchers.append(SilenceMatcher(field, .equal, value)) }
        }
        guard !matchers.isEmpty else {
            throw CommandError(.usage, "foreshock silence add: say what to silence: matchers such as rule=going-viral or author=~\"dana.*\", "
                + "or --post ID, --author NAME, --rule NAME, --source NAME.")
        }
        if let refusal = SilenceMatcher.refusal(matchers) { throw CommandError(.usage, "foreshock silence add: \(refusal).") }
        return (matchers, span)
    }

    /// The same through a running watch's API (`--url`): it checks the names against its own config.
    private static func remote(_ url: String, arguments: ParsedArguments, terminal: Terminal, environment: [String: String]) async throws(CommandError) -> ExitCode {
        let watch = try RemoteWatch(url, environment: environment, command: "silence")
        let positionals = arguments.positionals
        switch positionals[0] {
        case "add":
            let (matchers, span) = try request(arguments)
            let body = "{\"matchers\":[\(matchers.map { JSONText.quote($0.quoted) }.joined(separator: ","))],\"for\":\(JSONText.quote(DurationText.format(span)))"
                + (arguments[.comment].map { ",\"comment\":\(JSONText.quote($0))" } ?? "") + "}"
            let added = try await watch.call("POST", "/api/v1/silences", body: body)
            say(terminal, "\(added["id"]?.stringValue ?? "?") silences \(matchers.map(\.description).joined(separator: " ")) until \(added["until"]?.stringValue ?? "?") (at \(watch.base))")
        case "list":
            let all = try await watch.call("GET", "/api/v1/silences")["silences"]?.arrayValue ?? []
            let shown = arguments.has(.expired) ? all : all.filter { $0["active"]?.boolValue == true }
            if shown.isEmpty { say(terminal, "no silences at \(watch.base)") }
            for item in shown {
                let matchers = item["matchers"]?.arrayValue?.compactMap(\.stringValue).joined(separator: " ") ?? ""
                let active = item["active"]?.boolValue == true
                let state = active ? "active until \(item["until"]?.stringValue ?? "?")" : "ended \(item["expired"]?.stringValue ?? item["until"]?.stringValue ?? "?")"
                say(terminal, "\(item["id"]?.stringValue ?? "?")  \(matchers)  \(state)  created \(item["created"]?.stringValue ?? "?")"
                    + (item["comment"]?.stringValue.map { "  \"\($0)\"" } ?? ""))
            }
        case "expire":
            guard positionals.count == 2 else { throw CommandError(.usage, "foreshock silence expire: give the silence's id (see silence list).") }
            _ = try await watch.call("DELETE", "/api/v1/silences/" + WebPath.segment(positionals[1]))
            say(terminal, "\(positionals[1]) expired; it stays on record (silence list --expired)")
        default:
            throw CommandError(.usage, "foreshock silence: the first word is add, list or expire, not \"\(positionals[0])\".")
        }
        return .success
    }

    private static func stored<T>(_ body: () throws(SilenceStore.Problem) -> T) throws(CommandError) -> T {
        do { return try body() } catch { throw CommandError(.runtime, "foreshock silence: \(error.description)") }
    }
}
