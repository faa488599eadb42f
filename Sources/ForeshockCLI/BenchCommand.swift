import ForeshockService
import ForeshockSupport
import Foundation

/// `foreshock bench`: speed and memory of the scoring core and replay, medians of several runs,
/// on a load copied from the real cascades in `fixtures/cascades/`.
enum BenchCommand {
    static func run(_ arguments: ParsedArguments, terminal: Terminal, environment: [String: String]) async throws(CommandError) -> ExitCode {
        let posts = try number(arguments, .posts, 100_000, most: 10_000_000)
        let runs = try number(arguments, .runs, 5, most: 1_000)
        let config = try CommandConfig.load(arguments, environment: environment, query: "bench")
        try CommandFile.checkReportPlace(arguments[.report], command: "bench")
        let cascades = try loadCascades(arguments[.data])
        // Seconds of CPU on a Dispatch queue, not on Swift concurrency's pool, whose few threads
        // everything else in the process (or a test run beside it) needs.
        let (figures, report): ([Benchmark.Figures], String?) = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var figures: [Benchmark.Figures] = []
                var report: String?
                for run in 1...runs {
                    var benchmark = Benchmark(posts: posts, cascades: cascades, config: config)
                    figures.append(benchmark.run())
                    if run == runs { report = benchmark.lastReport }
                    terminal.printError("bench: run \(run) of \(runs) done")
                }
                continuation.resume(returning: (figures, report))
            }
        }
        if let file = arguments[.report], let report { try CommandFile.writeReport(report, to: file, command: "bench", terminal: terminal) }
        func median(_ values: [Double], _ format: String = "%.0f") -> String { String(format: format, Backtest.median(values) ?? 0) }
        #if DEBUG
        let build = "debug"
        #else
        let build = "release"
        #endif
        let fields = [
            ("observations_per_sec", median(figures.map(\.observationsPerSecond))),
            ("seismic_predictions_per_sec", median(figures.map(\.predictionsPerSecond))),
            ("bytes_per_tracked_post", median(figures.map(\.bytesPerPost))),
            ("replay_events_per_sec", median(figures.map(\.replayEventsPerSecond))),
            ("sweep4_over_replay", figures.allSatisfy { $0.sweepOverReplay != nil }
                ? median(figures.compactMap(\.sweepOverReplay), "%.2f") : "null"),
            ("report_bytes", median(figures.map { Double($0.reportBytes) })),
            ("report_sec", median(figures.map(\.reportSeconds), "%.2f")),
            ("tracked_posts", String(posts)),
            ("observations", String(figures.first?.observations ?? 0)),
            ("cascades", String(cascades.count)),
            ("runs", String(runs)),
            ("build", "\"\(build)\""),
        ]
        terminal.print("{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}")
        return .success
    }

    /// The cascades the load copies: TiDeH's 50 (with followers), the reference package's
    /// example cascade, and the Twitter15/16 trees (times only).
    private static func loadCascades(_ directory: String?) throws(CommandError) -> [CascadeEvaluation.Cascade] {
        // This file is Sources/ForeshockCLI/BenchCommand.swift in the checkout.
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("fixtures/cascades").path
        let candidates = directory.map { [$0] } ?? ["fixtures/cascades", fixtures]
        guard let root = candidates.first(where: { FileManager.default.fileExists(atPath: ($0 as NSString).appendingPathComponent("tideh")) }) else {
            throw CommandError(.runtime, "foreshock bench: no cascades in \(candidates[0]) (give --data DIR holding tideh/, seismic_tweet.csv and twitter1516_dev_first300.jsonl).")
        }
        func path(_ name: String) -> String { (root as NSString).appendingPathComponent(name) }
        do {
            let tideh = try FileManager.default.contentsOfDirectory(atPath: path("tideh")).filter { $0.hasSuffix(".txt") }.sorted()
                .map { try CascadeEvaluation.loadTiDeH(path("tideh/\($0)")) }
            var cascades = tideh + [try CascadeEvaluation.loadTiDeH(path("seismic_tweet.csv"))]
            if FileManager.default.fileExists(atPath: path("twitter1516_dev_first300.jsonl")) {
                cascades += try CascadeEvaluation.loadTwitter1516(path("twitter1516_dev_first300.jsonl"))
            }
            return cascades
        } catch {
            throw CommandError(.runtime, "foreshock bench: cannot read the cascades in \(root): \(SystemReason.of(error))")
        }
    }

    private static func number(_ arguments: ParsedArguments, _ option: CommandOption, _ fallback: Int, most: Int) throws(CommandError) -> Int {
        guard let text = arguments[option] else { return fallback }
        guard let value = Int(text), (1...most).contains(value) else {
            throw CommandError(.usage, "foreshock bench: \(option.name) takes a number from 1 to \(NumberText.grouped(Double(most))), not \"\(text)\".")
        }
        return value
    }
}
