import Foundation
import Dispatch

/// `foreshock eval`: how early and how quietly the critical rules of a config fire on the
/// shared real cascades, seen as the watch process would see them.
enum EvalCommand {
    static func run(_ arguments: ParsedArguments, terminal: Terminal, environment: [String: String]) throws(CommandError) -> ExitCode {
        let config = try CommandConfig.load(arguments, environment: environment, query: "eval")
        let data = arguments["--data"] ?? "../shared/data/cascades"
        let tidehDir = (data as NSString).appendingPathComponent("tideh")
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: tidehDir)) ?? []).filter { $0.hasSuffix(".txt") }.sorted()
        guard !names.isEmpty else {
            throw CommandError(.runtime, "foreshock eval: no TiDeH cascades in \(tidehDir) (give --data DIR holding tideh/ and twitter1516_dev.jsonl).")
        }
        let tideh: [CascadeEvaluation.Cascade]
        let middle: [CascadeEvaluation.Cascade]
        do {
            tideh = try names.map { try CascadeEvaluation.loadTiDeH((tidehDir as NSString).appendingPathComponent($0)) }
            middle = try CascadeEvaluation.loadTwitter1516((data as NSString).appendingPathComponent("twitter1516_dev.jsonl"))
        } catch {
            throw CommandError(.runtime, "foreshock eval: cannot read the cascades: \((error as NSError).localizedDescription)")
        }
        let evaluation = CascadeEvaluation(config: config)
        // Follower counts of real resharers, for cascades that have none.
        let pool = tideh.flatMap { $0.followers?.dropFirst() ?? [] }
        if arguments.has("--fit") {
            let all = tideh + middle.enumerated().map { CascadeEvaluation.withFollowers($1, from: pool, seed: $0) }
            let ages: [Double] = [300, 600, 1200, 1800, 3600, 7200, 21600, 86400]
            let counts = (tideh + middle).map { CascadeEvaluation.countsView($0, interval: 60, followers: config.scoring.seismic.nStar) }
            for (label, cascades) in [("events", all), ("counts", counts)] {
                for quantile in [0.1, 0.25, 0.5] {
                    let fitted = CascadeEvaluation.fitAgeFactors(cascades, ages: ages, model: config.scoring.seismic, quantile: quantile)
                    terminal.print("\(label) quantile \(quantile): " + fitted.map { "(\(Int($0.0)), \(String(format: "%.3f", $0.1)))" }.joined(separator: ", ") + " over \(fitted.map(\.2).max() ?? 0) cascades")
                }
            }
            return .success
        }
        func runAll(_ cascades: [CascadeEvaluation.Cascade], _ view: CascadeEvaluation.View) -> [CascadeEvaluation.Result] {
            // The cascades are independent: both cores at once.
            let results = IndexedResults<CascadeEvaluation.Result>(count: cascades.count)
            DispatchQueue.concurrentPerform(iterations: cascades.count) { index in
                results.set(index, evaluation.run(cascades[index], view: view))
            }
            return results.values
        }
        terminal.print(CascadeEvaluation.describe(runAll(tideh, .events), label: "TiDeH, every resharer known"))
        terminal.print(CascadeEvaluation.describe(runAll(tideh, .counts), label: "TiDeH, counts every 60 s"))
        let ordinary = middle.filter { $0.times.count < 500 }
        let withFollowers = ordinary.enumerated().map { CascadeEvaluation.withFollowers($1, from: pool, seed: $0) }
        for (label, results) in [("ordinary (< 500), resharers known", runAll(withFollowers, .events)),
                                 ("ordinary (< 500), counts every 60 s", runAll(ordinary, .counts))] {
            let alerted = results.filter { $0.alertAt != nil }.count
            terminal.print("\(label): \(results.count) cascades, critical alerts on \(alerted) (\(String(format: "%.1f", 100 * Double(alerted) / Double(max(1, results.count))))%)")
        }
        let middleResults = runAll(middle, .counts)
        terminal.print(CascadeEvaluation.describe(middleResults, label: "Twitter15/16, counts every 60 s, no followers"))
        let small = zip(middle, middleResults).filter { $0.0.times.count < 500 }
        let falseAlarms = small.filter { $0.1.alertAt != nil }.count
        terminal.print("  of those ending under 500: \(falseAlarms) of \(small.count) alerted (\(String(format: "%.1f", 100 * Double(falseAlarms) / Double(max(1, small.count))))%)")
        return .success
    }
}
