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
        /// The post line of each post whose post line is in this file (written or carried).
        var postLines: [PostKey: Observation] = [:]
        /// For each post with a line of its own in this file, when its latest came (a count of
        /// lines written): the posts carried at rotation, the latest first.
        var active: [PostKey: Int] = [:]
        var written = 0
    }

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
        let data = Data((observations.map { RecordingWriter.line($0, seen: seen) }.joined(separator: "\n") + "\n").utf8)
        state.withLock { state in
            if let maxBytes, state.size > 0, state.size + Int64(data.count) > maxBytes {
                rotate(&state)
                carry(&state, budget: maxBytes / 2, seen: seen ?? observations.map(\.time).max()!)
            }
            // Whole or not at all: no half line for the next write to run on from.
            guard (try? AppendOnlyFile.append(data, to: state.handle, at: UInt64(state.size), synchronize: false)) != nil else { return }
            state.size += Int64(data.count)
            for observation in observations {
                state.written += 1
                state.active[observation.key] = state.written
                if observation.isPost { state.postLines[observation.key] = observation }
            }
        }
    }

    /// Writes at the head of a new file the post lines of the posts active in the file before,
    /// the latest first, in at most `budget` bytes: half the size limit, so that a file of
    /// carried lines alone never rotates at once into another.
    /// - Parameter seen: when the watch wrote them (their `seen`; their `time` is when it found
    ///   each post), so that files replayed together keep their order.
    private func carry(_ state: inout State, budget: Int64, seen: Double) {
        let latest = state.active.sorted { $0.value > $1.value }.compactMap { state.postLines[$0.key] }
        state.postLines = [:]
        state.active = [:]
        var lines: [String] = [], size: Int64 = 0
        for post in latest {
            let line = RecordingWriter.line(post, seen: seen)
            guard size + Int64(line.utf8.count) + 1 <= budget else { break }
            size += Int64(line.utf8.count) + 1
            lines.append(line)
            state.postLines[post.key] = post
        }
        guard !lines.isEmpty else { return }
        let data = Data((lines.joined(separator: "\n") + "\n").utf8)
        if (try? AppendOnlyFile.append(data, to: state.handle, at: UInt64(state.size), synchronize: false)) != nil { state.size += Int64(data.count) }
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
