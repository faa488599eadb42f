import Testing
@testable import ForeshockCore

@Suite("Volume baseline")
struct VolumeBaselineTests {
    /// Two mentions a window for a day, then a quiet stretch of `quiet` seconds, then one.
    func baseline(quiet: Double, tickEvery step: Double?) -> VolumeBaseline {
        var baseline = VolumeBaseline(window: 600)
        for window in 0..<144 {
            baseline.record(at: Double(window) * 600 + 10)
            baseline.record(at: Double(window) * 600 + 300)
        }
        let end = 144 * 600 + quiet
        if let step {
            var time = 144 * 600.0
            while time < end {
                baseline.advance(to: time)
                time += step
            }
        }
        baseline.record(at: end)
        return baseline
    }

    @Test("Empty windows closed one tick at a time or all at once leave the same baseline", arguments: [3600.0, 86_400, 2_592_000])
    func skippedTicksChangeNothing(quiet: Double) {
        let ticked = baseline(quiet: quiet, tickEvery: 60)
        let jumped = baseline(quiet: quiet, tickEvery: nil)
        #expect(ticked.ratio == jumped.ratio)
        #expect(ticked.zScore == jumped.zScore)
        // And it did decay: after the quiet stretch one mention stands out against the baseline.
        #expect(jumped.ratio >= 0.5)
    }

    @Test("A storm shows against the baseline; a time far in the future does not trap")
    func ratioAndHostileTime() {
        var baseline = VolumeBaseline(window: 600)
        for window in 0..<20 { baseline.record(at: Double(window) * 600) }
        for k in 0..<30 { baseline.record(at: 20 * 600 + Double(k)) }
        #expect(baseline.ratio >= 25)
        #expect(baseline.zScore > 10)
        baseline.advance(to: 1e300)
        baseline.record(at: 1e300)
        #expect(baseline.ratio.isFinite && baseline.zScore.isFinite)
    }
}
