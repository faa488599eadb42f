import Foundation

/// Where log lines go. Like swift-log's `LogHandler`: one small protocol, backends beside it.
package protocol LogHandler: Sendable {
    /// Lines below this level are dropped before they are formatted.
    var level: LogLevel { get }
    /// Writes one event.
    func log(level: LogLevel, message: String, metadata: [(String, String)], time: Date)
}

/// The handle code logs through: a handler plus metadata added to every line.
package struct Logger: Sendable {
    package var handler: any LogHandler
    package var metadata: [(String, String)]

    package init(handler: any LogHandler, metadata: [(String, String)] = []) {
        self.handler = handler
        self.metadata = metadata
    }

    /// The same logger with more metadata on every line (`source=…`, `sink=…`).
    package func with(_ key: String, _ value: String) -> Logger {
        Logger(handler: handler, metadata: metadata + [(key, value)])
    }

    package func log(_ level: LogLevel, _ message: @autoclosure () -> String, _ metadata: [(String, String)] = [], time: Date = Date()) {
        guard level >= handler.level else { return }
        handler.log(level: level, message: message(), metadata: self.metadata + metadata, time: time)
    }

    package func debug(_ message: @autoclosure () -> String, _ metadata: [(String, String)] = []) { log(.debug, message(), metadata) }
    package func info(_ message: @autoclosure () -> String, _ metadata: [(String, String)] = []) { log(.info, message(), metadata) }
    package func warning(_ message: @autoclosure () -> String, _ metadata: [(String, String)] = []) { log(.warning, message(), metadata) }
    package func error(_ message: @autoclosure () -> String, _ metadata: [(String, String)] = []) { log(.error, message(), metadata) }
}
