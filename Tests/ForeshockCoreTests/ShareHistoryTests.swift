import Testing
@testable import ForeshockCore

@Suite("A post's reshares over time, exact and binned")
struct ShareHistoryTests {
    /// `reshares(atOrBefore:)` counts back from the newest bin; what it must equal is the plain
    /// definition: every bin over by `t`, and every exact reshare at or before it.
    @Test("Reshares at or before any moment are the bins over by then plus the exact reshares, with bins made by compaction and late reshares")
    func countsAgreeWithTheDefinition() {
        var generator = SplitMix(seed: 7)
        var history = ShareHistory(originalFollowers: 300)
        var time = 0.0
        for step in 0..<3_000 {
            time += generator.uniform() * 40
            history.add(at: time, followers: 100)
            // Now and then one that arrives late, landing among the bins or the exact reshares.
            if step % 97 == 0 { history.add(at: time * generator.uniform(), followers: 50) }
            if step % 50 == 0 { history.compact(now: time, maxWindow: 3_600) }
        }
        #expect(history.bins.count > 20, "the test needs many bins to mean anything: \(history.bins.count)")
        // Several reshares at one moment, as a poll's spread can give.
        for _ in 0..<3 { history.add(at: time, followers: 10) }
        var moments = (0..<400).map { _ in generator.uniform() * (time + 100) }
        moments += history.bins.flatMap { [$0.start, $0.end, $0.end - 1e-6] } + history.shares.map(\.time) + [-1, 0, time, .infinity]
        for t in moments {
            #expect(history.reshares(atOrBefore: t) == Self.counted(history, t), "at \(t)")
        }
        for t in [-1.0, 0, 5, .infinity, .nan] {
            #expect(ShareHistory(originalFollowers: 1).reshares(atOrBefore: t) == 0, "empty, at \(t)")
        }
        var single = ShareHistory(originalFollowers: 1)
        single.add(at: 5, followers: 1)
        #expect([4.0, 5, 6].map { single.reshares(atOrBefore: $0) } == [0, 1, 1])
    }

    @Test("A counter of 2,000,000,000 is counted whole without a record per reshare: at most maxSpread of them get a time")
    func absurdCounter() {
        var history = ShareHistory(originalFollowers: 300)
        history.spread(120, from: 0, to: 60, followers: 100)
        history.spread(2_000_000_000, from: 60, to: 120, followers: 100)
        #expect(history.count == 2_000_000_120 && history.shares.count <= 120 + ShareHistory.maxSpread)
        #expect(history.reshares(atOrBefore: 120) == 2_000_000_120 && history.reshares(atOrBefore: 60) < 2_000_000_120)
        // Those without a time count as early: before the first poll's own reshares.
        #expect(history.reshares(atOrBefore: 0) == 2_000_000_000 - ShareHistory.maxSpread)
        #expect(history.cappedFollowers == 100 * 2_000_000_120)
        history.spread(10, from: 120, to: 180, followers: 100)
        #expect(history.count == 2_000_000_130 && history.reshares(atOrBefore: 180) == 2_000_000_130)
    }

    static func counted(_ history: ShareHistory, _ t: Double) -> Int {
        history.bins.reduce(0) { $0 + ($1.end <= t ? $1.count : 0) } + history.shares.filter { $0.time <= t }.count
    }
}

/// A small deterministic generator, so a failure can be rerun exactly.
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
