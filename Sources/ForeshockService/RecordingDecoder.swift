import Dispatch
import ForeshockCore
import ForeshockSupport
import Foundation

/// A recording as replay reads it: one file, or several played as one in the order given (a
/// rotated recording's files, oldest first), each named by its own line numbers.
package struct Recording: Sendable {
    package struct Part: Sendable {
        package var name: String
        package var data: Data

        package init(name: String, data: Data) {
            self.name = name
            self.data = data
        }
    }

    package var parts: [Part]

    package init(_ data: Data, name: String) {
        parts = [Part(name: name, data: data)]
    }

    package init(parts: [Part]) {
        self.parts = parts
    }

    /// The files' names, as a report's title says them.
    package var name: String { parts.map(\.name).joined(separator: ", ") }

    /// The sources the recording holds the brand's answers for: where the watch that wrote it
    /// looked for them (`Config.answersAsRecorded`). Only the lines that spell "answer" are
    /// read, so this costs a search through the bytes, not a second decoding.
    package func answeredSources() -> Set<String> {
        let reader = RecordingReader(), word = Array("answer".utf8)
        var sources: Set<String> = []
        for part in parts {
            let data = part.data
            var from = data.startIndex
            while let hit = data.firstIndex(of: word, from: from) {
                let start = data[..<hit].lastIndex(of: 0x0A).map { $0 + 1 } ?? data.startIndex
                let end = data.firstIndex(of: [0x0A], from: hit + word.count) ?? data.endIndex
                if case .answer(let key, _, _)? = try? reader.observation(ArraySlice(data[start..<end]), number: 0) {
                    sources.insert(key.source)
                }
                from = end
            }
        }
        return sources
    }
}

/// Decodes a whole recording on every core and hands the lines back in file order. Reading
/// JSON is much of what replay costs; the lines are independent, so a chunk of them is split
/// over the cores, and the next chunk is read while the caller scores this one (which runs in
/// order, mostly on one core).
package struct RecordingDecoder: Sendable {
    /// One line worth keeping: an observation, or a line that could not be read.
    package enum Line: Sendable {
        case observation(Observation, line: Int, seen: Double, carried: Bool)
        case problem(RecordingReader.Problem)
    }

    /// Lines decoded together before they are handed over. Small enough that the first chunk,
    /// read before any scoring can start, is a small part of a large recording.
    package var chunkLines = 16_384
    /// Parallel parts per chunk.
    package var parts = max(1, ProcessInfo.processInfo.activeProcessorCount) * 4
    private let reader = RecordingReader()

    package init() {}

    /// A chunk being decoded on other threads.
    private struct Pending {
        /// The lines of each part, in order, once `group` is done.
        let results: IndexedResults<[Line]>
        let group: DispatchGroup
        /// The number of the chunk's last line.
        let lastLine: Int
    }

    /// Splits `data` into lines and decodes them, calling `body` with each chunk's lines (in
    /// parts, in order) and the number of the chunk's last line. Blank lines are left out.
    /// Blocks the calling thread while a chunk it needs is still being read: call it off Swift
    /// concurrency's threads, as replay is.
    package func decode(_ data: Data, body: ([[Line]], Int) -> Void) {
        let bytes = [UInt8](data)
        var start = 0, number = 0
        // Its own serial queue: it runs the read-ahead on a thread of its own whatever the
        // global pool is doing, so a pool full of waiting replays cannot starve it (8 decodes
        // blocking the pool at once took 7 s with the read-ahead queued there, 0.6 s here).
        let queue = DispatchQueue(label: "foreshock.recording-decoder")
        func readAhead() -> Pending? {
            guard start < bytes.count else { return nil }
            var ranges: [(start: Int, end: Int, number: Int)] = []
            ranges.reserveCapacity(chunkLines)
            while start < bytes.count, ranges.count < chunkLines {
                let end = bytes[start...].firstIndex(of: 0x0A) ?? bytes.count
                number += 1
                ranges.append((start, end, number))
                start = end + 1
            }
            let slices = ranges, count = min(parts, ranges.count), reader = reader
            let results = IndexedResults<[Line]>(count: count)
            let group = DispatchGroup()
            queue.async(group: group) {
                DispatchQueue.concurrentPerform(iterations: count) { part in
                    var lines: [Line] = []
                    for range in slices[(part * slices.count / count)..<((part + 1) * slices.count / count)] {
                        do throws(RecordingReader.Problem) {
                            if let (observation, seen, carried) = try reader.observed(bytes[range.start..<range.end], number: range.number) {
                                lines.append(.observation(observation, line: range.number, seen: seen, carried: carried))
                            }
                        } catch {
                            lines.append(.problem(error))
                        }
                    }
                    results.set(part, lines)
                }
            }
            return Pending(results: results, group: group, lastLine: number)
        }
        var ahead = readAhead()
        while let pending = ahead {
            pending.group.wait()
            ahead = readAhead()
            body(pending.results.values, pending.lastLine)
        }
    }

    /// Decodes a whole recording and hands its observations over one by one in the order the
    /// watch learned of them, with its clock then: the latest `seen` so far. A line may be older
    /// than those before it (a reshare dated from a list of resharers, the brand's answer, both
    /// scored as the watch scored them); one whose `seen` goes back more than `clockSlack` is
    /// out of order (recordings joined in the wrong order) and skipped, as are lines that
    /// cannot be read: `skipped` is called for each, `report` gets a line for each of the first
    /// 20, then a total, and progress every million lines. `body` is told which lines were
    /// carried into a file's start (`RecordingFile`), to drop those of posts known already;
    /// those are in order among themselves, not after the file before, where they happened.
    package func decodeInOrder(_ data: Data, name: String, report: (String) -> Void, skipped: () -> Void, body: (Observation, Double, Bool) -> Void) {
        decodeInOrder(Recording(data, name: name), report: report, skipped: skipped, body: body)
    }

    /// The same for each file of a recording in turn, on one clock: a line of a later file that
    /// goes back is out of order as one of the same file is (files given newest first).
    package func decodeInOrder(_ recording: Recording, report: (String) -> Void, skipped: () -> Void, body: (Observation, Double, Bool) -> Void) {
        var problems = 0, clock = -Double.infinity, read = 0, backwards = 0
        for part in recording.parts {
            // Lines are numbered per file; progress counts them across the files.
            let readBefore = read
            let name = part.name
            var carriedClock = -Double.infinity
            func skip(_ reason: String) {
                problems += 1
                skipped()
                if problems <= 20 { report("\(name): \(reason)") }
            }
            decode(part.data) { chunk, lastLine in
                for lines in chunk { for line in lines {
                    switch line {
                    case .problem(let problem):
                        skip(problem.description)
                    case .observation(let observation, let number, let seen, let carried) where carried:
                        // A file's carried lines, at its head, happened before it (in the file
                        // before, when files are joined): in order among themselves, each played
                        // when the watch learned of it, or at the clock when that is later.
                        guard seen >= carriedClock - Self.clockSlack else {
                            backwards += 1
                            skip("line \(number): a carried line out of time order (\(Timestamp.format(Date(timeIntervalSince1970: seen))), after \(Timestamp.format(Date(timeIntervalSince1970: carriedClock)))); skipped")
                            continue
                        }
                        carriedClock = max(carriedClock, seen)
                        clock = max(clock, seen)
                        body(observation, clock, true)
                    case .observation(let observation, let number, let seen, _):
                        // The next carried block (a restart's into this file) is in order by itself.
                        carriedClock = -Double.infinity
                        guard seen >= clock - Self.clockSlack else {
                            backwards += 1
                            skip("line \(number): out of time order (\(Timestamp.format(Date(timeIntervalSince1970: seen))), after \(Timestamp.format(Date(timeIntervalSince1970: clock)))); skipped")
                            continue
                        }
                        clock = max(clock, seen)
                        body(observation, clock, false)
                    }
                } }
                let before = read
                read = readBefore + lastLine
                if read / 1_000_000 > before / 1_000_000 { report("replay: \(read / 1_000_000 * 1_000_000) lines read") }
            }
        }
        if problems > 20 { report("\(recording.name): \(problems) lines skipped in all") }
        if backwards > 0, recording.parts.count > 1 {
            report("\(recording.name): \(backwards) lines went back in time: give a rotated recording's files oldest first (FILE.2 FILE.1 FILE)")
        }
    }

    /// How far a line's `seen` may go back and still be in order: the watch's clock stepped
    /// back by its time service, lines of one poll written a moment apart.
    static let clockSlack: Double = 60
}
