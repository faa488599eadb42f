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

    @Test("Exports as others write them: CRLF and a byte-order mark read, a bad line said with its file and line, NA followers unknown, times sorted")
    func exports() throws {
        var said: [String] = []
        let warn: (String) -> Void = { said.append($0) }
        // TiDeH with CRLF, no header line, an NA follower count, a negative time and one out of order.
        let tideh = try writeTemporaryFile("\u{FEFF}0 2290\r\n5 100\r\n3 NA\r\n-30 7\r\n9 40\r\n", name: "RT7.txt")
        let cascade = try CascadeEvaluation.loadTiDeH(tideh, warn: warn)
        #expect(cascade.times == [3, 5, 9] && cascade.followers! == [2290, nil, 100, 40], "\(cascade)")
        #expect(said.contains("\(tideh): line 4: \"-30\" is no time in seconds after the post; skipped"), "\(said)")
        #expect(said.contains { $0.hasPrefix(tideh) && $0.contains("not in time order") } && said.contains { $0.contains("1 follower count missing") })
        // TiDeH's own header is read as one, the original at 0 after it.
        #expect(try CascadeEvaluation.loadTiDeH(try writeTemporaryFile("3 12.5\n0 90\n10 5\n", name: "RT8.txt")).times == [10])
        // JSON Lines with CRLF, a broken line and an id read twice.
        said = []
        let liang = try writeTemporaryFile("{\"id\": \"a\", \"author_followers\": 5, \"times\": [2, 1], \"followers\": [7, 8]}\r\n{\"id\": \r\n"
                                           + "{\"id\": \"a\", \"times\": [1], \"followers\": [1]}\r\n", name: "liang.jsonl")
        let read = try CascadeEvaluation.loadLiang(liang, warn: warn)
        #expect(read.count == 1 && read[0].times == [1, 2] && read[0].followers! == [5, 8, 7], "\(read)")
        #expect(said.contains { $0.hasPrefix("\(liang): line 2: not valid JSON") } && said.contains("\(liang): line 3: id a again (first on line 1); skipped"), "\(said)")
        let twitter = try writeTemporaryFile("{\"id\": \"t\", \"times\": [0, 30, 10]}\r\n", name: "tw.jsonl")
        #expect(try CascadeEvaluation.loadTwitter1516(twitter).first?.times == [10, 30])
        // SMH's columns by the header's names, in another order.
        let smh = try CascadeEvaluation.loadSMH(try writeTemporaryFile("user_id,time,magnitude\r\n1,100,4000\r\n2,130,12\r\n", name: "SMH-cascade-57.csv"))
        #expect(smh.times == [30] && smh.followers! == [4000, 12], "\(smh)")
        // A file with nothing in it is an error naming it, not an empty data set.
        let empty = try writeTemporaryFile("\r\n", name: "empty.jsonl")
        #expect(throws: CascadeEvaluation.NoCascade.self) { try CascadeEvaluation.loadLiang(empty) }
    }

    @Test("eval evaluates what --data holds: with only Liang's file, its views, and one line for each data set not there")
    func evalWhatIsThere() async throws {
        let dir = try makeTemporaryDirectory()
        let lines = (0..<4).map { #"{"id": "l\#($0)", "author_followers": 300, "times": [10, 20, 30], "followers": [100, 200, 300]}"# }
        try (lines.joined(separator: "\r\n") + "\r\n").write(to: dir.appendingPathComponent("liang_random_dev.jsonl"), atomically: true, encoding: .utf8)
        let (status, out, err) = await runForeshock(["eval", "--data", dir.path])
        #expect(status == .success, "\(err)")
        #expect(out.contains("Liang's random sample, every resharer known: 4 cascades, critical alerts on 0"), "\(out)")
        #expect(!out.contains("TiDeH") && !out.contains("Twitter15/16"), "\(out)")
        #expect(err.contains("not in \(dir.path): tideh/") && err.contains("not in \(dir.path): twitter1516_dev.jsonl"), "\(err)")
        let (fit, _, fitErr) = await runForeshock(["eval", "--data", dir.path, "--holdout"])
        #expect(fit == .failure && fitErr.contains("--holdout needs at least 2 of each of twitter1516_dev.jsonl's posts ending under 500"), "\(fitErr)")
        let (both, _, bothErr) = await runForeshock(["eval", "--data", dir.path, "--holdout", "--fit"])
        #expect(both == .usage && bothErr.contains("give one of them"), "\(bothErr)")
        let (none, _, noneErr) = await runForeshock(["eval", "--data", dir.appendingPathComponent("nothing").path])
        #expect(none == .failure && noneErr.contains("is no directory"), "\(noneErr)")
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
