import ForeshockConfig
import ForeshockSupport
import ForeshockTransport
import Foundation

/// The sinks of a config, built and checked at start: every template found and valid, every
/// secret present. With no sinks configured there is one console sink.
package struct SinkSet: Sendable {
    package let sinks: [any AlertSink]
    /// Per sink name, a digest of where it sends (`destination(of:)`): a message left in the
    /// outbox for a sink since renamed goes to the sink that sends to the same place.
    package let destinations: [String: String]

    /// - Parameter silenceCommands: whether the console prints each alert's silence command
    ///   (not in `demo`, whose state directory is gone when it ends: the command could not work).
    /// - Throws: `AlertTemplates.Problem` naming the first sink that cannot work and what is wrong.
    package init(config: Config, terminal: Terminal, silenceCommands: Bool = true) throws(AlertTemplates.Problem) {
        let built = Self.build(config, skipping: [], terminal: terminal, silenceCommands: silenceCommands)
        if let first = built.problems.first { throw AlertTemplates.Problem(description: "\(first.path): \(first.message)") }
        self.sinks = built.sinks.isEmpty ? [ConsoleSink(terminal: terminal, silenceCommands: silenceCommands)] : built.sinks
        destinations = Dictionary(config.sinks.map { ($0.name, Self.destination(of: $0)) }, uniquingKeysWith: { a, _ in a })
    }

    /// Where a sink sends, as a digest (the address may hold a token): its kind and address,
    /// the same for two sinks whose messages reach the same receiver the same way.
    static func destination(of sink: SinkConfig) -> String {
        let address: [String?]
        switch sink.kind {
        case .console: address = []
        case .file: address = [sink.path]
        case .webhook, .slack: address = [sink.url?.value]
        case .pagerduty: address = [sink.url?.value, sink.routingKey?.value]
        case .email: address = [sink.smtp?.url, sink.from] + sink.to.sorted()
        }
        let text = ([sink.kind.rawValue] + address.map { $0 ?? "" }).joined(separator: "\u{0}")
        return Digest.hex(Digest.sha256(Array(text.utf8)).prefix(12))
    }

    /// Every sink's first problem, not only the first sink's, for check-config: a templates_dir
    /// that is not there, then each sink's files and templates. Key paths as config problems
    /// name them.
    /// - Parameter skipping: sinks not to check (the config's own errors name them already).
    package static func problems(config: Config, skipping: Set<Int> = [], terminal: Terminal) -> [(path: String, message: String)] {
        build(config, skipping: skipping, terminal: terminal).problems
    }

    /// Each sink built, or the problem that stops it, checked as at start.
    private static func build(_ config: Config, skipping: Set<Int>, terminal: Terminal, silenceCommands: Bool = true) -> (sinks: [any AlertSink], problems: [(path: String, message: String)]) {
        var problems: [(path: String, message: String)] = []
        // Its files replace the built-in templates by name, each one optional: a directory that
        // is not there would leave every built-in one in use without a word. Checked here, where
        // sinks are built (check-config, watch, test-alert, replay --send), not by every command
        // that reads the config: `silence add --config` from another directory needs no templates.
        var directory = config.templatesDir
        if let templatesDir = directory, FileManager.default.isDirectory(atPath: templatesDir) != true {
            problems.append(("templates_dir", "\(templatesDir) is not a directory"))
            // The sinks are still checked, with the built-in templates its files would replace.
            directory = nil
        }
        let templates = AlertTemplates(directory: directory)
        var sinks: [any AlertSink] = []
        for (index, sink) in config.sinks.enumerated() where !skipping.contains(index) {
            do throws(AlertTemplates.Problem) {
                try checkFiles(sink)
                sinks.append(try make(sink, templates: templates, terminal: terminal, silenceCommands: silenceCommands))
            } catch {
                problems.append((keyPath(index, sink), error.description))
            }
        }
        return (sinks, problems)
    }

    /// How a sink's problem names it, as config problems name keys, with its name.
    private static func keyPath(_ index: Int, _ sink: SinkConfig) -> String { "sinks[\(index)] (\"\(sink.name)\")" }

    /// Files a sink needs at its first notification, checked now: a CA bundle that is not there
    /// or a file sink's missing directory would otherwise be found at 3 a.m., as a dead letter.
    private static func checkFiles(_ sink: SinkConfig) throws(AlertTemplates.Problem) {
        for ca in [sink.caFile, sink.smtp?.caFile].compactMap({ $0 }) where !FileManager.default.isReadableRegularFile(atPath: ca) {
            throw AlertTemplates.Problem(description: "ca_file \(ca) is not a file it can read")
        }
        if sink.kind == .file, let path = sink.path {
            switch FileManager.default.placeProblem(ofFile: path) {
            case .isDirectory: throw AlertTemplates.Problem(description: "path \(path) is a directory")
            case .noDirectory(let directory): throw AlertTemplates.Problem(description: "path \(path): \(directory) is not a directory")
            case nil: break
            }
        }
    }

    private static func make(_ sink: SinkConfig, templates: AlertTemplates, terminal: Terminal, silenceCommands: Bool) throws(AlertTemplates.Problem) -> any AlertSink {
        switch sink.kind {
        case .console:
            return ConsoleSink(name: sink.name, terminal: terminal, silenceCommands: silenceCommands)
        case .file:
            return FileSink(name: sink.name, path: sink.path ?? "")
        case .webhook:
            return WebhookSink(config: sink, template: try templates.load("webhook.json", override: sink.template, context: .json))
        case .slack:
            return SlackSink(config: sink, template: try templates.load("slack.json", override: sink.template, context: .slack))
        case .pagerduty:
            return PagerDutySink(config: sink, template: try templates.load("pagerduty.json", override: sink.template, context: .json))
        case .email:
            let email = try templates.loadEmail(override: sink.template)
            return EmailSink(config: sink, text: email.body, subject: email.subject,
                             html: try templates.load("email.html", override: sink.htmlTemplate, context: .html))
        }
    }

    package func sink(named name: String) -> (any AlertSink)? { sinks.first { $0.name == name } }
}
