import ForeshockConfig
import ForeshockDelivery
import ForeshockSupport
import Foundation

/// `foreshock test-alert`: a sample alert through each sink's template, sent once, with what
/// happened per sink. Exit 0 when every sink took it, 1 otherwise.
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
        var failed = 0
        for sink in chosen {
            let id = "msg_test_\(UUID().uuidString.lowercased().prefix(8))"
            let started = Date()
            var problem: DeliveryError?
            for message in sink.render([.sample], id: id) {
                do { try await sink.send(message.body, id: message.id) } catch {
                    problem = error
                    break
                }
            }
            let took = DurationText.format(Date().timeIntervalSince(started))
            if let problem {
                failed += 1
                terminal.printError("\(sink.name): FAILED after \(took): \(problem.message)" + (problem.code == .transient ? " (the watch process would retry this)" : " (the watch process would not retry this)"))
            } else {
                terminal.printError("\(sink.name): delivered in \(took)")
            }
        }
        return failed == 0 ? .success : .failure
    }
}
