import ForeshockConfig
import ForeshockDelivery
import ForeshockSupport
import Foundation

/// `foreshock silence add|list|expire`: silences kept in the state directory, which a running
/// watch picks up within a few seconds.
enum SilenceCommand {
    static func run(_ arguments: ParsedArguments, terminal: Terminal, environment: [String: String]) throws(CommandError) -> ExitCode {
        let config: Config? = arguments[.config] == nil ? nil : try CommandConfig.load(arguments, environment: environment, query: "")
        let store = SilenceStore(configured: [], stateDir: CommandAlerting.stateDir(arguments, config: config))
        let positionals = arguments.positionals
        switch positionals[0] {
        case "add":
            guard let text = arguments[.duration], let span = DurationText.seconds(text), span > 0 else {
                throw CommandError(.usage, "foreshock silence add: give --for DURATION, such as 2h or 30m.")
            }
            let silence = SilenceConfig(post: arguments[.post], author: arguments[.author], rule: arguments[.rule], source: arguments[.source],
                                        until: Date().addingTimeInterval(span), comment: arguments[.comment])
            guard silence.post != nil || silence.author != nil || silence.rule != nil || silence.source != nil else {
                throw CommandError(.usage, "foreshock silence add: say what to silence with --post ID, --author NAME, --rule NAME or --source NAME.")
            }
            let id = try stored { () throws(SilenceStore.Problem) in try store.add(silence) }
            terminal.print("\(id) until \(Timestamp.format(silence.until))")
        case "list":
            let now = Date()
            for entry in store.list {
                let s = entry.silence
                let match = [("post", s.post), ("author", s.author), ("rule", s.rule), ("source", s.source)].compactMap { k, v in v.map { "\(k)=\($0)" } }
                let state = s.until > now ? "active until \(Timestamp.format(s.until))" : "expired \(Timestamp.format(s.until))"
                terminal.print("\(entry.id)  \(match.joined(separator: " "))  \(state)" + (s.comment.map { "  \"\($0)\"" } ?? ""))
            }
        case "expire":
            guard positionals.count == 2 else { throw CommandError(.usage, "foreshock silence expire: give the silence's id (see silence list).") }
            guard try stored({ () throws(SilenceStore.Problem) in try store.expire(positionals[1]) }) else {
                throw CommandError(.usage, "foreshock silence expire: no silence \"\(positionals[1])\" (see silence list).")
            }
            terminal.print("\(positionals[1]) expired")
        default:
            throw CommandError(.usage, "foreshock silence: the first word is add, list or expire, not \"\(positionals[0])\".")
        }
        return .success
    }

    private static func stored<T>(_ body: () throws(SilenceStore.Problem) -> T) throws(CommandError) -> T {
        do { return try body() } catch { throw CommandError(.runtime, "foreshock silence: \(error.description)") }
    }
}
