import Foundation
import Testing
@testable import ForeshockCLI
@testable import ForeshockTestSupport

/// Each option is declared once, in its command's table, and the parser, the usage line and
/// the help all read that table: they cannot drift apart.
@Suite("Command options: one table for the parser, the usage line and the help")
struct CommandOptionTests {
    @Test("every option in a command's table is in its usage line and its help, and the parser takes it", arguments: Commands.all.map(\.name))
    func tableIsEverywhere(command: String) async throws {
        let spec = try #require(Commands.all.first { $0.name == command })
        let (status, out, _) = await runForeshock([command, "--help"], environment: ["COLUMNS": "200"])
        #expect(status == .success)
        // The usage line, however it wraps: everything before the first blank line.
        let usage = (out.components(separatedBy: "\n\n").first ?? "").split(whereSeparator: \.isWhitespace).joined(separator: " ")
        for option in spec.options {
            #expect(usage.contains(option.usage), "\(command)'s usage line lacks \(option.usage): \(usage)")
            #expect(out.contains("  \(option.name)\(option.value.map { " " + $0 } ?? "")"), "\(command) --help does not explain \(option.name)")
            let arguments = option.isFlag ? [option.name] : [option.name, option.choices?.first ?? "x"]
            let positionals = Array(repeating: "add", count: spec.positionals.lowerBound)
            let parsed = try spec.parse(arguments + positionals)
            #expect(option.isFlag ? parsed.has(option) : parsed[option] == arguments.last, "\(command) did not parse \(option.name)")
        }
        #expect(throws: CommandError.self) { try spec.parse(["--not-an-option"] + Array(repeating: "add", count: spec.positionals.lowerBound)) }
    }

    @Test("no command declares an option twice")
    func noDuplicates() {
        for spec in Commands.all {
            #expect(Set(spec.options.map(\.name)).count == spec.options.count, "\(spec.name) declares an option twice")
        }
    }

    @Test("help is wrapped to COLUMNS (80 when unset) at spaces, and the overview gives each command a whole sentence",
          arguments: [nil, "60", "100"] as [String?])
    func wrapped(columns: String?) async {
        let width = columns.flatMap(Int.init) ?? 80
        let environment = columns.map { ["COLUMNS": $0] } ?? [:]
        var texts = [await runForeshock(["help"], environment: environment).out]
        for spec in Commands.all { texts.append(await runForeshock([spec.name, "--help"], environment: environment).out) }
        for text in texts {
            for line in text.split(separator: "\n") {
                // A line may pass the width only when it is a single word too long to break.
                #expect(line.count <= width || !line.trimmingCharacters(in: .whitespaces).contains(" "),
                        "a line of \(line.count) characters at width \(width): \(line)")
            }
        }
        // Each command's line in the overview is a whole sentence, however it wraps.
        let overview = texts[0]
        for spec in Commands.all {
            #expect(spec.headline.hasSuffix("."), "\(spec.name)'s summary line is cut: \(spec.headline)")
            let words = spec.headline.split(separator: " ").joined(separator: " ")
            let flattened = overview.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            #expect(flattened.contains(words), "foreshock help does not show \(spec.name)'s whole first sentence")
        }
    }
}
