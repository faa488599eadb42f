import Foundation

/// `foreshock bench`: speed and memory of the scoring core and replay, medians of several runs.
enum BenchCommand {
    static func run(_ arguments: ParsedArguments, terminal: Terminal) throws(CommandError) -> ExitCode {
        let posts = try number(arguments, "--posts", 100_000)
        let runs = try number(arguments, "--runs", 5)
        // Follower counts of real resharers: the reference cascade's, shipped in fixtures/.
        let csv = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("fixtures/cascades/seismic_tweet.csv")
        let followers = ((try? String(contentsOf: csv, encoding: .utf8)) ?? "").split(separator: "\n").dropFirst()
            .compactMap { $0.split(separator: ",").last.flatMap { Double($0) } }
        var figures: [Benchmark.Figures] = []
        for run in 1...runs {
            var benchmark = Benchmark(posts: posts, followers: followers)
            figures.append(benchmark.run())
            terminal.printError("bench: run \(run) of \(runs) done")
        }
        func median(_ values: [Double]) -> String { String(format: "%.0f", values.sorted()[values.count / 2]) }
        #if DEBUG
        let build = "debug"
        #else
        let build = "release"
        #endif
        terminal.print("{\"observations_per_sec\":\(median(figures.map(\.observationsPerSecond))),\"seismic_predictions_per_sec\":\(median(figures.map(\.predictionsPerSecond))),\"bytes_per_tracked_post\":\(median(figures.map(\.bytesPerPost))),\"replay_events_per_sec\":\(median(figures.map(\.replayEventsPerSecond))),\"tracked_posts\":\(posts),\"follower_samples\":\(followers.count),\"runs\":\(runs),\"build\":\"\(build)\"}")
        return .success
    }

    private static func number(_ arguments: ParsedArguments, _ name: String, _ fallback: Int) throws(CommandError) -> Int {
        guard let text = arguments[name] else { return fallback }
        guard let value = Int(text), value > 0 else { throw CommandError(.usage, "foreshock bench: \(name) takes a positive number, not \"\(text)\".") }
        return value
    }
}
