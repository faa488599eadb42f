import ForeshockCore
import ForeshockSupport
import Foundation
import Synchronization

/// Appends observations to a recording (`watch --record FILE`), one JSON line each, so that
/// `replay` can later show what other thresholds would have done with the same traffic. With
/// a size limit it rotates like logrotate: FILE becomes FILE.1, FILE.1 becomes FILE.2, up to
/// `keep` old files. Each new file starts with the post line, latest counter and brand's answer
/// of the posts active in the one before, so that a file replayed alone knows their age, size
/// and answer, rather than scoring them as posts of age 0 found in their counters.
package final class RecordingFile: Sendable {
    private struct State {
        var handle: FileHandle
        var size: Int64
        /// What is kept to carry into the next file (with a size limit only), by post.
        var kept: [PostKey: Kept] = [:]
        var keptBytes: Int64 = 0
        var written = 0
    }

    /// A post's lines a new file starts with: its post line, its latest counter and the brand's
    /// answer, which a file replayed alone would otherwise lack (the post's size, and that it
    /// was answered), each with the size it was written at.
    private struct Kept {
        var post: Observation
        var counts: Observation?
        var answer: Observation?
        var bytes: [Int64] = [0, 0, 0]
        /// When the post last had a line of its own in this file (a count of lines written; 0:
        /// none yet, only the lines carried in).
        var active: Int
        var total: Int64 { bytes.reduce(0, +) }
        var lines: [Observation] { [post] + [answer, counts].compactMap { $0 } }
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
    /// - Parameters:
    ///   - seen: when the watch learned of them (`RecordingWriter.line`).
    ///   - carried: lines that repeat what the state journal restored (a restart): written as
    ///     a rotation carries lines, marked so and in at most `carryLimit` bytes (and half the
    ///     size limit), the first given first.
    package func append(_ observations: [Observation], seen: Double? = nil, carried: Bool = false) {
        guard !observations.isEmpty else { return }
        var lines = observations.map { RecordingWriter.line($0, seen: seen, carried: carried) }
        if carried { lines = Array(lines.prefix(Self.within(min(maxBytes.map { $0 / 2 } ?? Self.carryLimit, Self.carryLimit), lines))) }
        let data = Data((lines.joined(separator: "\n") + "\n").utf8)
        state.withLock { state in
            if let maxBytes, state.size > 0, state.size + Int64(data.count) > maxBytes {
                rotate(&state)
                carry(&state, budget: maxBytes / 2, seen: seen ?? observations.map(\.time).max()!)
            }
            // Whole or not at all: no half line for the next write to run on from.
            guard (try? AppendOnlyFile.append(data, to: state.handle, at: UInt64(state.size), synchronize: false)) != nil else { return }
            state.size += Int64(data.count)
            if maxBytes != nil { remember(Array(observations.prefix(lines.count)), lines: lines, in: &state) }
        }
    }

    /// How many of `lines` fit in `budget` bytes, each with its newline.
    private static func within(_ budget: Int64, _ lines: [String]) -> Int {
        var size: Int64 = 0
        return lines.prefix { line in
            size += Int64(line.utf8.count) + 1
            return size <= budget
        }.count
    }

    /// A post's counter as last polled, each count as last given: a poll may give some counts
    /// only (a thread's replies), and the carried line must not set the others back.
    static func merged(_ earlier: Observation?, _ latest: Observation) -> Observation {
        guard case .counts(let key, let time, let reshares, let replies, let likes, let quotes) = latest,
              case .counts(_, _, let r0, let p0, let l0, let q0)? = earlier else { return latest }
        return .counts(key: key, time: time, reshares: reshares ?? r0, replies: replies ?? p0, likes: likes ?? l0, quotes: quotes ?? q0)
    }

    /// Notes each post line written, and each line of a post whose post line is kept.
    private func remember(_ observations: [Observation], lines: [String], in state: inout State) {
        for (observation, line) in zip(observations, lines) {
            state.written += 1
            let key = observation.key, bytes = Int64(line.utf8.count) + 1
            let before = state.kept[key]?.total ?? 0
            switch observation {
            case .post:
                if state.kept[key] == nil { state.kept[key] = Kept(post: observation, active: 0) }
                state.kept[key]!.post = observation
                state.kept[key]!.bytes[0] = bytes
            case .counts where state.kept[key] != nil:
                state.kept[key]!.counts = Self.merged(state.kept[key]!.counts, observation)
                state.kept[key]!.bytes[2] = bytes
            case .answer where state.kept[key] != nil && state.kept[key]!.answer == nil:
                state.kept[key]!.answer = observation
                state.kept[key]!.bytes[1] = bytes
            default:
                break
            }
            state.kept[key]?.active = state.written
            state.keptBytes += (state.kept[key]?.total ?? 0) - before
        }
        guard state.keptBytes > 2 * Self.carryLimit else { return }
        var chosen: [PostKey: Kept] = [:], size: Int64 = 0
        for (key, entry) in state.kept.sorted(by: { $0.value.active > $1.value.active }) where entry.active > 0 {
            guard size + entry.total <= Self.carryLimit else { break }
            size += entry.total
            chosen[key] = entry
        }
        state.kept = chosen
        state.keptBytes = size
    }

    /// Writes at the head of a new file the kept lines of the posts active in the file before,
    /// the latest first, in at most half the size limit (so that a file of carried lines alone
    /// never rotates at once into another) and `carryLimit`.
    /// - Parameter seen: when the watch wrote them (their `seen`; their `time` is when it found
    ///   each post, polled its counter, saw the answer), so that files replayed together keep
    ///   their order; marked carried, so that replay drops them after the file before, where
    ///   they would repeat what it holds (`PostOutcomes.add`).
    private func carry(_ state: inout State, budget: Int64, seen: Double) {
        let active = state.kept.filter { $0.value.active > 0 }.sorted { $0.value.active > $1.value.active }
        state.kept = [:]
        state.keptBytes = 0
        var lines: [String] = [], size: Int64 = 0
        for (key, entry) in active {
            let written = entry.lines.map { RecordingWriter.line($0, seen: seen, carried: true) }
            let bytes = written.reduce(0) { $0 + Int64($1.utf8.count) + 1 }
            guard size + bytes <= min(budget, Self.carryLimit) else { break }
            size += bytes
            lines += written
            var carried = entry
            carried.active = 0
            state.kept[key] = carried
        }
        guard !lines.isEmpty else { return }
        if (try? AppendOnlyFile.append(Data((lines.joined(separator: "\n") + "\n").utf8), to: state.handle, at: UInt64(state.size), synchronize: false)) != nil {
            state.size += size
            state.keptBytes = state.kept.values.reduce(0) { $0 + $1.total }
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
