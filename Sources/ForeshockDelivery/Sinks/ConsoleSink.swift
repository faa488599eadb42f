import ForeshockCore
import ForeshockSupport
import Foundation

/// The terminal: one line per notification on stdout. The default when no sink is configured.
package struct ConsoleSink: AlertSink {
    package let name: String
    package var maxPerMinute: Int? { nil }
    private let terminal: Terminal

    package init(name: String = "console", terminal: Terminal) {
        self.name = name
        self.terminal = terminal
    }

    package func render(_ notes: [AlertNotification], id: String) -> [(id: String, body: Data)] {
        [(id, Data(notes.map { SafeText.clean(AlertText.line($0), keepLineBreaks: false) }.joined(separator: "\n").utf8))]
    }

    package func send(_ body: Data, id: String) async throws(DeliveryError) {
        terminal.print(String(decoding: body, as: UTF8.self))
    }
}
