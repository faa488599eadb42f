import ForeshockConfig
import ForeshockDelivery
import ForeshockService
import ForeshockSupport
import Foundation

/// `foreshock status`: what a person on call wants to see, from what the watch process last
/// wrote to its state directory: sources, the hottest posts, alerts firing (silenced ones
/// marked), the outbox and the silences.
enum StatusCommand {
    static func run(_ arguments: ParsedArguments, terminal: Terminal, environment: [String: String]) async throws(CommandError) -> ExitCode {
        if let url = arguments[.url] { return try await remote(url, arguments: arguments, terminal: terminal, environment: environment) }
        var config: Config?
        if arguments[.config] != nil { config = try CommandConfig.load(arguments, environment: environment, query: "") }
        let stateDir = try CommandAlerting.existingStateDir(arguments, config: config, command: "status")
        let status: WatchStatus
        do {
            status = try WatchStatus.read(stateDir: stateDir)
        } catch {
            let reason = FileManager.default.fileExists(atPath: WatchStatus.path(stateDir: stateDir))
                ? "it could not be read (\((error as? DecodingError).map { SystemReason.describe($0, snakeCase: true) } ?? SystemReason.of(error)))" : "there is none yet"
            throw CommandError(.runtime, "foreshock status: no status in \(stateDir): \(reason). Is a watch running with --state-dir \(stateDir)?")
        }
        let alive = isAlive(status.pid, stateDir: stateDir)
        if arguments[.format] == "json" {
            // A watch killed (SIGKILL, a crash) left `running: true` behind: said as the text is.
            var shown = status
            shown.running = status.running && alive
            // Posts' names and text are in it: JSON escapes for what a terminal would act on.
            terminal.out(SafeText.escapingUnsafeInJSON(String(decoding: shown.json, as: UTF8.self)) + "\n")
            return .success
        }
        let now = Date()
        // Only read: a damaged file stays for the watch, which keeps the silences it read before.
        let store = SilenceStore(configured: [], stateDir: stateDir, leavingUnreadable: true)
        if let problem = store.startupProblem {
            terminal.printError(SafeText.terminal("foreshock status: \(problem) (a running watch keeps the silences it read before; they are not listed below)."))
        }
        let silences = store.list.filter { $0.active(at: now) }.map { "\($0.id) until \(Timestamp.format($0.silence.until))" }
        let deadPath = (stateDir as NSString).appendingPathComponent("dead-letter.jsonl")
        let dead = FileManager.default.contents(atPath: deadPath).map { $0.split(separator: 0x0A).count } ?? 0
        terminal.out(render(status, alive: alive, silences: silences,
                            deadLetters: dead > 0 ? "Dead letters: \(dead) in \(deadPath)" : nil, now: now))
        return .success
    }

    /// The same, from a running watch's API.
    private static func remote(_ url: String, arguments: ParsedArguments, terminal: Terminal, environment: [String: String]) async throws(CommandError) -> ExitCode {
        let watch = try RemoteWatch(url, environment: environment, command: "status")
        let value = try await watch.call("GET", "/api/v1/status")
        if arguments[.format] == "json" {
            terminal.out(SafeText.escapingUnsafeInJSON(value.jsonText) + "\n")
            return .success
        }
        let status: WatchStatus
        do { status = try WatchStatus.decode(Data(value.jsonText.utf8)) } catch {
            throw CommandError(.runtime, "foreshock status: the watch at \(url) answered a status this version cannot read")
        }
        let now = Date()
        let silences = (try await watch.call("GET", "/api/v1/silences"))["silences"]?.arrayValue?
            .filter { $0["active"]?.boolValue == true }.map { "\($0["id"]?.stringValue ?? "?") until \($0["until"]?.stringValue ?? "?")" } ?? []
        terminal.out(render(status, alive: status.running, silences: silences, deadLetters: nil, now: now))
        return .success
    }

    /// Whether the process that wrote the status still holds the state directory.
    static func isAlive(_ pid: Int32, stateDir: String) -> Bool {
        let holder = (try? String(contentsOfFile: (stateDir as NSString).appendingPathComponent("lock"), encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return holder == String(pid) && kill(pid, 0) == 0
    }

    static func render(_ status: WatchStatus, alive: Bool, silences: [String], deadLetters: String?, now: Date) -> String {
        func ago(_ text: String?) -> String {
            guard let text, let date = Timestamp.parse(text) else { return "never" }
            return DurationText.short(max(0, now.timeIntervalSince(date))) + " ago"
        }
        var out: [String] = []
        let state = alive && status.running ? "running (pid \(status.pid))" : "NOT running (last run pid \(status.pid))"
        out.append("Foreshock watch: \(state); status written \(ago(status.writtenAt)), started \(ago(status.startedAt)).")
        out.append("")
        out.append("Sources")
        out += table(["NAME", "KIND", "LAST POLL", "POLLS", "ERRORS", "MENTIONS", "STATE"], status.sources.map { source in
            let problem = source.recentProblem(now: now).map { "ok; failed \(DurationText.short($0.secondsAgo)) ago: \($0.message)" }
            let health = source.downSince.map { "failing since \(ago($0)): \(source.lastError ?? "")" } ?? (source.lastError.map { "failing: \($0)" } ?? problem ?? "ok")
            return [source.name, source.kind, ago(source.lastPoll), "\(source.polls)", "\(source.errors)", "\(source.mentions)", health]
        })
        out.append("")
        out.append("Hottest posts")
        if status.hottest.isEmpty { out.append("  none tracked yet") }
        out += table(["RESHARES", "VEL/MIN", "PREDICTED", "REPLIES", "AGE", "MODE", "ANSWERED", "POST"], status.hottest.map { post in
            let predicted = post.supercritical ? "viral" : post.predicted.map(NumberText.whole) ?? "-"
            let who = [post.author.map { "@\($0)" }, post.text.map { "\"\($0)\"" }, post.url].compactMap { $0 }.joined(separator: " ")
            return ["\(post.reshares)", String(format: "%.1f", post.velocityPerMin), predicted, Self.replies(post.counters), DurationText.short(post.ageSeconds),
                    post.mode, post.answered ? "yes" : "no", "\(post.source):\(post.id) \(who)"]
        })
        out.append("")
        out.append("Alerts firing")
        if status.alerts.isEmpty { out.append("  none") }
        // What receivers were told (the last column): the watch says it from its notification
        // log; a watch before that gave only whether a silence matches now.
        out += table(["SEVERITY", "RULE", "SINCE", "LAST NOTICE", "ALERT", "NOTIFICATIONS"], status.alerts.map { alert in
            if let said = alert.notifications { return [alert.severity, alert.rule, ago(alert.since), ago(alert.lastNotified), alert.key, said] }
            let waiting = status.outbox.filter { $0.alerts.contains(alert.key) }.map(\.sink)
            let givenUp = (status.givenUp ?? [:]).filter { $0.value.contains(alert.key) }.keys.sorted()
            var told = waiting.isEmpty ? "sent" : "waiting in the outbox for \(Set(waiting).sorted().joined(separator: ", "))"
            if !givenUp.isEmpty { told = (waiting.isEmpty ? "" : told + "; ") + "GIVEN UP by \(givenUp.joined(separator: ", ")) (a dead letter)" }
            return [alert.severity, alert.rule, ago(alert.since), ago(alert.lastNotified), alert.key, alert.silencedBy.map { "held by \($0)" } ?? told]
        })
        out.append("")
        let bySink = Dictionary(grouping: status.outbox, by: \.sink).map { "\($0.key): \($0.value.count)" }.sorted().joined(separator: ", ")
        out.append(status.outbox.isEmpty ? "Outbox: empty" : "Outbox: \(status.outbox.count) waiting (\(bySink)), oldest queued \(ago(status.outbox.map(\.queuedAt).min()))")
        let delivered = status.delivered.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        out.append("Delivered since start: \(delivered.isEmpty ? "none" : delivered)")
        let dead = status.dead.filter { $0.value > 0 }.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        if !dead.isEmpty { out.append("Given up since start (dead letters): \(dead)") }
        if let deadLetters { out.append(deadLetters) }
        out.append("Silences: \(silences.isEmpty ? "none" : silences.joined(separator: "; "))")
        // Authors, texts, links, ids and errors came from the network.
        return out.map(SafeText.terminal).joined(separator: "\n") + "\n"
    }

    /// Left-aligned columns under a header, indented two spaces; none when there are no rows.
    static func table(_ header: [String], _ rows: [[String]]) -> [String] {
        rows.isEmpty ? [] : TextTable.lines([header] + rows, indent: "  ")
    }

    /// Replies as last polled, and what they were when first polled (the series keeps its
    /// first sample): "40 (3 when first seen)".
    static func replies(_ counters: [WatchStatus.Counters]?) -> String {
        let known = (counters ?? []).compactMap(\.replies)
        guard let last = known.last else { return "-" }
        return known.first == last ? "\(last)" : "\(last) (\(known[0]) when first seen)"
    }

}
