import ForeshockConfig
import ForeshockCore
import Foundation

/// The synthetic load `foreshock bench` measures, built from real cascades.
///
/// Each post's size follows the heavy tail real posts have (a discrete power law with exponent
/// about 2.3: most posts get a reshare or two, a few get thousands), capped at the largest real
/// cascade given. Its reshares are then a real cascade's: one at least that large is picked at
/// random, and `size` of its reshares are taken, one from each of `size` equal parts of it, so
/// the post spreads in time as that cascade did (a burst in the first minutes, a tail over
/// days) and a post as large as its cascade replays it whole. Followers are the cascade's
/// where it has them, else drawn from the real resharers' follower counts.
package struct Benchmark {
    package struct Figures: Sendable {
        package var observations: Int
        package var observationsPerSecond: Double
        package var predictionsPerSecond: Double
        package var bytesPerPost: Double
        package var replayEventsPerSecond: Double
        /// `replay --sweep` of four values of a rule's prediction threshold, against one replay
        /// of the same recording (nil when no rule has one).
        package var sweepOverReplay: Double?
        /// `replay --report` of the load: its size and the seconds to make it (the second
        /// replay that samples the posts drawn, and the page).
        package var reportBytes: Int
        package var reportSeconds: Double
    }

    package let posts: Int
    /// The cascades copied, smallest first.
    package let cascades: [CascadeEvaluation.Cascade]
    /// Real resharers' follower counts, for cascades that have none.
    package let followers: [Double]
    /// The rules and scoring settings measured.
    package let config: Config
    private var random: UInt64 = 0x2545F4914F6CDD1D

    /// - Parameters:
    ///   - posts: how many posts the load has (all tracked at once).
    ///   - cascades: real cascades to copy; at least one.
    ///   - config: the config whose rules and scoring are measured (its post limit is raised to
    ///     hold every post).
    package init(posts: Int, cascades: [CascadeEvaluation.Cascade], config: Config) {
        self.posts = posts
        self.cascades = cascades.filter { !$0.times.isEmpty }.sorted { $0.times.count < $1.times.count }
        let known = CascadeEvaluation.resharerFollowers(of: cascades)
        followers = known.isEmpty ? [100] : known
        var config = config
        config.scoring.maxTrackedPosts = max(config.scoring.maxTrackedPosts, posts * 2)
        self.config = config
    }

    private mutating func next() -> UInt64 {
        random ^= random << 13; random ^= random >> 7; random ^= random << 17
        return random
    }

    private mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }

    private mutating func drawFollowers() -> Double { followers[Int(next() % UInt64(followers.count))] }

    /// The post with index `index` in the load (a third on one source, the rest on another).
    static func key(_ index: Int) -> PostKey {
        PostKey(source: index % 3 == 0 ? "x" : "m", id: String(index))
    }

    /// The observations of the load, in time order: each post, then its reshares.
    package mutating func observations() -> [Observation] {
        guard let largest = cascades.last?.times.count else { return [] }
        var out: [Observation] = []
        out.reserveCapacity(posts * 4)
        let start = 1_700_000_000.0
        for index in 0..<posts {
            let size = min(largest, Int(pow(1 - uniform(), -1 / 1.3)) - 1)
            let created = start + Double(index) * 0.05
            let key = Self.key(index)
            let smallest = cascades.firstIndex { $0.times.count >= size } ?? cascades.count - 1
            let cascade = cascades[smallest + Int(next() % UInt64(cascades.count - smallest))]
            let author = (cascade.followers?.first ?? nil) ?? drawFollowers()
            out.append(.post(key: key, time: created, createdAt: created, author: nil, followers: author, text: nil, url: nil))
            let length = Double(cascade.times.count)
            for part in 0..<size {
                // Parts are disjoint and in order, so the times stay sorted.
                let share = min(cascade.times.count - 1, Int((Double(part) + uniform()) * length / Double(size)))
                let resharer = cascade.followers.flatMap { $0[share + 1] } ?? drawFollowers()
                out.append(.reshare(key: key, time: created + cascade.times[share], user: nil, followers: resharer))
            }
        }
        out.sort { $0.time < $1.time }
        return out
    }

    /// One run: ingest, predictions over every post, memory, and replay of the same load as text.
    package mutating func run() -> Figures {
        let config = self.config
        let load = observations()
        let engine = ScoringEngine(config: config)
        // Cut into batches before the clock starts: copying them out is not the engine's work.
        let batches = stride(from: 0, to: load.count, by: 8192).map { Array(load[$0..<min($0 + 8192, load.count)]) }
        let began = DispatchTime.now()
        for batch in batches { _ = engine.ingest(batch) }
        let ingest = Self.seconds(since: began)
        let now = (load.last?.time ?? 0) + 60
        let keys = (0..<posts).map(Self.key)
        let predictBegan = DispatchTime.now()
        let predicted = engine.features(keys, at: now).count
        let predict = Self.seconds(since: predictBegan)
        let footprint = engine.footprint
        let text = Data(load.map { RecordingWriter.line($0) }.joined(separator: "\n").utf8)
        let replayBegan = DispatchTime.now()
        let replay = Replay(config: config) { _ in }
        replay.play(text, name: "bench") { _ in }
        let backtest = replay.finish()
        let replaySeconds = Self.seconds(since: replayBegan)
        // Four values of the first prediction threshold, around the config's own.
        var sweepOverReplay: Double?
        if let rule = config.rules.first(where: { $0.when.predictedResharesAtLeast != nil }), let threshold = rule.when.predictedResharesAtLeast {
            let spec = SweepSpec(rule: rule.name, condition: "predicted_reshares_at_least", kind: .number, values: [0.5, 1, 2, 4].map { $0 * threshold })
            let sweepBegan = DispatchTime.now()
            _ = SweepRun.table(Recording(text, name: "bench"), config: config, specs: [spec], target: 1000)
            sweepOverReplay = Self.seconds(since: sweepBegan) / replaySeconds
        }
        let reportBegan = DispatchTime.now()
        let report = BacktestReport.render([BacktestReport.Section.replay(Recording(text, name: "bench"), config: config, backtest: backtest)],
                                           title: "Foreshock backtest: the bench's load of \(posts) posts")
        lastReport = report
        return Figures(observations: load.count, observationsPerSecond: Double(load.count) / ingest,
                       predictionsPerSecond: Double(predicted) / predict,
                       bytesPerPost: Double(footprint.bytes) / Double(max(1, footprint.posts)),
                       replayEventsPerSecond: Double(load.count) / replaySeconds, sweepOverReplay: sweepOverReplay,
                       reportBytes: report.utf8.count, reportSeconds: Self.seconds(since: reportBegan))
    }

    /// The report `replay --report` made of the last run's load.
    package private(set) var lastReport: String?

    private static func seconds(since began: DispatchTime) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - began.uptimeNanoseconds) / 1e9
    }
}
