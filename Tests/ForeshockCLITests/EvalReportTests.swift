import Foundation
import Testing
@testable import ForeshockSupport
@testable import ForeshockTestSupport

@Suite("eval --report")
struct EvalReportTests {
    @Test("eval --report draws each view eval prints, with the same figures")
    func report() async throws {
        // A small data folder from the fixtures: five TiDeH cascades, the reference tweet, forty Twitter15/16 trees.
        let data = try makeTemporaryDirectory()
        let tideh = data.appendingPathComponent("tideh")
        try FileManager.default.createDirectory(at: tideh, withIntermediateDirectories: true)
        for name in ["RT1", "RT2", "RT3", "RT11", "RT26"] {
            try FileManager.default.copyItem(at: repositoryRoot.appendingPathComponent("fixtures/cascades/tideh/\(name).txt"), to: tideh.appendingPathComponent("\(name).txt"))
        }
        try FileManager.default.copyItem(at: repositoryRoot.appendingPathComponent("fixtures/cascades/seismic_tweet.csv"), to: data.appendingPathComponent("seismic_tweet.csv"))
        // The trees' first six hours: a counter a minute over the years some of them ran is minutes of a debug build.
        let trees = try String(contentsOf: repositoryRoot.appendingPathComponent("fixtures/cascades/twitter1516_dev_first300.jsonl"), encoding: .utf8)
        let cut = try trees.split(separator: "\n").prefix(40).map { line -> String in
            var tree = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            tree["times"] = (tree["times"] as? [Double] ?? []).filter { $0 <= 6 * 3600 }
            return String(decoding: try JSONSerialization.data(withJSONObject: tree), as: UTF8.self)
        }
        try (cut.joined(separator: "\n") + "\n").write(to: data.appendingPathComponent("twitter1516_dev.jsonl"), atomically: true, encoding: .utf8)
        let report = data.appendingPathComponent("eval.html").path
        let (status, out, err) = await runForeshock(["eval", "--data", data.path, "--report", report])
        #expect(status == .success, "\(err)")
        let html = try String(contentsOfFile: report, encoding: .utf8)
        // "TiDeH, every resharer known: 5 cascades; reach 1000: 5, caught before: 5 (median lead …"
        let line = try #require(out.split(separator: "\n").first { $0.hasPrefix("TiDeH, every resharer known:") })
        let caught = try #require(line.components(separatedBy: "caught before: ").last?.prefix { $0.isNumber })
        let reached = try #require(line.components(separatedBy: "reach 1000: ").last?.prefix { $0.isNumber })
        let section = try #require(html.components(separatedBy: "<h2>TiDeH, every resharer known</h2>").last?.components(separatedBy: "</section>").first)
        #expect(section.contains("<td>\(caught) of \(reached)</td>"), "\(section.prefix(2000))")
        for title in ["TiDeH, counts every 1m", "Ordinary authors&#39; viral posts, every resharer known", "Twitter15/16, counts every 1m, no followers"] {
            #expect(html.contains("<h2>\(title)</h2>"), "\(title)")
        }
        // The viral posts by ordinary authors are drawn, with their curves.
        #expect(html.contains("seismic_tweet.csv") && html.contains("<polyline class=\"reshares\""))
        #expect(!html.contains("followers drawn"), "the synthetic view does not decide, and is not drawn")
    }
}
