import Foundation
import Testing
@testable import ForeshockConfig
@testable import ForeshockService
@testable import ForeshockTestSupport

/// The real data sets of ordinary authors `eval` reads, in their published shapes (written
/// here line by line: their licences keep the files themselves out of `fixtures/`).
@Suite("Cascades of ordinary authors, as eval reads them")
struct CascadeLoadingTests {
    @Test("Liang's sample: the author's and each resharer's followers, any of them null")
    func liang() throws {
        let path = try writeTemporaryFile("""
        {"id": "l1098612230608703491", "author_followers": null, "times": [372.338, 453.338, 579.338], "followers": [null, 455, 281]}
        {"id": "l1098612842985607168", "author_followers": 3253, "times": [706.336, 9641.336], "followers": [1731, 3636]}
        not a cascade
        {"id": "l3", "author_followers": 10, "times": [1, 2], "followers": [5]}
        """, name: "liang.jsonl")
        let cascades = try CascadeEvaluation.loadLiang(path)
        #expect(cascades.map(\.name) == ["l1098612230608703491", "l1098612842985607168"])
        #expect(cascades[0].times == [372.338, 453.338, 579.338])
        #expect(cascades[0].followers! == [nil, nil, 455, 281])
        #expect(cascades[1].followers! == [3253, 1731, 3636])
    }

    @Test("SMH: the post first, times made relative to it and sorted, magnitudes as followers")
    func smh() throws {
        let path = try writeTemporaryFile("""
        time,magnitude,user_id
        10,4000,1
        80,120,2
        25,,3
        40,"7",4
        """, name: "SMH-cascade-0.csv")
        let cascade = try CascadeEvaluation.loadSMH(path)
        #expect(cascade.times == [15, 30, 70])
        #expect(cascade.followers! == [4000, nil, 7, 120])
    }

    @Test("A resharer with no follower count adds only the assumed typical audience, not a neighbour's")
    func unknownFollowers() {
        var when = RuleConditions()
        when.reachAtLeast = 1_000_000
        var config = Config()
        config.rules = [RuleConfig(name: "reach", severity: .critical, when: when)]
        let evaluation = CascadeEvaluation(config: config)
        let known = CascadeEvaluation.Cascade(name: "known", times: [1, 2], followers: [10, 600_000, 600_000])
        let unknown = CascadeEvaluation.Cascade(name: "unknown", times: [1, 2], followers: [10, nil, 600_000])
        #expect(evaluation.run(known, view: .events).alertAt != nil)
        #expect(evaluation.run(unknown, view: .events).alertAt == nil)
    }
}
