import ForeshockConfig
import ForeshockCore
import ForeshockDelivery
import ForeshockSupport
import Foundation

/// `foreshock test-alert`: a test alert through each sink's template, sent once, with what
/// happened per sink. It is marked TEST wherever it shows, names the config's own rule, and a
/// sink that opened an incident for it (PagerDuty) gets its resolution right after. Exit 0 when
/// every sink took it, 1 otherwise.
enum TestAlertCommand {
    static func run(_ arguments: ParsedArguments, terminal: Terminal, environment: [String: String]) async throws(CommandError) -> ExitCode {
        let config = try CommandConfig.load(arguments, environment: environment, query: "test", requireSecrets: true)
        let sinks: SinkSet
        do { sinks = try SinkSet(config: config, terminal: terminal) } catch {
            throw CommandError(.config, "foreshock test-alert: \(error.description)")
        }
        var chosen = sinks.sinks
        if let name = arguments[.sink] {
            guard let sink = sinks.sink(named: name) else {
                throw CommandError(.usage, "foreshock test-alert: no sink named \"\(name)\" (the config has \(sinks.sinks.map(\.name).joined(separator: ", "))).")
            }
            chosen = [sink]
        }
        var alert = AlertNotification.test(rules: config.rules, sources: config.sources)
        // As a watch on this config would name itself in the silence command.
        alert.silenceTarget = Notifier.silenceTarget(webURL: config.web?.externalURL, stateDir: CommandAlerting.stateDir(arguments, config: config))
        var resolved = alert
        resolved.reason = .resolved
        resolved.time = alert.time + 1
        var failed = 0
        for sink in chosen {
            let started = Date()
            if let problem = await send(alert, to: sink) {
                failed += 1
                terminal.printError("\(sink.name): FAILED after \(DurationText.format(Date().timeIntervalSince(started))): \(problem.message)"
                    + (problem.code == .transient ? " (the watch process would retry this)" : " (the watch process would not retry this)"))
                continue
            }
            var line = "\(sink.name): delivered in \(DurationText.format(Date().timeIntervalSince(started)))"
            if sink.opensIncidents {
                if let problem = await send(resolved, to: sink) {
                    failed += 1
                    line += ", but its resolution FAILED: \(problem.message) (close the test incident \(alert.alertKey) by hand)"
                } else {
                    line += ", then resolved"
                }
            }
            terminal.printError(line)
        }
        terminal.printError("test-alert: the alert was \(alert.alertKey), rule \(alert.rule), marked TEST in its subject, headline and JSON (\"test\": true)")
        return failed == 0 ? .success : .failure
    }

    /// Renders and sends one notification to one sink. - Returns: what went wrong, if anything.
    private static func send(_ note: AlertNotification, to sink: any AlertSink) async -> DeliveryError? {
        let id = "msg_test_\(UUID().uuidString.lowercased().prefix(8))"
        for message in sink.render([note], id: id) {
            do { try await sink.send(message.body, id: message.id) } catch { return error }
        }
        return nil
    }
}
