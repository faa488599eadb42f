import Foundation
import Testing
@testable import ForeshockConfig
@testable import ForeshockCore
@testable import ForeshockTestSupport

func history(_ cascade: [(time: Double, followers: Double)], upTo t: Double, compactEvery: Int = 0, followersCap: Double = .infinity) -> ShareHistory {
    var history = ShareHistory(originalFollowers: cascade[0].followers)
    history.followersCap = followersCap
    for (index, share) in cascade.dropFirst().enumerated() where share.time <= t {
        history.add(at: share.time, followers: share.followers)
        if compactEvery > 0, index % compactEvery == 0 { history.compact(now: share.time, maxWindow: keptWindow(share.time)) }
    }
    if compactEvery > 0 { history.compact(now: t, maxWindow: keptWindow(t)) }
    return history
}

/// What the scoring shard keeps exact: the current window and a margin.
func keptWindow(_ age: Double) -> Double { min(max(age / 2, 300), 7200) * 1.1 + 60 }

@Suite("SEISMIC matches the reference implementation")
struct SeismicTests {
    static let tweet: [(Double, Int, Double, Double, Double, Double?)] = [
        (600, 32, 0.00752179, 0.004081, 0.011810, 263.0),
        (1800, 95, 0.03359670, 0.026630, 0.041240, nil),
        (3600, 906, 0.00790884, 0.007458, 0.008371, 7580.8),
        (7200, 2559, 0.00610735, 0.005862, 0.006357, 8761.0),
        (10800, 4348, 0.00641241, 0.006208, 0.006619, 14140.1),
        (21600, 8329, 0.00444480, 0.004302, 0.004589, 15145.0),
        (43200, 12914, 0.00340482, 0.003231, 0.003583, 18130.9),
        (86400, 14579, 0.00348647, 0.003079, 0.003915, 19325.8),
    ]
    static let rt1: [(Double, Int, Double, Double, Double, Double?)] = [
        (600, 207, 0.00210058, 0.0018660, 0.002347, 1298.4),
        (3600, 981, 0.00501920, 0.0046000, 0.005454, 4061.9),
        (21600, 3434, 0.00323588, 0.0030630, 0.003413, 6475.7),
        (86400, 4666, 0.000946711, 0.0005836, 0.001381, 5160.5),
        (259200, 4886, 0.00121763, 0.0006059, 0.002001, 5401.8),
        (604800, 4963, 0.00111067, 0.0004837, 0.001946, 5340.9),
    ]

    func check(_ file: String, _ rows: [(Double, Int, Double, Double, Double, Double?)], compactEvery: Int) throws {
        let cascade = try loadCascade(file)
        let model = SeismicConfig()
        for (t, reshares, p, low, high, predicted) in rows {
            let estimate = history(cascade, upTo: t, compactEvery: compactEvery).estimate(at: t, model: model, kernel: SeismicKernel(model))
            #expect(estimate.reshares == reshares, "t=\(t)")
            let got = try #require(estimate.infectiousness)
            #expect(abs(got / p - 1) < 0.001, "t=\(t): p̂ \(got) vs \(p)")
            // The table rounds the bounds to 4 significant digits.
            #expect(abs((estimate.low ?? 0) / low - 1) < 0.0015, "t=\(t): low \(estimate.low ?? 0) vs \(low)")
            #expect(abs((estimate.high ?? 0) / high - 1) < 0.0015, "t=\(t): high \(estimate.high ?? 0) vs \(high)")
            if let predicted {
                let value = try #require(estimate.predicted, "t=\(t) supercritical")
                #expect(abs(value / predicted - 1) < 0.001, "t=\(t): predicted \(value) vs \(predicted)")
            } else {
                #expect(estimate.supercritical, "t=\(t)")
            }
        }
    }

    @Test("seismic_tweet.csv, every share kept exactly")
    func tweetExact() throws { try check("seismic_tweet.csv", Self.tweet, compactEvery: 0) }

    @Test("seismic_tweet.csv, old shares in bins")
    func tweetBinned() throws { try check("seismic_tweet.csv", Self.tweet, compactEvery: 50) }

    @Test("TiDeH RT1, including the widened window at 604,800 s")
    func rt1() throws { try check("tideh_RT1.txt", Self.rt1, compactEvery: 0) }

    @Test("TiDeH RT1, old shares in bins")
    func rt1Binned() throws { try check("tideh_RT1.txt", Self.rt1, compactEvery: 50) }

    @Test("χ² quantiles")
    func chiSquare() {
        #expect(abs(ChiSquare.quantile(0.05, degrees: 2) - 0.1025866) < 1e-6)
        #expect(abs(ChiSquare.quantile(0.95, degrees: 10) - 18.307038) < 1e-5)
        #expect(abs(ChiSquare.quantile(0.05, degrees: 1000) - 927.594) < 1e-3)
    }
}
