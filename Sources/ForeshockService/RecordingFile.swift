import ForeshockCore
import ForeshockSupport
import Foundation
import Synchronization

/// Appends observations to a recording (`watch --record FILE`), one JSON line each, so that
/// `replay` can later show what other thresholds would have done with the same traffic. With
/// a size limit it rotates like logrotate: FILE becomes FILE.1, FILE.1 becomes FILE.2, up to
/// `keep` old files. Each new file starts with the carried lines (`CarriedPost`: post line,
/// answer, resharers while few, the counter's first and latest samples and its corners between)
/// of the posts active in the one before, so that a file replayed alone scores them as the
/// watch did, rather than as posts of age 0 found in their counters.
/// What the watch hands its recording: a batch of observations as it learned of them, or at a
/// restart the carried lines of the posts its state journal restored.
package enum RecordedLines: Sendable {
    case observed([Observation], seen: Double)
    case carried([CarriedPost])
}

package final class RecordingFile: Sendable {
    private struct State {
        /// nil after a rotation could not open the new file: the next write tries again.
        var handle: FileHandle?
        var size: Int64
        /// Of `size`, what a rotation that could not move the file left in it: not counted
        /// against the limit, or every write would try to rotate again.
        var unrotated: Int64 = 0
        /// What is kept to carry into the next file (with a size limit only), by post.
        var kept: [PostKey: Kept] = [:]
        var keptBytes: Int64 = 0
        var written = 0
        /// Lines lost since a write last failed; nil while writes succeed.
        var lost: Int?
    }

    /// What the recording tells its owner, who logs it: a recording that removes a file or
    /// loses lines says so.
    package enum Event: Sendable, Equatable {
        /// FILE became FILE.1 and so on; `removed` is the oldest file, deleted to keep `keep`.
        case rotated(removed: String?, carriedPosts: Int)
        /// A write failed (a full disk, a file that could not be opened again): lines are lost
        /// until one succeeds. Said once, when writes start failing.
        case writeFailed(reason: String)
        /// A write succeeded after failures; `lost` lines were not written.
        case writingAgain(lost: Int)
        /// A restart's restored posts were carried into the recording (`append(carried:)`).
        case restartCarried(posts: Int)
    }

    /// A post's lines a new file starts with (`CarriedPost`), and when it last had a line of its
    /// own in this file (a count of lines written; 0: none yet, only the lines carried in).
    private struct Kept {
        var lines: CarriedPost
        var active: Int
    }

    /// At most this many bytes of post lines are carried into a new file (and at most half the
    /// size limit), and about twice as many kept in memory: the posts active last come first, and
    /// a busy recording's memory does not grow with its file.
    static let carryLimit: Int64 = 4 << 20

    package let path: String
    package let maxBytes: Int64?
    package let keep: Int
    private let state: Mutex<State>
    private let events: (@Sendable (Event) -> Void)?

    /// Opens (or creates) the file for appending.
    /// - Parameters:
    ///   - maxBytes: rotate once the file reaches this size; nil never rotates.
    ///   - keep: how many rotated files to keep.
    ///   - events: told of rotations and failed writes, after the write that caused them.
    /// - Throws: when it cannot be opened, with the system's reason.
    package init(path: String, maxBytes: Int64? = nil, keep: Int = 5, events: (@Sendable (Event) -> Void)? = nil) throws {
        self.path = path
        self.maxBytes = maxBytes
        self.keep = max(1, keep)
        self.events = events
        let handle = try AppendOnlyFile.open(path)
        state = Mutex(State(handle: handle, size: Int64(try handle.seekToEnd())))
    }

    /// Writes what the watch hands over (`RecordedLines`).
    package func write(_ lines: RecordedLines) {
        switch lines {
        case .observed(let observations, let seen): append(observations, seen: seen)
        case .carried(let posts): append(carried: posts)
        }
    }

    /// Appends the carried lines of a restart's restored posts, as a rotation carries them
    /// (`carry`): in at most `carryLimit` bytes and half the size limit, the first posts given
    /// first, each whole or thinned or left out, so that a recording begun at a restart knows
    /// them.
    package func append(carried posts: [CarriedPost]) {
        let taken = Self.carriedLines(posts.filter { $0.post != nil }, budget: maxBytes.map { $0 / 2 } ?? Self.carryLimit)
        guard !taken.lines.isEmpty,
              write(taken.observations.map(\.observation), lines: taken.lines, seen: taken.observations.map(\.seen)) else { return }
        events?(.restartCarried(posts: taken.posts.count))
    }

    /// Appends lines in the order given.
    /// - Parameter seen: when the watch learned of them (`RecordingWriter.line`).
    package func append(_ observations: [Observation], seen: Double? = nil) {
        guard !observations.isEmpty else { return }
        write(observations, lines: observations.map { RecordingWriter.line($0, seen: seen) }, seen: Array(repeating: seen, count: observations.count))
    }

    /// - Parameter seen: when the watch learned of each line.
    /// - Returns: whether they were written.
    @discardableResult
    private func write(_ observations: [Observation], lines: [String], seen: [Double?]) -> Bool {
        let data = Data((lines.joined(separator: "\n") + "\n").utf8)
        let happened: (events: [Event], written: Bool) = state.withLock { state in
            var happened: [Event] = []
            if let maxBytes, state.size > state.unrotated, state.size - state.unrotated + Int64(data.count) > maxBytes {
                let removed = rotate(&state)
                // The lines that rotated it still fit after the carried ones (a batch larger
                // than the limit is written whole all the same, in a file of its own).
                let posts = carry(&state, budget: min(maxBytes / 2, maxBytes - Int64(data.count)))
                happened.append(.rotated(removed: removed, carriedPosts: posts))
            }
            // Whole or not at all: no half line for the next write to run on from.
            do {
                if state.handle == nil {
                    let handle = try AppendOnlyFile.open(path)
                    (state.handle, state.size) = (handle, Int64(try handle.offset()))
                }
                try AppendOnlyFile.append(data, to: state.handle!, at: UInt64(state.size), synchronize: false)
            } catch {
                if state.lost == nil { happened.append(.writeFailed(reason: SystemReason.of(error))) }
                state.lost = (state.lost ?? 0) + lines.count
                return (happened, false)
            }
            if let lost = state.lost {
                happened.append(.writingAgain(lost: lost))
                state.lost = nil
            }
            state.size += Int64(data.count)
            if maxBytes != nil { remember(observations, lines: lines, seen: seen, in: &state) }
            return (happened, true)
        }
        if let events { happened.events.forEach(events) }
        return happened.written
    }

    /// Notes each post line written, and each line of a post whose post line is kept.
    private func remember(_ observations: [Observation], lines: [String], seen: [Double?], in state: inout State) {
        for ((observation, line), seen) in zip(zip(observations, lines), seen) {
            state.written += 1
            let key = observation.key
            if state.kept[key] == nil, observation.isPost { state.kept[key] = Kept(lines: CarriedPost(), active: 0) }
            guard state.kept[key] != nil else { continue }
            let before = state.kept[key]!.lines.bytes
            state.kept[key]!.lines.add(observation, seen: seen, bytes: Int64(line.utf8.count) + 1)
            state.kept[key]!.active = state.written
            state.keptBytes += state.kept[key]!.lines.bytes - before
        }
        guard state.keptBytes > 2 * Self.carryLimit else { return }
        var chosen: [PostKey: Kept] = [:], size: Int64 = 0
        for (key, entry) in state.kept.sorted(by: { $0.value.active > $1.value.active }) where entry.active > 0 {
            // One post too large does not push out the rest.
            guard size + entry.lines.bytes <= Self.carryLimit else { continue }
            size += entry.lines.bytes
            chosen[key] = entry
        }
        state.kept = chosen
        state.keptBytes = size
    }

    /// Writes at the head of a new file the kept lines of the posts active in the one before,
    /// the latest first, in at most `budget` bytes (half the size limit, so that a file of
    /// carried lines alone never rotates at once into another, less what rotated it) and
    /// `carryLimit`. Each keeps the `seen` it was written with, so that a file replayed alone
    /// plays them as the watch learned of them; marked carried, so that replay drops them after
    /// the file before, where they repeat what it holds (`PostOutcomes.add`).
    /// - Returns: how many posts it carried.
    private func carry(_ state: inout State, budget: Int64) -> Int {
        let active = state.kept.filter { $0.value.active > 0 }.sorted { $0.value.active > $1.value.active }
        state.kept = [:]
        state.keptBytes = 0
        let taken = Self.carriedLines(active.map(\.value.lines), budget: budget)
        for (key, entry) in taken.posts.map({ active[$0] }) {
            var carried = entry
            carried.active = 0
            state.kept[key] = carried
        }
        let lines = taken.lines, size = lines.reduce(0) { $0 + Int64($1.utf8.count) + 1 }
        guard !lines.isEmpty else { return 0 }
        if let handle = state.handle, (try? AppendOnlyFile.append(Data((lines.joined(separator: "\n") + "\n").utf8), to: handle, at: UInt64(state.size), synchronize: false)) != nil {
            state.size += size
            state.keptBytes = state.kept.values.reduce(0) { $0 + $1.lines.bytes }
            return taken.posts.count
        } else {
            state.kept = [:]
            return 0
        }
    }

    /// Posts' carried lines as they are written: whole posts, the first given first, in at most
    /// `budget` bytes and `carryLimit` (a post whose lines do not fit gives its `compact` ones,
    /// else its `counterOnly`, else its `essentials`, else is left out: one large post does not
    /// keep the rest out),
    /// then in the order the watch learned of them, each post line before its post's other
    /// lines: replayed alone, a file then scores the posts carried into it through time, as the
    /// watch did, and not all at once at its start.
    /// - Returns: the lines with their observations, and which posts were taken.
    private static func carriedLines(_ posts: [CarriedPost], budget: Int64) -> (observations: [CarriedPost.Line], lines: [String], posts: [Int]) {
        var taken: [[(CarriedPost.Line, String)]] = [], chosen: [Int] = [], size: Int64 = 0
        for (index, post) in posts.enumerated() {
            // No line is shorter than this: the rest cannot fit.
            guard min(budget, carryLimit) - size >= 64 else { break }
            for lines in [post.lines, post.compact, post.counterOnly, post.essentials].compactMap({ $0 }) {
                let written = lines.map { ($0, RecordingWriter.line($0.observation, seen: $0.seen, carried: true)) }
                let bytes = written.reduce(0) { $0 + Int64($1.1.utf8.count) + 1 }
                guard size + bytes <= min(budget, carryLimit) else { continue }
                size += bytes
                taken.append(written)
                chosen.append(index)
                break
            }
        }
        // In the order the watch learned of them, each post's own in its order (`CarriedPost.lines`).
        let ordered = taken.enumerated().flatMap { post, lines in
            lines.enumerated().map { line, entry in (seen: entry.0.seen, post: post, line: line, entry: entry) }
        }.sorted { ($0.seen, $0.post, $0.line) < ($1.seen, $1.post, $1.line) }
        return (ordered.map(\.entry.0), ordered.map(\.entry.1), chosen)
    }

    /// - Returns: the oldest file, when it was removed to keep `keep`.
    private func rotate(_ state: inout State) -> String? {
        try? state.handle?.close()
        let manager = FileManager.default
        let oldest = "\(path).\(keep)"
        let removed = (try? manager.removeItem(atPath: oldest)) != nil ? oldest : nil
        for index in stride(from: keep - 1, through: 1, by: -1) where manager.fileExists(atPath: "\(path).\(index)") {
            try? manager.moveItem(atPath: "\(path).\(index)", toPath: "\(path).\(index + 1)")
        }
        try? manager.moveItem(atPath: path, toPath: "\(path).1")
        state.handle = try? AppendOnlyFile.open(path)
        // What the file holds: not 0 when a move failed and the old file was opened again, or
        // the next failed append would cut it back to nothing.
        state.size = (try? state.handle?.offset()).map { Int64($0) } ?? 0
        state.unrotated = state.size
        return removed
    }

    package func close() {
        state.withLock { try? $0.handle?.close() }
    }
}
