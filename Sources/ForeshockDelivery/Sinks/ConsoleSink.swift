import ForeshockCore
import ForeshockSupport
import Foundation

/// The terminal: one line per notification on stdout. The default when no sink is configured.
package struct ConsoleSink: AlertSink {
    package let name: String
    package var maxPerMinute: Int? { nil }
    private let terminal: Terminal
    private let silenceCommands: Bool

    /// - Parameter silenceCommands: whether each alert's silence command follows it.
    package init(name: String = "console", terminal: Terminal, silenceCommands: Bool = true) {
        self.name = name
        self.terminal = terminal
        self.silenceCommands = silenceCommands
    }

    /// Each notification's line with its indented lines under it (why, held, the post's words),
    /// then the command that silences it: every line cleaned on its own, so nothing from a post
    /// starts a line of its own.
    package func render(_ notes: [AlertNotification], id: String) -> [(id: String, body: Data)] {
        let text = notes.map { note in
            let silence = silenceCommands ? note.silenceCommand.map { ["    silence: " + $0] } ?? [] : []
            return (AlertText.line(note).split(separator: "\n").map(String.init) + silence)
                .map { SafeText.clean($0, keepLineBreaks: false) }.joined(separator: "\n")
        }
        return [(id, Data(text.joined(separator: "\n").utf8))]
    }

    package func send(_ body: Data, id: String) async throws(DeliveryError) {
        terminal.print(String(decoding: body, as: UTF8.self))
    }
}
