import Foundation
import Testing
@testable import ForeshockCLI
@testable import ForeshockConfig
@testable import ForeshockCore
@testable import ForeshockDelivery
@testable import ForeshockTestSupport

/// The README shows what the binary does today: every `foreshock` command it shows is one the
/// command line takes, and what it shows a command printing is what that command prints.
@Suite("The README's commands and figures")
struct ReadmeTests {
    static func readme() throws -> String {
        try String(contentsOf: repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
    }

    /// Every fenced block: its language and its text.
    static func blocks(_ text: String) -> [(language: String, body: String)] {
        let parts = text.components(separatedBy: "```")
        return stride(from: 1, to: parts.count - 1, by: 2).map { index in
            let block = parts[index]
            let newline = block.firstIndex(of: "\n") ?? block.endIndex
            return (String(block[..<newline]), String(block[block.index(after: newline)...]))
        }
    }

    /// A command line split as a shell would, for the quoting the README uses.
    static func words(_ line: String) -> [String] {
        var words: [String] = [], word = "", quote: Character?
        for character in line {
            if let open = quote {
                if character == open { quote = nil } else { word.append(character) }
            } else if character == "\"" || character == "'" {
                quote = character
            } else if character == " " {
                if !word.isEmpty { words.append(word); word = "" }
            } else {
                word.append(character)
            }
        }
        if !word.isEmpty { words.append(word) }
        return words
    }

    /// Every `foreshock …` command in the README: the lines of its `sh` blocks and the commands
    /// in backticks in its text, as argument lists after the program's name.
    static func commands(_ text: String) -> [[String]] {
        var lines: [String] = []
        for block in blocks(text) where block.language == "sh" {
            for line in block.body.split(separator: "\n") {
                lines.append(String(line.split(separator: "#", maxSplits: 1).first ?? "").trimmingCharacters(in: .whitespaces))
            }
        }
        let prose = blocks(text).reduce(text) { $0.replacingOccurrences(of: $1.body, with: "") }
        for piece in prose.components(separatedBy: "`").enumerated() where piece.offset % 2 == 1 { lines.append(piece.element) }
        return lines.compactMap { line in
            var words = words(line.components(separatedBy: " > ").first ?? line)
            guard let program = words.first, program == "foreshock" || program.hasSuffix("/foreshock") else { return nil }
            words.removeFirst()
            return words
        }
    }

    @Test("every foreshock command the README shows is one the command line takes")
    func commandsParse() throws {
        let commands = Self.commands(try Self.readme())
        #expect(commands.count >= 10, "found only \(commands.count) commands: the README's blocks are not where this test looks")
        for arguments in commands {
            guard let name = arguments.first else { continue }
            if name == "help" || name == "--version" { continue }
            // Placeholders in capitals stand for a value; a bare command name in the prose is fine.
            guard let spec = Commands.all.first(where: { $0.name == name }) else {
                Issue.record("the README shows `foreshock \(arguments.joined(separator: " "))`, and there is no command \(name)")
                continue
            }
            if arguments.count == 1 && spec.positionals.lowerBound > 0 { continue }
            do throws(CommandError) {
                _ = try spec.parse(Array(arguments.dropFirst()))
            } catch {
                Issue.record("the README shows `foreshock \(arguments.joined(separator: " "))`: \(error.message)")
            }
        }
    }

    @Test("the embedded default config the README shows is the one check-config --print prints and watch runs")
    func defaultConfigShown() async throws {
        let shown = try #require(Self.blocks(try Self.readme()).first { $0.language == "json5" && $0.body.contains("embedded default config") })
        let (status, out, _) = await runForeshock(["check-config", "--print"])
        #expect(status == .success)
        #expect(out == shown.body, "README's default config differs from check-config --print")
        #expect(out.trimmingCharacters(in: .newlines) == DefaultConfig.text)
    }

    @Test("the replay summary the README shows is what replay prints for the shipped recording")
    func replayShown() async throws {
        let blocks = Self.blocks(try Self.readme())
        let summary = try #require(blocks.first { $0.body.hasPrefix("8,330 observations") })
        let (status, out, _) = await runForeshock(["replay", repositoryRoot.appendingPathComponent("fixtures/recordings/seismic_tweet_6h.jsonl").path])
        #expect(status == .success)
        #expect(out.contains(summary.body), "replay printed:\n\(out)")
    }

    @Test("the email the README shows is the sample alert rendered by the email template, line for line")
    func emailShown() throws {
        let shown = try #require(Self.blocks(try Self.readme()).first { $0.body.hasPrefix("Subject: [Foreshock") })
        let templates = try AlertTemplates(directory: nil).loadEmail(override: nil)
        let values = TemplateValues(AlertNotification.sample)
        let rendered = "Subject: " + templates.subject.render(values, context: .header) + "\n" + templates.body.render(values, context: .text)
        for line in shown.body.split(separator: "\n") where !line.hasPrefix("From:") && !line.hasPrefix("To:") && !line.hasPrefix("Alert ") {
            #expect(rendered.contains(line), "the README's email has a line the template does not render: \(line)")
        }
    }
}
