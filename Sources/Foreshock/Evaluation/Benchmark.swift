import Foundation

/// The synthetic load `foreshock bench` measures: posts whose sizes follow the heavy tail real
/// cascades have (most posts get a few reshares, a few get thousands) and whose resharers'
/// follower counts are drawn from a real cascade's.
public struct Benchmark {
    public struct Figures: Sendable {
        public var observationsPerSecond: Double
        public var predictionsPerSecond: Double
        public var bytesPerPost: Double
        public var replayEventsPerSecond: Double
    }

    public let posts: Int
    public let followers: [Double]
    private var random: UInt64 = 0x2545F4914F6CDD1D

    public init(posts: Int, followers: [Double]) {
        self.posts = posts
        self.followers = followers.isEmpty ? [100] : followers
    }

    private mutating func next() -> UInt64 {
        random ^= random << 13; random ^= random >> 7; random ^= random << 17
        return random
    }

    private mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }

    /// The post with index `index` in the load (a third on one source, the rest on another).
    static func key(_ index: Int) -> PostKey {
        PostKey(source: index % 3 == 0 ? "x" : "m", id: String(index))
    }

    /// The observations of the load, in time order: each post, then its reshares over two hours.
    public mutating func observations() -> [Observation] {
        var out: [Observation] = []
        out.reserveCapacity(posts * 12)
        let start = 1_700_000_000.0
        for index in 0..<posts {
            // A discrete power law (exponent about 2.3, as cascade sizes have), capped at 5,000.
            let size = min(5000, Int(pow(1 - uniform(), -1 / 1.3)) - 1)
            let created = start + Double(index) * 0.05
            let key = Self.key(index)
            out.append(.post(key: key, time: created, createdAt: created, author: nil, followers: followers[Int(next() % UInt64(followers.count))], text: nil, url: nil))
            var t = created
            for _ in 0..<size {
                t += -log(1 - uniform()) * 7200 / Double(max(size, 1))
                out.append(.reshare(key: key, time: t, user: nil, followers: followers[Int(next() % UInt64(followers.count))]))
            }
        }
        out.sort { $0.time < $1.time }
        return out
    }

    /// One run: ingest, predictions over every post, memory, and replay of the same load as text.
    public mutating func run() -> Figures {
        var config = Config()
        config.rules = [RuleConfig(name: "going-viral", severity: .critical, when: { var w = RuleConditions(); w.predictedResharesAtLeast = 1000; w.minReshares = 10; return w }())]
        config.scoring.maxTrackedPosts = posts * 2
        let load = observations()
        let engine = ScoringEngine(config: config)
        let began = DispatchTime.now()
        var index = 0
        while index < load.count {
            let end = min(index + 8192, load.count)
            _ = engine.ingest(Array(load[index..<end]))
            index = end
        }
        let ingest = Double(DispatchTime.now().uptimeNanoseconds - began.uptimeNanoseconds) / 1e9
        let now = (load.last?.time ?? 0) + 60
        let keys = (0..<posts).map(Self.key)
        let predictBegan = DispatchTime.now()
        let predicted = engine.features(keys, at: now).count
        let predict = Double(DispatchTime.now().uptimeNanoseconds - predictBegan.uptimeNanoseconds) / 1e9
        let footprint = engine.footprint
        let text = Data(load.map(RecordingWriter.line).joined(separator: "\n").utf8)
        let replayBegan = DispatchTime.now()
        let replay = Replay(config: config) { _ in }
        replay.play(text, name: "bench") { _ in }
        _ = replay.finish()
        let replaySeconds = Double(DispatchTime.now().uptimeNanoseconds - replayBegan.uptimeNanoseconds) / 1e9
        return Figures(observationsPerSecond: Double(load.count) / ingest, predictionsPerSecond: Double(predicted) / predict,
                       bytesPerPost: Double(footprint.bytes) / Double(max(1, footprint.posts)),
                       replayEventsPerSecond: Double(load.count) / replaySeconds)
    }
}
