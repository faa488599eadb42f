import ForeshockConfig
import ForeshockFeeds
import ForeshockSupport
import Foundation

/// `foreshock parse --source KIND|NAME [--config FILE] FILE`: one saved response body in, one
/// JSON line per mention out. Checks an adapter against a real payload without any network.
enum ParseCommand {
    static func run(_ arguments: ParsedArguments, terminal: Terminal, environment: [String: String]) throws(CommandError) -> ExitCode {
        guard let name = arguments[.source] else {
            throw CommandError(.usage, "foreshock parse: give --source KIND (\(SourceConfig.Kind.allCases.filter { $0 != .json }.map(\.rawValue).joined(separator: ", "))) or the name of a source in --config.")
        }
        let source = try resolve(name, configPath: arguments[.config], environment: environment)
        let path = arguments.positionals[0]
        // One API answer: 256 MB is more than any, and /dev/zero is not one.
        let body = try CommandFile.read(path, command: "parse", atMost: 256 << 20)
        let kind = "\(source.kind == .x ? "an" : "a") \(source.kind.rawValue)"
        let page: MentionPage
        do {
            page = try source.makeFeed().parseMentions(body)
        } catch {
            // A json source's answer is what its mapping says; one that does not fit is the mapping's to fix.
            throw CommandError(.runtime, source.kind == .json ? "foreshock parse: \(path) does not fit source \(source.name)'s mapping: \(error.message)"
                                   : "foreshock parse: \(path) is not \(kind) response: \(error.message)")
        }
        for mention in page.mentions { terminal.print(mention.jsonLine) }
        for (field, misread) in page.allMisread.sorted(by: { $0.key < $1.key }) {
            if let path = misread.absentPath {
                terminal.printError("foreshock parse: \(misread.named(field)) (\"\(SafeText.terminal(path))\") names nothing in any of the \(misread.count) items (\(SafeText.terminal(misread.example))); "
                                    + (field == MentionPage.Misread.cursorField ? "no cursor is sent." : "it was left empty."))
                continue
            }
            let named = misread.mapped ? "\(misread.named(field)) (\"\(source.fields[field] ?? field)\")" : misread.named(field)
            terminal.printError("foreshock parse: \(named) held values it cannot be read as in \(misread.count) of \(page.mentions.count) items (the first: \(SafeText.terminal(misread.example))); they were left empty.")
        }
        guard page.unreadable > 0 else { return .success }
        // A mapping that reads none of the items is what this command is there to catch.
        let why = source.kind == .json ? "have no id at fields.id (\(source.fields["id"].map { "\"\($0)\"" } ?? "not mapped"))"
            : "are not \(kind) post (not an object, no id, or another kind of item)"
        let said = "foreshock parse: \(page.unreadable) of \(page.unreadable + page.mentions.count) items in \(path) \(why); they were skipped."
        if page.mentions.isEmpty { throw CommandError(.runtime, said) }
        terminal.printError(said)
        return .success
    }

    /// A kind given by name reads with its defaults (`source` is the kind); anything else must
    /// be a source of the config.
    private static func resolve(_ name: String, configPath: String?, environment: [String: String]) throws(CommandError) -> SourceConfig {
        if let configPath {
            let config: Config
            do {
                config = try ConfigLoader.load(path: configPath, environment: environment, requireSecrets: false).0
            } catch {
                throw CommandError(.config, errors: error.problems.map(\.description))
            }
            if let source = config.sources.first(where: { $0.name == name }) { return source }
            if SourceConfig.Kind(rawValue: name) == nil {
                throw CommandError(.usage, "foreshock parse: \(configPath) has no source named \"\(name)\".")
            }
        }
        guard let kind = SourceConfig.Kind(rawValue: name) else {
            let hint = Suggestion.closest(to: name, among: SourceConfig.Kind.allCases.map(\.rawValue)).map { " Did you mean '\($0)'?" } ?? ""
            throw CommandError(.usage, "foreshock parse: \"\(name)\" is not a kind of source.\(hint)")
        }
        guard kind != .json else {
            throw CommandError(.usage, "foreshock parse: a json source needs its items and fields: name one defined in --config FILE.")
        }
        return SourceConfig(name: kind.rawValue, kind: kind, query: "")
    }
}
