import Foundation
import Testing
@testable import Foreshock

/// The default rules on real cascades, as `foreshock eval` plays them: the early-warning
/// targets of the scoring issue, on the fixtures (all 50 TiDeH cascades, 300 Twitter15/16).
@Suite("Early warning on real cascades, default rules")
struct EarlyWarningTests {
    static let cascades = repositoryRoot.appendingPathComponent("fixtures/cascades")

    // Loaded off the pool as well: parsing the 50 TiDeH files takes seconds in a debug build,
    // and done on the test's thread by two tests at once it held every async test back for 8 s.
    static func tideh() async throws -> [CascadeEvaluation.Cascade] {
        try await offCooperativePool { try (1...50).map { try CascadeEvaluation.loadTiDeH(cascades.appendingPathComponent("tideh/RT\($0).txt").path) } }
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

    static func median(_ values: [Int]) -> Int { values.sorted()[values.count / 2] }

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

    @Test("Posts that end under 500 are not paged for: none with resharers known, at most 1% counts-only")
    func quiet() async throws {
        let ordinary = try await Self.ordinary()
        let pool = CascadeEvaluation.resharerFollowers(of: try await Self.tideh())
        let withFollowers = ordinary.enumerated().map { CascadeEvaluation.withFollowers($1, from: pool, seed: $0) }
        #expect(try await Self.run(withFollowers, .events).filter { $0.alertAt != nil }.count == 0)
        let counts = try await Self.run(ordinary, .counts).filter { $0.alertAt != nil }.count
        #expect(Double(counts) <= 0.01 * Double(ordinary.count), "\(counts) of \(ordinary.count)")
    }
}
