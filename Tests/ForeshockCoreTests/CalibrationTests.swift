import Foundation
import Testing
@testable import ForeshockConfig
@testable import ForeshockCore
@testable import ForeshockService
@testable import ForeshockTestSupport

@Suite("The calibrated prediction")
struct CalibrationTests {
    let model = SeismicConfig()
    let calibration = Calibration.standard

    /// A post by an author with `author` followers, reshared every 3 s by accounts with `followers` each.
    func burst(author: Double, followers: [Double]) -> SeismicEstimate {
        var history = ShareHistory(originalFollowers: author)
        history.followersCap = calibration.resharerFollowersCap
        for (index, n) in followers.enumerated() { history.add(at: Double(index + 1) * 3, followers: n) }
        return history.estimate(at: Double(followers.count) * 3 + 1, model: model, kernel: SeismicKernel(model))
    }

    func predicted(_ estimate: SeismicEstimate, age: Double, counts: Bool = false) throws -> Double {
        let result = calibration.apply(estimate, age: age, nStar: model.nStar, counts: counts)
        #expect(!result.supercritical)
        return try #require(result.predicted)
    }

    @Test("A small account's burst is supercritical to raw SEISMIC but not a page; a large account's is")
    func smallAndLargeAuthors() throws {
        let small = burst(author: 200, followers: Array(repeating: 200, count: 10))
        #expect(small.supercritical, "raw SEISMIC calls ten reshares in 30 s on 200 followers supercritical")
        #expect(try predicted(small, age: 31) < 1000)
        let large = burst(author: 1_000_000, followers: Array(repeating: 200, count: 10))
        #expect(try predicted(large, age: 31) >= 1000)
    }

    @Test("One celebrity resharing a small post does not make it look viral")
    func celebrityResharer() throws {
        var followers = Array(repeating: 200.0, count: 10)
        followers[8] = 5_000_000
        let estimate = burst(author: 200, followers: followers)
        #expect(estimate.remainingExposure > 4_000_000)
        #expect(estimate.cappedRemainingExposure < 10_000)
        #expect(try predicted(estimate, age: 31) < 1000)
    }

    @Test("The capped audience stays exact when old shares are binned")
    func cappedExposureBinned() throws {
        let cascade = try loadCascade("seismic_tweet.csv")
        for t in [3600.0, 21600, 86400] {
            let exact = history(cascade, upTo: t, followersCap: 3000)
            let binned = history(cascade, upTo: t, compactEvery: 50, followersCap: 3000)
            let a = exact.estimate(at: t, model: model, kernel: SeismicKernel(model))
            let b = binned.estimate(at: t, model: model, kernel: SeismicKernel(model))
            #expect(a.cappedRemainingExposure < a.remainingExposure)
            #expect(abs(b.cappedRemainingExposure / a.cappedRemainingExposure - 1) < 0.005, "t=\(t)")
        }
    }

    @Test("The calibrated prediction lies between the reshares seen and both ceilings, at every step of real cascades", arguments: ["seismic_tweet.csv", "tideh_RT1.txt"])
    func bounds(file: String) async throws {
        // What lets the shards decide most rules without SEISMIC: these bounds must hold at
        // every moment, with every resharer known and in counts mode, while the cache is kept
        // as the shard keeps it. Off the pool: tens of thousands of estimates.
        let cascade = try loadCascade(file)
        let (model, calibration) = (self.model, self.calibration)
        let (violations, checked) = try await offCooperativePool { () -> ([String], Int) in
            let kernel = SeismicKernel(model)
            var violations: [String] = [], checked = 0
            for counts in [false, true] {
                var history = ShareHistory(originalFollowers: cascade[0].followers)
                history.followersCap = calibration.resharerFollowersCap
                var cache = EstimateCache()
                for (index, share) in cascade.dropFirst().prefix(3000).enumerated() {
                    history.add(at: share.time, followers: counts ? 100 : share.followers)
                    if index % 64 == 63 { history.compact(now: share.time, maxWindow: keptWindow(share.time)) }
                    for t in [share.time, share.time + 1, share.time + 30] {
                        let estimate = history.estimate(at: t, model: model, kernel: kernel, interval: false)
                        let predicted = calibration.apply(estimate, age: t, nStar: model.nStar, counts: counts).predicted ?? -1
                        let observed = history.reshares(atOrBefore: t)
                        let loose = calibration.ceiling(reshares: observed, authorFollowers: history.originalFollowers,
                                                        cappedResharerFollowers: history.cappedFollowers, age: t, nStar: model.nStar, counts: counts)
                        if !(predicted >= Double(observed) && predicted <= loose) { violations.append("t=\(t): \(observed) ≤ \(predicted) ≤ \(loose)") }
                        if let tight = cache.ceiling(reshares: observed, history: history, age: t, calibration: calibration, nStar: model.nStar, counts: counts) {
                            if predicted > tight || tight > loose * (1 + 1e-9) { violations.append("t=\(t): \(predicted) ≤ cached \(tight) ≤ \(loose)") }
                            checked += 1
                        }
                    }
                    // Refreshed now and then, as the shard refreshes it when it is stale.
                    if index % 10 == 0 {
                        cache = EstimateCache(history.estimate(at: share.time, model: model, kernel: kernel, interval: false), age: share.time, count: history.count, history: history)
                    }
                }
            }
            return (violations, checked)
        }
        #expect(violations.isEmpty, "\(file): \(violations.prefix(5))")
        #expect(checked > 5000)
    }

    @Test("A cached estimate rebuilds the estimate it was made from")
    func cacheRebuilds() throws {
        let cascade = try loadCascade("seismic_tweet.csv")
        let history = history(cascade, upTo: 3600)
        let estimate = history.estimate(at: 3600, model: model, kernel: SeismicKernel(model), interval: false)
        let rebuilt = EstimateCache(estimate, age: 3600, count: history.count, history: history).estimate(reshares: estimate.reshares, nStar: model.nStar)
        #expect(rebuilt == estimate)
        // A post SEISMIC has nothing to estimate from is predicted at the reshares it has.
        let empty = SeismicEstimate(reshares: 7)
        #expect(EstimateCache(empty, age: 10, count: 7, history: ShareHistory(originalFollowers: 0)).estimate(reshares: 7, nStar: model.nStar) == empty)
        #expect(calibration.apply(empty, age: 10, nStar: model.nStar).predicted == 7)
    }

    @Test("Counts mode reads its own tables, for the resharers' part and the author's")
    func countsTables() {
        #expect(calibration.factor(age: 600, counts: true) != calibration.factor(age: 600))
        #expect(calibration.factor(age: 600, countsAuthor: true) != calibration.factor(age: 600, counts: true))
        // Interpolated in log-age between the table's points, flat beyond its ends.
        let a = calibration.ageFactors[1], b = calibration.ageFactors[2]
        let middle = calibration.factor(age: (a.age * b.age).squareRoot())
        #expect(abs(middle - (a.factor + b.factor) / 2) < 1e-9)
        #expect(calibration.factor(age: 1) == calibration.ageFactors[0].factor)
        #expect(calibration.factor(age: 1e9) == calibration.ageFactors.last!.factor)
    }

    @Test("TiDeH RT1 (an author with 90 followers) is paged for before 1,000 reshares, from its resharers alone")
    func rt1Paged() throws {
        let cascade = try loadCascade("tideh_RT1.txt")
        let engine = ScoringEngine(config: try ConfigLoader.embeddedDefault(query: "acme", environment: [:]).0, shards: 1)
        let key = PostKey(source: "mastodon", id: "rt1")
        let start = 1_600_000_000.0
        var page: AlertNotification?
        _ = engine.ingest([.post(key: key, time: start, createdAt: start, author: "a", followers: cascade[0].followers, text: nil, url: nil)])
        for share in cascade.dropFirst() where page == nil {
            page = engine.ingest([.reshare(key: key, time: start + share.time, user: nil, followers: share.followers)])
                .first { $0.severity == .critical && $0.state == .firing }
        }
        let alert = try #require(page)
        #expect(alert.reshares < 1000)
        #expect(alert.rule == "going-viral")
    }

    @Test("The engine predicts with the factors it is given, which is what lets eval judge a fit it did not ship")
    func engineTakesCalibration() throws {
        // `eval --holdout` measures fitted factors by handing them to the engine: if the
        // engine quietly kept the shipped ones, every held-out figure would be in-sample.
        let cascade = try CascadeEvaluation.loadTiDeH(repositoryRoot.appendingPathComponent("fixtures/cascades/tideh/RT1.txt").path)
        var evaluation = CascadeEvaluation(config: try ConfigLoader.embeddedDefault(query: "eval", environment: [:]).0)
        let shipped = evaluation.run(cascade, view: .events)
        var timid = calibration
        timid.ageFactors = calibration.ageFactors.map { .init($0.age, $0.factor / 1000) }
        timid.sustained.horizon /= 1000
        evaluation.calibration = timid
        let withTimid = evaluation.run(cascade, view: .events)
        let alertAt = try #require(shipped.resharesAtAlert)
        #expect(alertAt < 1000)
        #expect(withTimid.resharesAtAlert.map { $0 > alertAt } ?? true, "factors a thousand times smaller must page later or never")
    }

    @Test("The fit takes the margin times the smallest factor that would have paged, never rising with age")
    func fit() {
        let fitter = CalibrationFit(model: model, base: calibration, ages: [60, 600, 6000])
        let moments = [
            CalibrationFit.Moment(age: 50, reshares: 100, author: 90, resharers: 0),     // needs 10
            CalibrationFit.Moment(age: 70, reshares: 500, author: 100, resharers: 0),    // needs 5
            CalibrationFit.Moment(age: 700, reshares: 200, author: 40, resharers: 0),    // needs 20: capped at 5
            CalibrationFit.Moment(age: 5000, reshares: 900, author: 50, resharers: 0),   // needs 2
        ]
        let table = fitter.fit(moments, margin: 0.5, part: { $0.author + $0.resharers })
        #expect(table.map(\.age) == [60, 600, 6000])
        #expect(table.map(\.factor) == [2.5, 2.5, 1])
    }
}
