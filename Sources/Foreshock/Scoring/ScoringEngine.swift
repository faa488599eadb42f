import Dispatch
import Foundation

/// The concurrent scoring core: observations are sharded by post over serial Dispatch queues,
/// each shard owning its posts and their alerts, so no lock is taken on the hot path. It does no
/// I/O and reads no clock: every time comes with an observation or a tick, so replay and watch
/// run exactly the same code, and the results do not depend on the number of shards.
///
/// `@unchecked Sendable`: each shard is read and written only on its own queue (`shards[i]` on
/// `queues[i]`); the per-source state is touched only by `ingest` and `tick`, which callers do
/// not run concurrently with each other (the watch loop and replay both call them from one task).
public final class ScoringEngine: @unchecked Sendable {
    public private(set) var config: Config
    private let shards: [ShardBox]
    private let queues: [DispatchQueue]
    /// Per source: its volume baseline and the resharers' followers it has named.
    private var sources: [String: SourceState] = [:]
    private var volumeAlerts: AlertLifecycle
    private var matcher: RuleMatcher

    /// - Parameters:
    ///   - config: sources (for typical followers), scoring, rules and alerting.
    ///   - shards: how many shards; 0 means one per core.
    public init(config: Config, shards: Int? = nil) {
        self.config = config
        let count = max(1, shards ?? (config.scoring.shards > 0 ? config.scoring.shards : ProcessInfo.processInfo.activeProcessorCount))
        matcher = RuleMatcher(rules: config.rules)
        let settings = Self.settings(config, shards: count)
        self.shards = (0..<count).map { _ in ShardBox(ScoringShard(settings: settings, alerting: config.alerting)) }
        self.queues = (0..<count).map { DispatchQueue(label: "foreshock.scoring.shard\($0)") }
        volumeAlerts = AlertLifecycle(repeatInterval: config.alerting.repeatInterval, resolveAfter: config.alerting.resolveAfter)
    }

    public var shardCount: Int { shards.count }

    private static func settings(_ config: Config, shards count: Int) -> ScoringShard.Settings {
        ScoringShard.Settings(
            scoring: config.scoring, calibration: .standard, matcher: RuleMatcher(rules: config.rules), kernel: SeismicKernel(config.scoring.seismic),
            lexicon: ComplaintLexicon(extra: config.scoring.complaintTerms, replaceBuiltin: config.scoring.replaceBuiltinLexicon),
            maxPosts: max(1, config.scoring.maxTrackedPosts / count))
    }

    /// Takes a reloaded config's rules and scoring settings, keeping every tracked post and
    /// alert: a SIGHUP must not cost the history that the predictions stand on.
    public func reconfigure(_ config: Config) {
        self.config = config
        matcher = RuleMatcher(rules: config.rules)
        for name in sources.keys { sources[name]?.configured = configuredTypical(name) }
        volumeAlerts.reconfigure(repeatInterval: config.alerting.repeatInterval, resolveAfter: config.alerting.resolveAfter)
        let settings = Self.settings(config, shards: shards.count)
        for index in shards.indices {
            queues[index].sync { shards[index].shard.reconfigure(settings, alerting: config.alerting) }
        }
    }

    /// What `status` shows: the posts with the most reshares and every alert firing.
    public func snapshot(hottest limit: Int, at time: Double) -> (hottest: [PostFeatures], firing: [(key: PostKey, isVolume: Bool, alert: AlertLifecycle.Firing)]) {
        var hottest: [PostFeatures] = []
        var firing: [(key: PostKey, isVolume: Bool, alert: AlertLifecycle.Firing)] = volumeAlerts.firing.map { ($0.key, true, $0.value) }
        for index in shards.indices {
            queues[index].sync {
                hottest += shards[index].shard.hottest(limit, at: time)
                firing += shards[index].shard.lifecycle.firing.map { ($0.key, false, $0.value) }
            }
        }
        hottest.sort { ($0.reshares, $1.key) > ($1.reshares, $0.key) }
        firing.sort { ($0.alert.severity, $1.alert.since) > ($1.alert.severity, $0.alert.since) }
        return (Array(hottest.prefix(limit)), firing)
    }

    /// Every post tracked now (journal compaction keeps what they were built from).
    public var trackedKeys: Set<PostKey> {
        var keys = Set<PostKey>()
        for index in shards.indices {
            queues[index].sync { keys.formUnion(shards[index].shard.posts.keys) }
        }
        return keys
    }

    /// Applies a batch of observations (in time order) and evaluates the rules after each.
    /// - Returns: the notifications, ordered by time, then post, then rule.
    public func ingest(_ observations: [Observation]) -> [AlertNotification] {
        var perShard = [[ScoringShard.Item]](repeating: [], count: shards.count)
        var out: [AlertNotification] = []
        // This loop is the one serial part of ingest: the source's state stays in a local while
        // its observations run, and goes back to the dictionary when the source changes.
        var name: String?
        var state = SourceState()
        var typical = config.scoring.seismic.nStar
        for observation in observations {
            let source = observation.key.source
            if source != name {
                if let name { sources[name] = state }
                name = source
                state = sources[source] ?? SourceState(configured: configuredTypical(source))
                typical = state.typicalFollowers(default: config.scoring.seismic.nStar)
            }
            switch observation {
            case .post(_, let time, _, _, _, _, _):
                if state.volume == nil { state.volume = VolumeBaseline(window: config.scoring.volumeWindow) }
                state.volume?.record(at: time)
                if let note = evaluateVolume(source, ratio: state.volume?.ratio ?? 0, at: time) { out.append(note) }
            case .reshare(_, _, _, let followers?):
                state.learnedSum += log1p(followers)
                state.learnedCount += 1
                typical = state.typicalFollowers(default: config.scoring.seismic.nStar)
            default:
                break
            }
            let item = ScoringShard.Item(observation: observation, volumeRatio: state.volume?.ratio ?? 0, typicalFollowers: typical)
            perShard[Self.shard(of: observation.key, count: shards.count)].append(item)
        }
        if let name { sources[name] = state }
        let batches = perShard
        out += runOnShards { shard, index in batches[index].isEmpty ? [] : shard.ingest(batches[index]) }
        return out.sorted(by: AlertNotification.ordered)
    }

    /// Evaluates every tracked post and source at `time`, so time-based conditions fire and
    /// alerts resolve when nothing new arrives.
    public func tick(_ time: Double) -> [AlertNotification] {
        var out: [AlertNotification] = []
        for source in sources.keys.sorted() where sources[source]?.volume != nil {
            sources[source]?.volume?.advance(to: time)
            if let note = evaluateVolume(source, ratio: sources[source]?.volume?.ratio ?? 0, at: time) { out.append(note) }
        }
        out += runOnShards { shard, _ in shard.tick(time) }
        return out.sorted(by: AlertNotification.ordered)
    }

    /// The features of one post now, for traces and `status`.
    public func features(_ key: PostKey, at time: Double) -> PostFeatures? {
        let index = Self.shard(of: key, count: shards.count)
        return queues[index].sync { shards[index].shard.features(key, at: time) }
    }

    /// The features of many posts now, each shard working through its own posts at once: one
    /// block per shard rather than one queue hop per post.
    /// - Returns: the features in the order of `keys`, nil for a post not tracked.
    public func features(_ keys: [PostKey], at time: Double) -> [PostFeatures?] {
        var perShard = [[Int]](repeating: [], count: shards.count)
        for (position, key) in keys.enumerated() { perShard[Self.shard(of: key, count: shards.count)].append(position) }
        let results = IndexedResults<PostFeatures?>(count: keys.count)
        let group = DispatchGroup()
        for (index, positions) in perShard.enumerated() where !positions.isEmpty {
            let box = shards[index]
            queues[index].async(group: group) {
                for position in positions { results.set(position, box.shard.features(keys[position], at: time)) }
            }
        }
        group.wait()
        return results.values
    }

    /// Posts tracked and the bytes they hold.
    public var footprint: (posts: Int, bytes: Int) {
        var posts = 0, bytes = 0
        for index in shards.indices {
            queues[index].sync {
                posts += shards[index].shard.posts.count
                bytes += shards[index].shard.approximateBytes
            }
        }
        return (posts, bytes)
    }

    /// Runs `body` on every shard at once, each on its own queue, and gathers what they return.
    private func runOnShards(_ body: @escaping @Sendable (inout ScoringShard, Int) -> [AlertNotification]) -> [AlertNotification] {
        if shards.count == 1 { return body(&shards[0].shard, 0) }
        let group = DispatchGroup()
        for (index, box) in shards.enumerated() {
            queues[index].async(group: group) { box.result = body(&box.shard, index) }
        }
        group.wait()
        return shards.flatMap { box in
            defer { box.result = [] }
            return box.result
        }
    }

    private func evaluateVolume(_ source: String, ratio: Double, at time: Double) -> AlertNotification? {
        let key = PostKey(source: source, id: "")
        return volumeAlerts.update(key, holding: matcher.holdingVolume(source: source, ratio: ratio), time: time) { rule, severity, sinks, reason in
            AlertNotification(key: key, isVolume: true, time: time, rule: rule, severity: severity, state: reason == .resolved ? .resolved : .firing,
                              reason: reason, sinks: sinks, reshares: 0, predicted: nil, supercritical: false, velocityPerMin: 0, reach: 0,
                              volumeRatio: ratio, author: nil, url: nil, excerpt: nil, complaint: false, unansweredFor: nil)
        }
    }

    /// The source's `typical_followers` from the config, if set.
    private func configuredTypical(_ source: String) -> Double? {
        config.source(named: source)?.typicalFollowers.map(Double.init)
    }

    /// A stable shard for a post (FNV-1a: Swift's `Hasher` is seeded per process).
    static func shard(of key: PostKey, count: Int) -> Int {
        guard count > 1 else { return 0 }
        var hash: UInt64 = 0xcbf29ce484222325
        for byte in key.source.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100000001b3 }
        hash = (hash ^ 0x1f) &* 0x100000001b3
        for byte in key.id.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100000001b3 }
        return Int(hash % UInt64(count))
    }
}

/// What the engine keeps per source.
private struct SourceState {
    var volume: VolumeBaseline?
    /// Σ log(1 + followers) and how many, over the resharers the source has named.
    var learnedSum = 0.0
    var learnedCount = 0.0
    /// `typical_followers` from the config.
    var configured: Double?

    init(configured: Double? = nil) {
        self.configured = configured
    }

    /// Followers assumed for a resharer the API does not name: the source's setting, else the
    /// geometric mean of the resharers it has named, else `default` (SEISMIC's n*). Not the
    /// authors': the posts worth tracking skew to large accounts, and one celebrity among them
    /// would make every anonymous reshare count for thousands (the counts-mode factors assume
    /// about 100).
    func typicalFollowers(default value: Double) -> Double {
        if let configured { return configured }
        return learnedCount >= 5 ? expm1(learnedSum / learnedCount) : value
    }
}

/// One shard and its last results.
///
/// `@unchecked Sendable`: `shard` and `result` are touched only by blocks on the shard's own
/// serial queue, except that the engine reads `result` after `DispatchGroup.wait()`, which
/// orders it after those blocks.
private final class ShardBox: @unchecked Sendable {
    var shard: ScoringShard
    var result: [AlertNotification] = []

    init(_ shard: ScoringShard) {
        self.shard = shard
    }
}
