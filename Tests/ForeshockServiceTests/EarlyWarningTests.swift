import Foundation
import Testing
@testable import ForeshockConfig
@testable import ForeshockService
@testable import ForeshockSupport
@testable import ForeshockCLI
@testable import ForeshockTestSupport

/// The default rules on real cascades, as `foreshock eval` plays them: the early-warning
/// targets, on the fixtures (all 50 TiDeH cascades, 300 Twitter15/16) and on the shared
/// evaluation data (ordinary authors' viral posts, Liang's and SMH's real ordinary posts).
@Suite("Early warning on real cascades, default rules")
struct EarlyWarningTests {
    static let cascades = repositoryRoot.appendingPathComponent("fixtures/cascades")

    // Loaded off the pool as well: parsing the 50 TiDeH files takes seconds in a debug build,
    // and done on the test's thread by two tests at once it held every async test back for 8 s.
    // Loaded once for the whole suite: five tests read them, and each load is seconds of CPU
    // taken from the timing-sensitive tests running beside them.
    static let tidehLoad = Task {
        try await offCooperativePool { try (1...50).map { try CascadeEvaluation.loadTiDeH(cascades.appendingPathComponent("tideh/RT\($0).txt").path) } }
    }

    static func tideh() async throws -> [CascadeEvaluation.Cascade] {
        try await tidehLoad.value
    }

    static func ordinary() async throws -> [CascadeEvaluation.Cascade] {
        try await offCooperativePool {
            try CascadeEvaluation.loadTwitter1516(cascades.appendingPathComponent("twitter1516_dev_first300.jsonl").path).filter { $0.times.count < 500 }
        }
    }

    static func evaluation() throws -> CascadeEvaluation {
        CascadeEvaluation(config: try ConfigLoader.embeddedDefault(query: "eval", environment: [:]).0)
    }

    /// Off Swift concurrency's pool: a minute of CPU there starves the async tests beside it.
    static func run(_ cascades: [CascadeEvaluation.Cascade], _ view: CascadeEvaluation.View) async throws -> [CascadeEvaluation.Result] {
        let evaluation = try evaluation()
        return try await offCooperativePool { cascades.map { evaluation.run($0, view: view) } }
    }

    /// Int.max for none: a view that lost its data fails its bound instead of trapping.
    static func median(_ values: [Int]) -> Int { values.isEmpty ? .max : values.sorted()[values.count / 2] }

    @Test("Every resharer known: all 50 TiDeH cascades paged before 1,000, the median at ≤ 10 reshares")
    func events() async throws {
        let results = try await Self.run(try await Self.tideh(), .events)
        let caught = results.filter { r in r.alertAt.map { $0 <= r.reachedAt! } ?? false }
        #expect(caught.count == 50)
        #expect(Self.median(caught.compactMap(\.resharesAtAlert)) <= 10)
    }

    @Test("Counts every 60 s: at least 48 of 50 paged before 1,000, median ≤ 100 reshares, 25 min lead")
    func counts() async throws {
        let results = try await Self.run(try await Self.tideh(), .counts)
        let caught = results.filter { r in r.alertAt.map { $0 <= r.reachedAt! } ?? false }
        #expect(caught.count >= 48)
        #expect(Self.median(caught.compactMap(\.resharesAtAlert)) <= 100)
        #expect(caught.map { $0.reachedAt! - $0.alertAt! }.sorted()[caught.count / 2] >= 25 * 60)
    }

    @Test("Twitter15/16 counts-only, no followers at all: at most 1% of the posts that end under 500 are paged for")
    func quiet() async throws {
        // With follower counts drawn from TiDeH's resharers these posts page often: that view is
        // printed by `foreshock eval` but does not decide (real ordinary posts do, below).
        let ordinary = try await Self.ordinary()
        let counts = try await Self.run(ordinary, .counts).filter { $0.alertAt != nil }.count
        #expect(Double(counts) <= 0.01 * Double(ordinary.count), "\(counts) of \(ordinary.count)")
    }

    // The ordinary customer, on the real cascades in ../shared/data (evaluation data whose
    // licences keep it out of fixtures/; CI has it beside the checkout).
    static let shared = repositoryRoot.appendingPathComponent("../shared/data/cascades").standardizedFileURL

    static let realOrdinaryLoad = Task {
        try await offCooperativePool { try EvalCommand.DataSets.load(shared.path, terminal: Terminal(out: { _ in }, err: { _ in })).real }
    }

    static func realOrdinary() async throws -> EvalCommand.RealOrdinary {
        try await realOrdinaryLoad.value
    }

    @Test("Ordinary authors' viral posts, every resharer known: median ≤ 20 reshares at the critical alert, at most 2 past 100, all before 1,000")
    func ordinaryAuthorsEarly() async throws {
        let viral = try await Self.realOrdinary().viral
        #expect(viral.count >= 9, "the 8 TiDeH posts of authors under 100,000 followers and seismic_tweet, in \(Self.shared.path)")
        let results = try await Self.run(viral, .events)
        let atAlert = results.map { $0.resharesAtAlert ?? .max }
        let summary = zip(results, atAlert).map { "\($0.cascade) \($1)" }.joined(separator: ", ")
        #expect(Self.median(atAlert) <= 20, "\(summary)")
        #expect(atAlert.filter { $0 > 100 }.count <= 2, "\(summary)")
        #expect(results.allSatisfy { r in r.alertAt.map { $0 <= r.reachedAt! } ?? false }, "\(summary)")
        let seismic = try #require(results.first { $0.cascade == "seismic_tweet.csv" })
        #expect(try #require(seismic.alertAt) <= 30 * 60, "seismic_tweet paged \(seismic.alertAt ?? -1) s in")
    }

    @Test("Ordinary authors' viral posts, counts every 60 s: median ≤ 60 reshares at the critical alert")
    func ordinaryAuthorsCounts() async throws {
        let results = try await Self.run(try await Self.realOrdinary().viral, .counts)
        let atAlert = results.map { $0.resharesAtAlert ?? .max }
        #expect(Self.median(atAlert) <= 60, "\(zip(results, atAlert).map { "\($0.cascade) \($1)" })")
    }

    @Test("Real ordinary posts, every resharer known: at most 1 of Liang's 448 and 1 of SMH's 20 are paged for")
    func realOrdinaryQuiet() async throws {
        let real = try await Self.realOrdinary()
        #expect(real.liang.count == 448 && real.smh.count == 20)
        let liang = try await Self.run(real.liang, .events).filter { $0.alertAt != nil }
        let smh = try await Self.run(real.smh, .events).filter { $0.alertAt != nil }
        #expect(Double(liang.count) <= 0.0025 * Double(real.liang.count), "\(liang.map(\.cascade))")
        #expect(smh.count <= 1, "\(smh.map(\.cascade))")
    }
}
