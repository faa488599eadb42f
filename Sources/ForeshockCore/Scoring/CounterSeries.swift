/// A post's polled counters over time, kept compact: a sample whenever one changes, at most
/// `capacity` of them. When full, the older half is thinned to every other sample, so the
/// series keeps its start, its recent samples closely, and the time between more coarsely.
package struct CounterSeries: Sendable, Equatable {
    /// One poll's counters; nil where the API did not say (or has not yet).
    package struct Sample: Sendable, Equatable {
        package var time: Double
        package var reshares: Int?
        package var replies: Int?
        package var likes: Int?
        package var quotes: Int?
    }

    package static let capacity = 12
    package private(set) var samples: [Sample] = []

    package init() {}

    /// Records the counters as they are after a poll at `time` (each nil: not known).
    package mutating func record(_ sample: Sample) {
        if let last = samples.last, last.reshares == sample.reshares, last.replies == sample.replies,
           last.likes == sample.likes, last.quotes == sample.quotes {
            return
        }
        if samples.isEmpty { samples.reserveCapacity(4) }
        samples.append(sample)
        guard samples.count > Self.capacity else { return }
        // Keep the first and the newest half; of the samples between, every other one.
        let recent = Self.capacity / 2
        let middle = samples[1..<(samples.count - recent)]
        samples = [samples[0]] + middle.enumerated().filter { $0.offset % 2 == 1 }.map(\.element) + samples.suffix(recent)
    }

    /// Bytes held, for the benchmark's memory figure.
    var approximateBytes: Int { samples.capacity * MemoryLayout<Sample>.stride }
}
