import ForeshockConfig
import ForeshockDelivery
import ForeshockService
import ForeshockSupport
import Foundation

/// `foreshock replay`: what the thresholds in a config would have done on recorded traffic.
enum ReplayCommand {
    static func run(_ arguments: ParsedArguments, terminal: Terminal, environment: [String: String]) async throws(CommandError) -> ExitCode {
        let format = arguments[.format] ?? "text"
        guard format == "text" || format == "json" else {
            throw CommandError(.usage, "foreshock replay: --format must be text or json, not \"\(format)\".")
        }
        var traceEvery = 60.0
        if let text = arguments[.traceEvery] {
            guard let seconds = DurationText.seconds(text), seconds > 0 else {
                throw CommandError(.usage, "foreshock replay: --trace-every takes a duration such as 60s or 5m, not \"\(text)\".")
            }
            traceEvery = seconds
        }
        let config = try CommandConfig.load(arguments, environment: environment, query: "replay", requireSecrets: arguments.has(.send))
        var notifier: Notifier?
        if arguments.has(.send) {
            let options = try LogOptions(arguments)
            let handler = StreamLogHandler(level: options.level, format: options.format, write: terminal.err)
            handler.redact(config.redactor)
            notifier = try CommandAlerting.notifier(config: config, stateDir: arguments[.stateDir], terminal: terminal, command: "replay", logger: Logger(handler: handler))
        }
        let path = arguments.positionals[0]
        let data = try CommandFile.read(path, command: "replay")
        let trace = arguments[.trace], sending = notifier, every = traceEvery
        // The scoring core blocks its thread while its shards work: a Dispatch thread, never
        // one of Swift concurrency's.
        let summary = await onDispatchThread {
            let replay = Replay(config: config, trace: trace, traceEvery: every, emit: { terminal.print($0) }) { note in
                terminal.print(format == "json" ? note.jsonLine : AlertText.line(note))
                sending?.submit([note])
            }
            replay.play(data, name: path) { terminal.printError($0) }
            return replay.finish()
        }
        if format == "json" {
            let rules = summary.alertsByRule.sorted { $0.key < $1.key }.map { "\(JSONText.quote($0.key)):\($0.value)" }.joined(separator: ",")
            terminal.print("{\"type\":\"summary\",\"observations\":\(summary.observations),\"posts\":\(summary.posts),\"skipped_lines\":\(summary.malformed),\"alerts\":{\(rules)}}")
        } else {
            terminal.print(AlertText.summary(summary, rules: config.rules.map(\.name)))
        }
        guard let notifier else { return .success }
        defer { notifier.stop() }
        let delivered = await notifier.drain(timeout: 60)
        let stats = notifier.stats
        let dead = stats.dead.values.reduce(0, +)
        terminal.printError("replay: \(stats.delivered.values.reduce(0, +)) messages delivered, \(dead) dead-lettered, \(stats.silenced) notifications silenced"
            + (delivered ? "" : ", \(notifier.outbox.depth) still undelivered after 60 s"))
        return delivered && dead == 0 ? .success : .failure
    }
}

extension AlertText {
    static func summary(_ summary: Replay.Summary, rules: [String]) -> String {
        var lines = ["", "\(summary.observations) observations, \(summary.posts) posts, \(summary.malformed) lines skipped"]
        for rule in rules {
            let alerted = summary.alerted.filter { $0.rule == rule }
            lines.append("rule \(rule): \(summary.alertsByRule[rule] ?? 0) alerts")
            guard !alerted.isEmpty else { continue }
            let reshares = alerted.map(\.reshares).sorted()
            let leads = alerted.compactMap(\.lead).sorted()
            lines.append("  median reshares at the alert: \(reshares[reshares.count / 2])")
            if !leads.isEmpty {
                lines.append("  reached the rule's threshold later: \(leads.count) of \(alerted.count), median \(DurationText.format(leads[leads.count / 2])) after the alert")
            }
        }
        return lines.joined(separator: "\n")
    }
}
