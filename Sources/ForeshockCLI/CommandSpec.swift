import ForeshockConfig
import ForeshockSupport

/// One option of a command, declared once: the parser, `--help` and the usage line all read it,
/// and the command looks its value up by it (`arguments[.config]`), never by a string.
struct CommandOption: Sendable, Equatable {
    /// `--config`.
    var name: String
    /// What the value is called in the help (`FILE`); nil for a flag.
    var value: String?
    /// One sentence or two: what it does, and its default.
    var help: String

    init(_ name: String, _ value: String? = nil, _ help: String) {
        self.name = name
        self.value = value
        self.help = help
    }

    /// The same option with the help this command gives it.
    func help(_ text: String) -> CommandOption { CommandOption(name, value, text) }

    var isFlag: Bool { value == nil }

    /// The words the value must be one of, when its name lists them (`text|json`, not
    /// `KIND|NAME`, which names what to give).
    var choices: [String]? {
        guard let value, value.contains("|"), value.allSatisfy({ $0 == "|" || ($0.isASCII && $0.isLowercase) }) else { return nil }
        return value.split(separator: "|").map(String.init)
    }

    /// `[--config FILE]`, as the usage line shows it.
    var usage: String { "[" + name + (value.map { " " + $0 } ?? "") + "]" }

    static func == (a: CommandOption, b: CommandOption) -> Bool { a.name == b.name }
}

/// One subcommand: its arguments, its options, its help and what runs it.
struct CommandSpec: Sendable {
    typealias Run = @Sendable (ParsedArguments, Terminal, [String: String]) async throws(CommandError) -> ExitCode

    var name: String
    /// The positional arguments as the usage line names them (`FILE`, `add|list|expire [ID]`).
    var arguments: String = ""
    var positionals: ClosedRange<Int> = 0...0
    /// What the command does, one paragraph; the first sentence is its line in `foreshock help`.
    var summary: String
    var options: [CommandOption]
    var run: Run

    /// `silence add|list|expire [ID] [--post ID] …`, every option in the table.
    var usage: String {
        ([name] + (arguments.isEmpty ? [] : [arguments]) + options.map(\.usage)).joined(separator: " ")
    }

    /// The help, wrapped to `width` columns at spaces, never inside a word.
    func help(width: Int) -> String {
        // The usage line breaks between options, never inside one: `[--state-dir DIR]` stays whole.
        let lead = "Usage: foreshock " + name
        var rows: [String] = []
        var line = lead, onLine = 0
        for unit in (arguments.isEmpty ? [] : [arguments]) + options.map(\.usage) {
            if onLine > 0, line.count + 1 + unit.count > width {
                rows.append(line)
                line = String(repeating: " ", count: lead.count)
                onLine = 0
            }
            line += " " + unit
            onLine += 1
        }
        var text = (rows + [line]).joined(separator: "\n") + "\n\n"
        text += TextWrap.hanging(summary, width: width, indent: 0) + "\n"
        guard !options.isEmpty else { return text }
        let column = min(max(options.map { $0.name.count + ($0.value.map { $0.count + 1 } ?? 0) }.max()! + 4, 16), 30)
        text += "\nOptions:\n"
        for option in options {
            let label = "  " + option.name + (option.value.map { " " + $0 } ?? "")
            let lines = TextWrap.lines(option.help, width: max(20, width - column))
            // A label too long for the column gets a line of its own.
            var rows = label.count + 2 <= column ? [label.padding(toLength: column, withPad: " ", startingAt: 0) + (lines.first ?? "")]
                                                 : [label, String(repeating: " ", count: column) + (lines.first ?? "")]
            rows += lines.dropFirst().map { String(repeating: " ", count: column) + $0 }
            text += rows.joined(separator: "\n") + "\n"
        }
        return text
    }

    /// The first sentence of the summary, for `foreshock help`.
    var headline: String {
        guard let end = summary.range(of: ". ") else { return summary }
        return String(summary[..<end.lowerBound]) + "."
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
            guard let option = options.first(where: { $0.name == name }) else {
                let hint = Suggestion.closest(to: name, among: options.map(\.name)).map { " Did you mean \($0)?" } ?? ""
                throw CommandError(.usage, "foreshock \(self.name): unknown option \(name).\(hint) (see foreshock \(self.name) --help)")
            }
            if option.isFlag {
                guard inline == nil else { throw CommandError(.usage, "foreshock \(self.name): \(name) takes no value.") }
                parsed.flags.insert(name)
            } else if let given = inline ?? (index < arguments.count ? arguments[index] : nil) {
                if inline == nil { index += 1 }
                if let choices = option.choices, !choices.contains(given) {
                    let listed = choices.count < 2 ? choices.joined() : choices.dropLast().joined(separator: ", ") + " or " + choices.last!
                    throw CommandError(.usage, "foreshock \(self.name): \(name) must be \(listed), not \"\(SafeText.terminal(given))\".")
                }
                parsed.set(name, given)
            } else {
                throw CommandError(.usage, "foreshock \(self.name): \(name) needs a value (see foreshock \(self.name) --help).")
            }
        }
        if !parsed.helpRequested, !positionals.contains(parsed.positionals.count) {
            let expected = positionals.lowerBound == positionals.upperBound ? "\(positionals.lowerBound)" : "\(positionals.lowerBound) to \(positionals.upperBound)"
            let what = parsed.positionals.isEmpty ? "an argument is missing" : "takes \(expected) argument\(positionals.upperBound == 1 ? "" : "s"), not \(parsed.positionals.count)"
            throw CommandError(.usage, "foreshock \(self.name): \(what). Usage: foreshock \(usage)")
        }
        return parsed
    }
}

/// A subcommand's arguments after parsing.
struct ParsedArguments: Sendable {
    /// Every value of each option, in the order given; the last is the one that counts.
    var repeated: [String: [String]] = [:]
    var flags: Set<String> = []
    var positionals: [String] = []
    var helpRequested = false

    subscript(option: CommandOption) -> String? { repeated[option.name]?.last }

    /// Every value given for an option, in order (`--sweep A --sweep B`).
    func all(_ option: CommandOption) -> [String] { repeated[option.name] ?? [] }

    mutating func set(_ name: String, _ value: String) {
        repeated[name, default: []].append(value)
    }

    func has(_ flag: CommandOption) -> Bool { flags.contains(flag.name) }
}

/// Text wrapped to a terminal's width at spaces.
enum TextWrap {
    /// The width help is wrapped to: `COLUMNS` when it is a sensible number, else 80.
    static func width(_ environment: [String: String]) -> Int {
        guard let text = environment["COLUMNS"], let columns = Int(text), columns >= 40 else { return 80 }
        return min(columns, 200)
    }

    /// `text` wrapped to `width`, every line after the first indented by `indent`.
    static func hanging(_ text: String, width: Int, indent: Int) -> String {
        let pad = String(repeating: " ", count: indent)
        let first = lines(text, width: width)
        guard let head = first.first else { return "" }
        // The lines after the first are shorter by the indent.
        let rest = first.count > 1 ? lines(first.dropFirst().joined(separator: " "), width: max(20, width - indent)) : []
        return ([head] + rest.map { pad + $0 }).joined(separator: "\n")
    }

    /// `text`'s words in lines of at most `width` characters (a longer word stays whole on a
    /// line of its own).
    static func lines(_ text: String, width: Int) -> [String] {
        lines(units: text.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init), width: width)
    }

    /// `units` (words, or groups that must stay whole) joined by spaces in lines of at most
    /// `width` characters; a unit longer than a line stays whole on a line of its own.
    static func lines(units: [String], width: Int) -> [String] {
        var lines: [String] = []
        var line = ""
        for word in units {
            if !line.isEmpty, line.count + 1 + word.count > width {
                lines.append(line)
                line = ""
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        if !line.isEmpty { lines.append(line) }
        return lines
    }
}
