import ForeshockConfig

/// The options and arguments one subcommand takes, and its help.
struct CommandSpec: Sendable {
    var name: String
    var usage: String
    var summary: String
    /// Option lines for the help, "--flag VALUE   what it does".
    var details: [String]
    var valueOptions: [String]
    var flags: [String] = []
    var positionals: ClosedRange<Int> = 0...0

    var help: String {
        var text = "Usage: foreshock \(usage)\n\n\(summary)\n"
        if !details.isEmpty { text += "\n" + details.map { "  " + $0 }.joined(separator: "\n") + "\n" }
        return text
    }

    /// Parses the arguments after the subcommand's name.
    /// - Throws: `CommandError` (usage) naming the first thing that is wrong.
    func parse(_ arguments: [String]) throws(CommandError) -> ParsedArguments {
        var parsed = ParsedArguments()
        var index = 0
        var onlyPositionals = false
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if onlyPositionals || !argument.hasPrefix("-") || argument == "-" {
                parsed.positionals.append(argument)
                continue
            }
            if argument == "--" { onlyPositionals = true; continue }
            if argument == "--help" || argument == "-h" { parsed.helpRequested = true; continue }
            var name = argument
            var inline: String?
            if let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                inline = String(argument[argument.index(after: equals)...])
            }
            if valueOptions.contains(name) {
                if let inline {
                    parsed.values[name] = inline
                } else if index < arguments.count {
                    parsed.values[name] = arguments[index]
                    index += 1
                } else {
                    throw CommandError(.usage, "foreshock \(self.name): \(name) needs a value (see foreshock \(self.name) --help).")
                }
            } else if flags.contains(name), inline == nil {
                parsed.flags.insert(name)
            } else {
                let hint = Suggestion.closest(to: name, among: valueOptions + flags).map { " Did you mean \($0)?" } ?? ""
                throw CommandError(.usage, "foreshock \(self.name): unknown option \(name).\(hint) (see foreshock \(self.name) --help)")
            }
        }
        if !parsed.helpRequested, !positionals.contains(parsed.positionals.count) {
            let expected = positionals.lowerBound == positionals.upperBound ? "\(positionals.lowerBound)" : "\(positionals.lowerBound) to \(positionals.upperBound)"
            throw CommandError(.usage, "foreshock \(self.name): expected \(expected) argument\(positionals.upperBound == 1 ? "" : "s"), got \(parsed.positionals.count). Usage: foreshock \(usage)")
        }
        return parsed
    }
}

/// A subcommand's arguments after parsing.
struct ParsedArguments: Sendable {
    var values: [String: String] = [:]
    var flags: Set<String> = []
    var positionals: [String] = []
    var helpRequested = false

    subscript(option: String) -> String? { values[option] }

    func has(_ flag: String) -> Bool { flags.contains(flag) }
}
