import Foundation

/// The watch process's memory across restarts: `journal.jsonl` in the state directory, one
/// line per observation (the recording format, so `foreshock replay` reads it too), per
/// evaluation tick, per cursor move and per change in a source's health. Replaying it through
/// a fresh scoring core rebuilds the tracked posts and alert states exactly, because the core
/// is a pure function of what it was fed and when it was ticked.
///
/// Appends are fsynced before the scoring core sees the observations, so whatever the core
/// acted on is on disk. A torn last line (a crash mid-write) is dropped; any other unreadable
/// line means the file is not ours to trust: it is moved aside and the process starts fresh.
public struct StateJournal: Sendable {
    public enum Entry: Sendable, Equatable {
        case observations([Observation])
        case tick(Double)
        /// A poll's bookkeeping: the source's cursor after it and the mention ids it took, so a
        /// restart neither skips a mention nor scores one twice.
        case polled(source: String, cursor: String?, ids: [String])
        /// A source failing since `downSince` (nil: healthy); `alerted` once the alert went out.
        case sourceHealth(source: String, downSince: Double?, alerted: Bool)
    }

    public struct Loaded: Sendable {
        public var entries: [Entry] = []
        public var lines = 0
        public var tornTail = false
        /// Where an unreadable journal was moved, and why.
        public var movedAside: (path: String, reason: String)?
    }

    public let path: String
    private let reader = RecordingReader()

    public init(directory: String) {
        path = (directory as NSString).appendingPathComponent("journal.jsonl")
    }

    /// Reads the journal; a corrupt one is moved aside and reads as empty.
    public func load(now: Date = Date()) -> Loaded {
        var loaded = Loaded()
        guard let data = FileManager.default.contents(atPath: path) else { return loaded }
        let bytes = [UInt8](data)
        var batch: [Observation] = []
        var start = 0, number = 0
        while start < bytes.count {
            let end = bytes[start...].firstIndex(of: 0x0A) ?? bytes.count
            number += 1
            let line = bytes[start..<end]
            start = end + 1
            do {
                switch try entry(line, number: number) {
                case .observations(let observations)?:
                    batch += observations
                case let other?:
                    if !batch.isEmpty { loaded.entries.append(.observations(batch)); batch = [] }
                    loaded.entries.append(other)
                case nil:
                    continue
                }
            } catch {
                // No newline after it: the last write was cut short.
                if end == bytes.count {
                    loaded.tornTail = true
                    continue
                }
                let reason = "line \(number): \(error)"
                let moved = AtomicFile.moveAside(path, now: now) ?? path
                return Loaded(movedAside: (moved, reason))
            }
        }
        if !batch.isEmpty { loaded.entries.append(.observations(batch)) }
        loaded.lines = number
        return loaded
    }

    /// Writes observations down before they are scored, with what else belongs to the same
    /// moment (one write, one fsync).
    /// - Returns: the observations as read back from their lines (times to the millisecond),
    ///   so the live core and a restart's replay see identical values.
    /// - Throws: when the journal cannot be written.
    public func append(_ observations: [Observation], then entries: [Entry] = []) throws -> [Observation] {
        let lines = observations.map(RecordingWriter.line)
        let text = (lines + entries.map(Self.line)).joined(separator: "\n")
        guard !text.isEmpty else { return [] }
        try AppendOnlyFile.append(Data((text + "\n").utf8), to: path)
        return lines.enumerated().compactMap { index, line in
            (try? reader.observation(ArraySlice(line.utf8), number: index + 1)) ?? nil
        }
    }


    /// Replaces the journal with `entries` (temp file, fsync, rename).
    public func rewrite(_ entries: [Entry]) throws {
        let text = entries.map(Self.line).joined(separator: "\n")
        try AtomicFile.write(Data((text.isEmpty ? "" : text + "\n").utf8), to: path)
    }

    /// A tick time as the journal keeps it (milliseconds), so live and replayed ticks agree.
    public static func tickTime(_ time: Double) -> Double { (time * 1000).rounded() / 1000 }

    static func line(_ entry: Entry) -> String {
        switch entry {
        case .observations(let observations):
            return observations.map(RecordingWriter.line).joined(separator: "\n")
        case .tick(let time):
            return "{\"type\":\"tick\",\"time\":\(JSONText.number(time))}"
        case .polled(let source, let cursor, let ids):
            return "{\"type\":\"polled\",\"source\":\(JSONText.quote(source)),\"cursor\":\(JSONText.string(cursor)),\"ids\":[\(ids.map(JSONText.quote).joined(separator: ","))]}"
        case .sourceHealth(let source, let since, let alerted):
            return "{\"type\":\"source_health\",\"source\":\(JSONText.quote(source)),\"down_since\":\(JSONText.number(since)),\"alerted\":\(alerted)}"
        }
    }

    private func entry(_ line: ArraySlice<UInt8>, number: Int) throws -> Entry? {
        // Our own lines start with their type; observations go through the recording reader.
        let head = String(decoding: line.prefix(24), as: UTF8.self)
        guard head.hasPrefix("{\"type\":\"tick\"") || head.hasPrefix("{\"type\":\"polled\"") || head.hasPrefix("{\"type\":\"source_health\"") else {
            return try reader.observation(line, number: number).map { .observations([$0]) }
        }
        let value = try JSONValue.parse(bytes: Array(line))
        switch value["type"]?.stringValue {
        case "tick":
            guard let time = value["time"]?.doubleValue else { throw RecordingReader.Problem(line: number, reason: "a tick without a time") }
            return .tick(time)
        case "polled":
            guard let source = value["source"]?.stringValue else { throw RecordingReader.Problem(line: number, reason: "a poll without a source") }
            return .polled(source: source, cursor: value["cursor"]?.stringValue, ids: value["ids"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        default:
            guard let source = value["source"]?.stringValue else { throw RecordingReader.Problem(line: number, reason: "a source_health without a source") }
            return .sourceHealth(source: source, downSince: value["down_since"]?.doubleValue, alerted: value["alerted"]?.boolValue ?? false)
        }
    }
}
