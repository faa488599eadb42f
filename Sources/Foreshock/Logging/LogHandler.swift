import Foundation

/// Where log lines go. Like swift-log's `LogHandler`: one small protocol, backends beside it.
public protocol LogHandler: Sendable {
    /// Lines below this level are dropped before they are formatted.
    var level: LogLevel { get }
    /// Writes one event.
    func log(level: LogLevel, message: String, metadata: [(String, String)], time: Date)
}

/// The handle code logs through: a handler plus metadata added to every line.
public struct Logger: Sendable {
    public var handler: any LogHandler
    public var metadata: [(String, String)]

    public init(handler: any LogHandler, metadata: [(String, String)] = []) {
        self.handler = handler
        self.metadata = metadata
    }

    /// The same logger with more metadata on every line (`source=…`, `sink=…`).
    public func with(_ key: String, _ value: String) -> Logger {
        Logger(handler: handler, metadata: metadata + [(key, value)])
    }

    public func log(_ level: LogLevel, _ message: @autoclosure () -> String, _ metadata: [(String, String)] = [], time: Date = Date()) {
        guard level >= handler.level else { return }
        handler.log(level: level, message: message(), metadata: self.metadata + metadata, time: time)
    }

    public func debug(_ message: @autoclosure () -> String, _ metadata: [(String, String)] = []) { log(.debug, message(), metadata) }
    public func info(_ message: @autoclosure () -> String, _ metadata: [(String, String)] = []) { log(.info, message(), metadata) }
    public func warning(_ message: @autoclosure () -> String, _ metadata: [(String, String)] = []) { log(.warning, message(), metadata) }
    public func error(_ message: @autoclosure () -> String, _ metadata: [(String, String)] = []) { log(.error, message(), metadata) }
}
