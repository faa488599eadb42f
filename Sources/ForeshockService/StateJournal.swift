import ForeshockCore
import ForeshockSupport
import Foundation

/// The watch process's memory across restarts: `journal.jsonl` in the state directory, one
/// line per observation (the recording format, so `foreshock replay` reads it too), per
/// evaluation tick, per cursor move and per change in a source's health. Replaying it through
/// a fresh scoring core rebuilds the tracked posts and alert states exactly, because the core
/// is a pure function of what it was fed and when it was ticked.
///
/// Appends are fsynced before the scoring core sees the observations, so whatever the core
/// acted on is on disk. A torn last line (a crash mid-write) is dropped and cut off the file,
/// so the next append starts a line of its own. Any other unreadable line costs that line
/// only: it is skipped, and the file as it was is copied aside for inspection. A file of which
/// no line can be read is not a journal: it is moved aside and the process starts fresh.
package struct StateJournal: Sendable {
    package enum Entry: Sendable, Equatable {
        case observations([Observation])
        case tick(Double)
        /// A poll's bookkeeping: the source's cursor after it and the mention ids it took, so a
        /// restart neither skips a mention nor scores one twice.
        /// `readsFrom`: the source's `SourceConfig.readsFrom` when the cursor was read (nil in
        /// journals written before it was kept), since a cursor belongs to where it was read.
        case polled(source: String, cursor: String?, ids: [String], readsFrom: String?)
        /// A source failing since `downSince` (nil: healthy); `alerted` once the alert went out.
        case sourceHealth(source: String, downSince: Double?, alerted: Bool)
    }

    package struct Loaded: Sendable {
        package var entries: [Entry] = []
        package var lines = 0
        package var tornTail = false
        /// Where an unreadable journal was moved, and why.
        package var movedAside: (path: String, reason: String)?
        /// Lines that could not be read and were skipped: how many, the first and why, and
        /// where the file as it was was copied.
        package var damaged: (count: Int, first: String, copy: String?)?
    }

    package let path: String
    private let reader = RecordingReader()

    package init(directory: String) {
        path = (directory as NSString).appendingPathComponent("journal.jsonl")
    }

    /// Reads the journal; a corrupt one is moved aside and reads as empty.
    package func load(now: Date = Date()) -> Loaded {
        var loaded = Loaded()
        guard let data = FileManager.default.contents(atPath: path) else { return loaded }
        let bytes = [UInt8](data)
        var batch: [Observation] = []
        var start = 0, number = 0, read = 0
        var bad: (count: Int, first: String)?
        while start < bytes.count {
            let end = bytes[start...].firstIndex(of: 0x0A) ?? bytes.count
            number += 1
            let line = bytes[start..<end]
            let lineStart = start
            start = end + 1
            do {
                switch try entry(line, number: number) {
                case .observations(let observations)?:
                    batch += observations
                case let other?:
                    if !batch.isEmpty { loaded.entries.append(.observations(batch)); batch = [] }
                    loaded.entries.append(other)
                case nil:
                    break
                }
                read += 1
            } catch {
                // No newline after it: the last write was cut short. Cut it off the file too,
                // or the next append would continue that line and spoil itself.
                if end == bytes.count {
                    loaded.tornTail = true
                    Self.truncate(path, to: lineStart)
                    continue
                }
                if let seen = bad { bad = (seen.count + 1, seen.first) } else { bad = (1, "line \(number): \(Self.reason(error, number: number))") }
            }
        }
        if !batch.isEmpty { loaded.entries.append(.observations(batch)) }
        loaded.lines = number
        if let bad {
            guard read > 0 else {
                let moved = AtomicFile.moveAside(path, now: now) ?? path
                return Loaded(movedAside: (moved, "no line could be read (\(bad.first))"))
            }
            let copy = AtomicFile.copyAside(path, now: now)
            loaded.damaged = (bad.count, bad.first, copy)
        }
        return loaded
    }

    /// A problem's reason without the line number the reader already put in front of it.
    private static func reason(_ error: any Error, number: Int) -> String {
        let text = "\(error)"
        let prefix = "line \(number): "
        return text.hasPrefix(prefix) ? String(text.dropFirst(prefix.count)) : text
    }

    private static func truncate(_ path: String, to length: Int) {
        guard let handle = FileHandle(forWritingAtPath: path) else { return }
        try? handle.truncate(atOffset: UInt64(length))
        try? handle.synchronize()
        try? handle.close()
    }

    /// Writes observations down before they are scored, with what else belongs to the same
    /// moment (one write, one fsync).
    /// - Returns: the observations as read back from their lines (times to the millisecond),
    ///   so the live core and a restart's replay see identical values.
    /// - Throws: when the journal cannot be written.
    /// - Parameter seen: when the watch learned of them, written as a recording's `seen` where a
    ///   line is older (so that a replay of the journal plays it as the watch scored it).
    package func append(_ observations: [Observation], then entries: [Entry] = [], seen: Double? = nil) throws -> [Observation] {
        let lines = observations.map { RecordingWriter.line($0, seen: seen) }
        let text = (lines + entries.map(Self.line)).joined(separator: "\n")
        guard !text.isEmpty else { return [] }
        try AppendOnlyFile.append(Data((text + "\n").utf8), to: path)
        return lines.enumerated().compactMap { index, line in
            (try? reader.observation(ArraySlice(line.utf8), number: index + 1)) ?? nil
        }
    }


    /// Replaces the journal with `entries` (temp file, fsync, rename). An observation older than
    /// what came before it (the latest time of the lines and ticks above it, the watch's clock as
    /// near as the journal knows it) keeps its `seen`.
    /// - Returns: the lines written.
    @discardableResult
    package func rewrite(_ entries: [Entry]) throws -> Int {
        var clock = -Double.infinity
        let lines = entries.flatMap { entry in
            switch entry {
            case .observations(let observations):
                return observations.map { observation in
                    clock = max(clock, observation.time)
                    return RecordingWriter.line(observation, seen: clock)
                }
            case .tick(let time):
                clock = max(clock, time)
                return [Self.line(entry)]
            default:
                return [Self.line(entry)]
            }
        }
        try AtomicFile.write(Data(lines.map { $0 + "\n" }.joined().utf8), to: path)
        return lines.count
    }

    /// A tick time as the journal keeps it (milliseconds), so live and replayed ticks agree.
    package static func tickTime(_ time: Double) -> Double { (time * 1000).rounded() / 1000 }

    static func line(_ entry: Entry) -> String {
        switch entry {
        case .observations(let observations):
            return observations.map { RecordingWriter.line($0) }.joined(separator: "\n")
        case .tick(let time):
            return "{\"type\":\"tick\",\"time\":\(JSONText.number(time))}"
        case .polled(let source, let cursor, let ids, let readsFrom):
            return "{\"type\":\"polled\",\"source\":\(JSONText.quote(source)),\"cursor\":\(JSONText.string(cursor)),\"reads_from\":\(JSONText.string(readsFrom)),\"ids\":[\(ids.map(JSONText.quote).joined(separator: ","))]}"
        case .sourceHealth(let source, let since, let alerted):
            return "{\"type\":\"source_health\",\"source\":\(JSONText.quote(source)),\"down_since\":\(JSONText.number(since)),\"alerted\":\(alerted)}"
        }
    }

    /// The types of the journal's own lines, which are not observations: a replay of the
    /// journal passes over them.
    package static let stateTypes: Set<String> = ["tick", "polled", "source_health"]
    /// How each of them starts, as `line` writes it.
    private static let statePrefixes = stateTypes.map { "{\"type\":\"\($0)\"" }

    private func entry(_ line: ArraySlice<UInt8>, number: Int) throws -> Entry? {
        // Our own lines start with their type; observations go through the recording reader.
        let head = String(decoding: line.prefix(24), as: UTF8.self)
        guard Self.statePrefixes.contains(where: head.hasPrefix) else {
            return try reader.observation(line, number: number).map { .observations([$0]) }
        }
        let value = try JSONValue.parse(bytes: Array(line))
        switch value["type"]?.stringValue {
        case "tick":
            guard let time = value["time"]?.doubleValue else { throw RecordingReader.Problem(line: number, reason: "a tick without a time") }
            return .tick(time)
        case "polled":
            guard let source = value["source"]?.stringValue else { throw RecordingReader.Problem(line: number, reason: "a poll without a source") }
            return .polled(source: source, cursor: value["cursor"]?.stringValue, ids: value["ids"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                           readsFrom: value["reads_from"]?.stringValue)
        default:
            guard let source = value["source"]?.stringValue else { throw RecordingReader.Problem(line: number, reason: "a source_health without a source") }
            return .sourceHealth(source: source, downSince: value["down_since"]?.doubleValue, alerted: value["alerted"]?.boolValue ?? false)
        }
    }
}
