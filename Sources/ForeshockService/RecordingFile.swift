import ForeshockCore
import ForeshockSupport
import Foundation
import Synchronization

/// Appends observations to a recording (`watch --record FILE`), one JSON line each, so that
/// `replay` can later show what other thresholds would have done with the same traffic. With
/// a size limit it rotates like logrotate: FILE becomes FILE.1, FILE.1 becomes FILE.2, up to
/// `keep` old files. Each new file starts with the post lines of the posts still active in the
/// one before, so that a file replayed alone knows their age, author and text rather than
/// scoring them as posts of age 0 found in their counters.
package final class RecordingFile: Sendable {
    private struct State {
        var handle: FileHandle
        var size: Int64
        /// The post lines kept to carry into the next file (with a size limit only), each with
        /// its size and when the post last had a line of its own in this file (a count of lines
        /// written; 0: none yet, only the line carried in).
        var kept: [PostKey: (post: Observation, bytes: Int64, active: Int)] = [:]
        var keptBytes: Int64 = 0
        var written = 0
    }

    /// At most this many bytes of post lines are carried into a new file (and at most half the
    /// size limit), and about twice as many kept in memory: the posts active last come first, and
    /// a busy recording's memory does not grow with its file.
    static let carryLimit: Int64 = 4 << 20

    package let path: String
    package let maxBytes: Int64?
    package let keep: Int
    private let state: Mutex<State>

    /// Opens (or creates) the file for appending.
    /// - Parameters:
    ///   - maxBytes: rotate once the file reaches this size; nil never rotates.
    ///   - keep: how many rotated files to keep.
    /// - Throws: when it cannot be opened, with the system's reason.
    package init(path: String, maxBytes: Int64? = nil, keep: Int = 5) throws {
        self.path = path
        self.maxBytes = maxBytes
        self.keep = max(1, keep)
        let handle = try AppendOnlyFile.open(path)
        state = Mutex(State(handle: handle, size: Int64(try handle.seekToEnd())))
    }

    /// Appends lines in the order given.
    /// - Parameter seen: when the watch learned of them (`RecordingWriter.line`).
    package func append(_ observations: [Observation], seen: Double? = nil) {
        guard !observations.isEmpty else { return }
        let lines = observations.map { RecordingWriter.line($0, seen: seen) }
        let data = Data((lines.joined(separator: "\n") + "\n").utf8)
        state.withLock { state in
            if let maxBytes, state.size > 0, state.size + Int64(data.count) > maxBytes {
                rotate(&state)
                carry(&state, budget: maxBytes / 2, seen: seen ?? observations.map(\.time).max()!)
            }
            // Whole or not at all: no half line for the next write to run on from.
            guard (try? AppendOnlyFile.append(data, to: state.handle, at: UInt64(state.size), synchronize: false)) != nil else { return }
            state.size += Int64(data.count)
            if maxBytes != nil { keep(observations, lines: lines, in: &state) }
        }
    }

    /// Notes each post line written, and each line of a post whose post line is kept.
    private func keep(_ observations: [Observation], lines: [String], in state: inout State) {
        for (observation, line) in zip(observations, lines) {
            state.written += 1
            if observation.isPost {
                let bytes = Int64(line.utf8.count) + 1
                state.keptBytes += bytes - (state.kept[observation.key]?.bytes ?? 0)
                state.kept[observation.key] = (observation, bytes, state.written)
            } else {
                state.kept[observation.key]?.active = state.written
            }
        }
        guard state.keptBytes > 2 * Self.carryLimit else { return }
        state.kept = Self.latest(state.kept, within: Self.carryLimit)
        state.keptBytes = state.kept.values.reduce(0) { $0 + $1.bytes }
    }

    /// The kept post lines of the posts active last, in about `budget` bytes (as first written).
    private static func latest(_ kept: [PostKey: (post: Observation, bytes: Int64, active: Int)], within budget: Int64)
        -> [PostKey: (post: Observation, bytes: Int64, active: Int)] {
        var chosen: [PostKey: (post: Observation, bytes: Int64, active: Int)] = [:], size: Int64 = 0
        for (key, entry) in kept.sorted(by: { $0.value.active > $1.value.active }) where entry.active > 0 {
            guard size + entry.bytes <= budget else { break }
            size += entry.bytes
            chosen[key] = entry
        }
        return chosen
    }

    /// Writes at the head of a new file the post lines of the posts active in the file before,
    /// the latest first, in at most half the size limit (so that a file of carried lines alone
    /// never rotates at once into another) and `carryLimit`.
    /// - Parameter seen: when the watch wrote them (their `seen`; their `time` is when it found
    ///   each post), so that files replayed together keep their order.
    private func carry(_ state: inout State, budget: Int64, seen: Double) {
        let active = state.kept.filter { $0.value.active > 0 }.sorted { $0.value.active > $1.value.active }
        state.kept = [:]
        state.keptBytes = 0
        var lines: [String] = [], size: Int64 = 0
        for (key, entry) in active {
            let line = RecordingWriter.line(entry.post, seen: seen), bytes = Int64(line.utf8.count) + 1
            guard size + bytes <= min(budget, Self.carryLimit) else { break }
            size += bytes
            lines.append(line)
            state.kept[key] = (entry.post, bytes, 0)
        }
        guard !lines.isEmpty else { return }
        if (try? AppendOnlyFile.append(Data((lines.joined(separator: "\n") + "\n").utf8), to: state.handle, at: UInt64(state.size), synchronize: false)) != nil {
            state.size += size
            state.keptBytes = size
        } else {
            state.kept = [:]
        }
    }

    private func rotate(_ state: inout State) {
        try? state.handle.close()
        let manager = FileManager.default
        try? manager.removeItem(atPath: "\(path).\(keep)")
        for index in stride(from: keep - 1, through: 1, by: -1) where manager.fileExists(atPath: "\(path).\(index)") {
            try? manager.moveItem(atPath: "\(path).\(index)", toPath: "\(path).\(index + 1)")
        }
        try? manager.moveItem(atPath: path, toPath: "\(path).1")
        if let handle = try? AppendOnlyFile.open(path) {
            state.handle = handle
            state.size = 0
        }
    }

    package func close() {
        state.withLock { try? $0.handle.close() }
    }
}
