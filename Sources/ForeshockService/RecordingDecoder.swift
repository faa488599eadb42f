import Dispatch
import ForeshockCore
import ForeshockSupport
import Foundation

/// Decodes a whole recording on every core and hands the lines back in file order. Reading
/// JSON is most of what replay costs; the lines are independent, so a chunk of them is split
/// over the cores and only the scoring that follows runs in order.
package struct RecordingDecoder: Sendable {
    /// One line worth keeping: an observation, or a line that could not be read.
    package enum Line: Sendable {
        case observation(Observation, line: Int)
        case problem(RecordingReader.Problem)
    }

    /// Lines decoded together before they are handed over.
    package var chunkLines = 65_536
    /// Parallel parts per chunk.
    package var parts = max(1, ProcessInfo.processInfo.activeProcessorCount) * 4
    private let reader = RecordingReader()

    package init() {}

    /// Splits `data` into lines and decodes them, calling `body` with each chunk in order and
    /// the number of the chunk's last line. Blank lines and unknown types are left out.
    package func decode(_ data: Data, body: ([Line], Int) -> Void) {
        let bytes = [UInt8](data)
        var start = 0, number = 0
        while start < bytes.count {
            var ranges: [(start: Int, end: Int, number: Int)] = []
            ranges.reserveCapacity(chunkLines)
            while start < bytes.count, ranges.count < chunkLines {
                let end = bytes[start...].firstIndex(of: 0x0A) ?? bytes.count
                number += 1
                ranges.append((start, end, number))
                start = end + 1
            }
            let slices = ranges
            let count = min(parts, slices.count)
            let results = IndexedResults<[Line]>(count: count)
            DispatchQueue.concurrentPerform(iterations: count) { part in
                var lines: [Line] = []
                for range in slices[(part * slices.count / count)..<((part + 1) * slices.count / count)] {
                    do throws(RecordingReader.Problem) {
                        if let observation = try reader.observation(bytes[range.start..<range.end], number: range.number) {
                            lines.append(.observation(observation, line: range.number))
                        }
                    } catch {
                        lines.append(.problem(error))
                    }
                }
                results.set(part, lines)
            }
            body(Array(results.values.joined()), number)
        }
    }
}
