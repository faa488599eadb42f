import Foundation
import Testing
@testable import ForeshockCore

@Suite("Sustained spread: the ordinary author's fast, even start")
struct SustainedSpreadTests {
    let spread = Calibration.standard.sustained

    /// A history with a reshare at each of `times` (seconds after the post).
    func history(_ times: [Double]) -> ShareHistory {
        var history = ShareHistory(originalFollowers: 2_000)
        for time in times { history.add(at: time, followers: 300) }
        return history
    }

    @Test("Reshares that keep coming at 4 a minute from a 2,000-follower account predict past 1,000")
    func evenSpreadPages() throws {
        let times = (1...40).map { Double($0) * 15 } // one every 15 s for 10 minutes
        let reading = try #require(spread.reading(history(times), at: 600, authorFollowers: 2_000))
        #expect(reading.sustained)
        #expect(abs(reading.perMinute - 4) < 0.01)
        #expect(reading.audience == 1)
        #expect(reading.predicted >= 1_000, "\(reading)")
    }

    @Test("A burst of 25 in 16 seconds that stops is not sustained, however fast it was")
    func burstDoesNot() throws {
        let times = (0..<25).map { 3 + Double($0) * 0.55 } + [52, 62, 72]
        let reading = try #require(spread.reading(history(times), at: 72, authorFollowers: 2_566))
        #expect(!reading.sustained, "\(reading)")
        #expect(reading.predicted == 28)
        // A little later, the last third of the window is empty.
        #expect(spread.reading(history(times), at: 180, authorFollowers: 2_566)?.sustained == false)
    }

    @Test("A quiet spell never makes a burst look sustained: read every 10 s after the last reshare, the prediction never rises past what that reshare showed")
    func quietSpellDoesNot() throws {
        // A news post's shape: two early reshares, then 33 in under two minutes, then nothing.
        // As the window grows over the silence, the burst comes to straddle two of its parts.
        let times = [95.0, 375] + (0..<33).map { 400 + Double($0) * 2.5 }
        let spell = history(times)
        let last = try #require(spread.reading(spell, at: times.last!, authorFollowers: 45_000))
        #expect(!last.sustained, "\(last)")
        for age in stride(from: times.last! + 10, through: 1_800, by: 10) {
            let reading = try #require(spread.reading(spell, at: age, authorFollowers: 45_000))
            #expect(!reading.sustained && reading.predicted <= last.predicted, "at \(age) s: \(reading)")
        }
        // The same parts, read when a reshare has just come, still count it sustained.
        let even = history((1...40).map { Double($0) * 15 })
        #expect(spread.reading(even, at: 600, authorFollowers: 2_000)?.sustained == true)
        #expect(spread.reading(even, at: 620, authorFollowers: 2_000)?.sustained == true)
    }

    @Test("The same speed from a 3-million-follower account counts for a tenth, and from an unknown author for nothing")
    func audience() throws {
        let times = (1...40).map { Double($0) * 15 }
        let big = try #require(spread.reading(history(times), at: 600, authorFollowers: 3_000_000))
        #expect(abs(big.audience - 10) < 1e-9)
        #expect(big.predicted < 1_000)
        #expect(spread.reading(history(times), at: 600, authorFollowers: nil) == nil)
    }

    @Test("Fewer than 15 reshares, or spreading for under 15 seconds, say nothing")
    func tooLittle() {
        #expect(spread.reading(history((1...14).map { Double($0) * 10 }), at: 140, authorFollowers: 500) == nil)
        #expect(spread.reading(history((1...20).map { Double($0) * 0.5 }), at: 10, authorFollowers: 500) == nil)
    }

    @Test("Counters: reshares spread evenly within polls are not read until each part spans a poll")
    func countsResolution() throws {
        var history = ShareHistory(originalFollowers: 2_000)
        history.spread(30, from: 0, to: 60, followers: 100)
        #expect(spread.reading(history, at: 60, authorFollowers: 2_000) == nil)
        history.spread(30, from: 60, to: 120, followers: 100)
        // Thirds of 2 minutes are ⅔ of a poll: even by construction, so not read.
        #expect(spread.reading(history, at: 120, authorFollowers: 2_000) == nil)
        history.spread(30, from: 120, to: 180, followers: 100)
        let reading = try #require(spread.reading(history, at: 180, authorFollowers: 2_000))
        #expect(reading.sustained && reading.predicted >= 1_000)
    }

    @Test("Counters: a first poll an hour after the post spreads its reshares over the hour, and the next polls do not read them as even")
    func coarseFirstPoll() {
        var history = ShareHistory(originalFollowers: 2_000)
        history.spread(500, from: 0, to: 3600, followers: 100)
        for poll in 1...9 {
            history.spread(2, from: 3600 + Double(poll - 1) * 60, to: 3600 + Double(poll) * 60, followers: 100)
            #expect(spread.reading(history, at: 3600 + Double(poll) * 60, authorFollowers: 2_000) == nil, "poll \(poll)")
        }
    }

    @Test("The ceiling bounds every later reading while nothing new is observed")
    func ceilingBounds() {
        func every(_ n: Int, _ time: (Double) -> Double) -> [Double] { (1...n).map { time(Double($0)) } }
        let burst: [Double] = (0..<25).map { 3 + Double($0) * 0.55 } + [52, 62, 72]
        let shapes: [[Double]] = [
            every(40) { $0 * 15 }, burst, every(16) { $0 * 2 }, every(60) { pow($0, 1.5) * 4 },
            every(20) { $0 * 0.5 }, // under the least span when the ceiling is taken
            every(10) { $0 * 0.1 } + every(10) { 14 + $0 * 0.6 }, // uneven now, even a little later
        ]
        var counted = ShareHistory(originalFollowers: 2_000)
        counted.spread(40, from: 0, to: 60, followers: 100)
        counted.spread(25, from: 60, to: 120, followers: 100)
        counted.spread(30, from: 120, to: 180, followers: 100)
        var coarse = ShareHistory(originalFollowers: 2_000)
        coarse.spread(300, from: 0, to: 900, followers: 100)
        coarse.spread(20, from: 900, to: 960, followers: 100)
        var histories = shapes.map { (history($0), $0.last!) }
        histories += [(counted, 180), (coarse, 960)]
        for (h, now) in histories {
            for followers in [90.0, 2_000, 300_000] {
                let ceiling = spread.ceiling(h, at: now, authorFollowers: followers)
                for later in stride(from: now, through: now + 1_200, by: 7) {
                    let predicted = spread.reading(h, at: later, authorFollowers: followers)?.predicted ?? 0
                    #expect(predicted <= ceiling + 1e-9, "\(h.count) reshares, \(followers) followers, at \(later): \(predicted) > \(ceiling)")
                }
            }
        }
    }
}

@Suite("The alert's reason")
struct AlertReasonTests {
    @Test("Numbers in the reason read as String(format:) would write them, away from ties", arguments: [0.0, 0.04, 0.16, 1.26, 6.449, 9.96, 12.0, 123.456, -2.37, 296.61])
    func decimals(value: Double) {
        #expect(PostFeatures.decimal(value) == String(format: "%.1f", value))
        #expect(PostFeatures.decimal(value, places: 2) == String(format: "%.2f", value))
    }

    @Test("A tie rounds away from zero")
    func ties() {
        #expect(PostFeatures.decimal(1.25) == "1.3" && PostFeatures.decimal(-0.25) == "-0.3" && PostFeatures.decimal(0.125, places: 2) == "0.13")
    }
}

@Suite("Values kept as NaN-for-none")
struct NaNStorageTests {
    @Test("An estimate or an answer's rates with nothing in them equal another, and read back nil")
    func noneEqualsNone() {
        #expect(SeismicEstimate(reshares: 3) == SeismicEstimate(reshares: 3))
        var estimate = SeismicEstimate(reshares: 3)
        #expect(estimate.infectiousness == nil && estimate.predicted == nil && estimate.low == nil && estimate.high == nil)
        estimate.infectiousness = 0.01
        #expect(estimate != SeismicEstimate(reshares: 3) && estimate.infectiousness == 0.01)
        estimate.infectiousness = nil
        #expect(estimate == SeismicEstimate(reshares: 3))
        #expect(AfterAnswer() == AfterAnswer() && AfterAnswer().before == nil && !AfterAnswer().spreading)
    }
}
