import Dispatch
import ForeshockConfig
import ForeshockSupport
import Foundation

/// The concurrent scoring core: observations are sharded by post over serial Dispatch queues,
/// each shard owning its posts and their alerts, so no lock is taken on the hot path. It does no
/// I/O and reads no clock: every time comes with an observation or a tick, so replay and watch
/// run exactly the same code, and the results do not depend on the number of shards.
///
/// `@unchecked Sendable`: each shard is read and written only on its own queue (`shards[i]` on
/// `queues[i]`); the rest (per-source state, volume alerts, the last tick) belongs to whoever
/// owns the engine, which makes one call at a time: the watch pipeline from its engine queue,
/// replay and eval from their one thread. `access` checks that on every call and stops the
/// process if two overlap, rather than trusting the callers.
///
/// The calls block their thread while the shards work (`DispatchGroup.wait`): make them from a
/// Dispatch thread, never from Swift concurrency's (`onDispatchThread`).
package final class ScoringEngine: @unchecked Sendable {
    private let access = ExclusiveAccess("ScoringEngine")
    package private(set) var config: Config
    private let shards: [ShardBox]
    private let queues: [DispatchQueue]
    /// Per source: its volume baseline and the resharers' followers it has named.
    private var sourceStates: [SourceState] = []
    private var volumeAlerts: AlertLifecycle
    private var matcher: RuleMatcher
    /// Whether some rule is about volume: else a new post needs no volume evaluation.
    private var hasVolumeRules: Bool
    /// The last tick's time, for the cold sweep's periods.
    private var lastTick: Double?
    /// The latest time an observation or a tick has brought. An observation stamped earlier
    /// (resharers fetched after a poll are spread back over the time since the last fetch) is
    /// judged as of its own time, but what it changes of an alert is stamped no earlier than
    /// this: stamped at its own, an escalation went out minutes before the alert it escalated.
    /// A recording in time order never comes to this.
    private var latestTime = -Double.infinity
    /// Set by a reload: the next tick runs whatever it finds, since new rules may hold.
    private var mustTick = false
    /// Observations (or firing alerts, on a tick) from which a batch is worth both cores.
    static let parallelBatch = 256
    private let passesQuietAlerts: Bool
    private let calibration: Calibration

    /// - Parameters:
    ///   - config: sources (for typical followers), scoring, rules and alerting.
    ///   - shards: how many shards; 0 means one per core.
    ///   - evaluatingEveryTick: evaluate every firing alert on every tick, even those time alone
    ///     cannot change yet: slower, and the reference the tests hold the default to.
    ///   - calibration: the factors that turn SEISMIC into the prediction rules use; others
    ///     than the shipped ones only to measure a fit (`foreshock eval --holdout`).
    package init(config: Config, shards: Int? = nil, evaluatingEveryTick: Bool = false, calibration: Calibration = .standard) {
        self.config = config
        let count = max(1, shards ?? (config.scoring.shards > 0 ? config.scoring.shards : ProcessInfo.processInfo.activeProcessorCount))
        matcher = RuleMatcher(rules: config.rules)
        hasVolumeRules = config.rules.contains(where: RuleMatcher.isVolumeRule)
        passesQuietAlerts = !evaluatingEveryTick
        self.calibration = calibration
        let settings = Self.settings(config, shards: count, passesQuietAlerts: passesQuietAlerts, calibration: calibration)
        self.shards = (0..<count).map { _ in ShardBox(ScoringShard(settings: settings, alerting: config.alerting)) }
        self.queues = (0..<count).map { DispatchQueue(label: "foreshock.scoring.shard\($0)") }
        volumeAlerts = AlertLifecycle(repeatInterval: config.alerting.repeatInterval, resolveAfter: config.alerting.resolveAfter, sinkNames: config.sinks.map(\.name))
    }

    package var shardCount: Int { shards.count }

    private static func settings(_ config: Config, shards count: Int, passesQuietAlerts: Bool, calibration: Calibration) -> ScoringShard.Settings {
        ScoringShard.Settings(
            scoring: config.scoring, calibration: calibration, matcher: RuleMatcher(rules: config.rules), kernel: SeismicKernel(config.scoring.seismic),
            lexicon: ComplaintLexicon.of(config),
            maxPosts: max(1, config.scoring.maxTrackedPosts / count),
            watching: Dictionary(config.sources.map { ($0.name, $0.watching) }, uniquingKeysWith: { first, _ in first }),
            answersUnseen: config.answersUnseen,
            sinkNames: config.sinks.map(\.name),
            passesQuietAlerts: passesQuietAlerts)
    }

    /// Takes a reloaded config's rules and scoring settings, keeping every tracked post and
    /// alert: a SIGHUP must not cost the history that the predictions stand on.
    package func reconfigure(_ config: Config) {
        access.run("reconfigure") { reconfigureExclusively(config) }
    }

    private func reconfigureExclusively(_ config: Config) {
        self.config = config
        matcher = RuleMatcher(rules: config.rules)
        hasVolumeRules = config.rules.contains(where: RuleMatcher.isVolumeRule)
        mustTick = true
        for slot in sourceStates.indices { sourceStates[slot].configured = configuredTypical(sourceStates[slot].name) }
        volumeAlerts.reconfigure(repeatInterval: config.alerting.repeatInterval, resolveAfter: config.alerting.resolveAfter, sinkNames: config.sinks.map(\.name))
        let settings = Self.settings(config, shards: shards.count, passesQuietAlerts: passesQuietAlerts, calibration: calibration)
        for index in shards.indices {
            queues[index].sync {
                shards[index].shard.reconfigure(settings, alerting: config.alerting)
                shards[index].noteState()
            }
        }
    }

    /// What `status` shows: the posts with the most reshares and every alert firing.
    /// - Parameter readThrough: as for `features(_:at:readThrough:)`.
    package func snapshot(hottest limit: Int, at time: Double, readThrough: [String: Double] = [:]) -> (hottest: [PostFeatures], firing: [(key: PostKey, isVolume: Bool, alert: AlertLifecycle.Firing)]) {
        access.run("snapshot") { snapshotExclusively(hottest: limit, at: time, readThrough: readThrough) }
    }

    private func snapshotExclusively(hottest limit: Int, at time: Double, readThrough: [String: Double]) -> (hottest: [PostFeatures], firing: [(key: PostKey, isVolume: Bool, alert: AlertLifecycle.Firing)]) {
        var hottest: [PostFeatures] = []
        var firing: [(key: PostKey, isVolume: Bool, alert: AlertLifecycle.Firing)] = volumeAlerts.firing.map { ($0.key, true, $0.value) }
        for index in shards.indices {
            queues[index].sync {
                hottest += shards[index].shard.hottest(limit, at: time, readThrough: readThrough)
                firing += shards[index].shard.lifecycle.firing.map { ($0.key, false, $0.value) }
            }
        }
        hottest.sort { ($0.reshares, $1.key) > ($1.reshares, $0.key) }
        firing.sort { ($0.alert.severity, $1.alert.since) > ($1.alert.severity, $0.alert.since) }
        return (Array(hottest.prefix(limit)), firing)
    }

    /// Every post tracked now (journal compaction keeps what they were built from).
    package var trackedKeys: Set<PostKey> {
        access.run("trackedKeys") {
            var keys = Set<PostKey>()
            for index in shards.indices {
                queues[index].sync { keys.formUnion(shards[index].shard.keys) }
            }
            return keys
        }
    }

    /// Applies a batch of observations (in time order) and evaluates the rules after each.
    /// - Parameter learned: when the watch learned of each observation (a recording's `seen`),
    ///   where that is later than its time: what it changes of an alert is stamped no earlier.
    /// - Parameter countingVolume: false for posts that are not the source's traffic at their
    ///   time (a recording's carried lines: only the posts still active when it rotated), which
    ///   would make a baseline of a trickle and the recording's own traffic a storm after it.
    /// - Returns: the notifications, ordered by time, then post, then rule.
    package func ingest(_ observations: [Observation], learned: [Double]? = nil, countingVolume: Bool = true) -> [AlertNotification] {
        access.run("ingest") { ingestExclusively(observations, learned: learned, countingVolume: countingVolume) }
    }

    private func ingestExclusively(_ observations: [Observation], learned: [Double]?, countingVolume: Bool) -> [AlertNotification] {
        var hashes: [UInt64] = [], volumes: [VolumeBaseline.Reading] = [], typicals: [Double] = [], latestSeen: [Double] = []
        latestSeen.reserveCapacity(observations.count)
        hashes.reserveCapacity(observations.count)
        volumes.reserveCapacity(observations.count)
        typicals.reserveCapacity(observations.count)
        var out: [AlertNotification] = []
        // This loop is the one serial part of ingest, so it only notes what each observation's
        // source says of it: the source's state is found again only when the source changes,
        // and the shards read the observations where they are.
        var current = -1
        // The typical resharer is read only for an observation without its own followers, and
        // worked out (an `expm1`) only then, once after each change.
        var typical: Double?
        var touched: [Int] = []
        // Worked on as a local: every access to a class's stored property is checked for
        // exclusivity at run time, and this loop makes several per observation.
        var sources = sourceStates
        sourceStates = []
        defer { sourceStates = sources }
        let nStar = config.scoring.seismic.nStar
        // Nothing can start a volume alert in this loop unless a rule is about volume.
        let watchVolume = hasVolumeRules || !volumeAlerts.firing.isEmpty
        var latestSoFar = latestTime
        for observation in observations {
            let key = observation.key
            if current < 0 || sources[current].name != key.source {
                current = Self.slot(of: key.source, in: &sources, window: config.scoring.volumeWindow, configured: configuredTypical(key.source))
                typical = nil
                if !touched.contains(current) { touched.append(current) }
            }
            var needsTypical = true
            switch observation {
            case .post(_, let time, _, _, let followers, _, _):
                if countingVolume {
                    sources[current].volume.record(at: time)
                    if watchVolume, let note = evaluateVolume(key.source, volume: sources[current].volume.reading, at: time) { out.append(note) }
                }
                needsTypical = followers == nil
            case .reshare(_, _, _, let followers?):
                sources[current].learn(followers)
                typical = nil
                needsTypical = false
            case .answer:
                needsTypical = false
            default:
                break
            }
            if needsTypical, typical == nil { typical = sources[current].typicalFollowers(default: nStar) }
            latestSoFar = max(latestSoFar, observation.time, learned?[latestSeen.count] ?? observation.time)
            latestSeen.append(latestSoFar)
            hashes.append(key.stableHash)
            volumes.append(sources[current].volume.reading)
            typicals.append(needsTypical ? typical ?? 0 : 0)
        }
        latestTime = latestSoFar
        let batch = ScoringShard.Batch(observations: observations, hashes: hashes, volumes: volumes, typicalFollowers: typicals, latest: latestSeen)
        let count = shards.count
        let ending = touched.map { (source: sources[$0].name, volume: sources[$0].volume.reading) }
        let previous = lastTick
        out += runOnShards(inParallel: observations.count >= Self.parallelBatch) { shard, index in
            shard.ingest(batch, shard: index, of: count, volumes: ending, previousTick: previous)
        }
        return out.sorted(by: AlertNotification.ordered)
    }

    /// Where a source's state is in `sources`, created on first sight. A deployment watches a
    /// handful of sources, and a scan comparing short strings is cheaper than hashing them.
    private static func slot(of name: String, in sources: inout [SourceState], window: Double, configured: @autoclosure () -> Double?) -> Int {
        if let slot = sources.firstIndex(where: { $0.name == name }) { return slot }
        sources.append(SourceState(name: name, window: window, configured: configured()))
        return sources.count - 1
    }

    /// Evaluates every tracked post and source at `time`, so time-based conditions fire and
    /// alerts resolve when nothing new arrives.
    ///
    /// Most ticks find nothing to do (nothing firing, nothing crossing an unanswered threshold,
    /// no post old enough to go cold) and return without waking a shard: a replay of a recording
    /// that spans months ticks a million times. Skipping them changes nothing, since a volume
    /// baseline closes any number of empty windows exactly when it is next read.
    package func tick(_ time: Double) -> [AlertNotification] {
        access.run("tick") { tickExclusively(time) }
    }

    private func tickExclusively(_ time: Double) -> [AlertNotification] {
        // A cold sweep runs at the first tick of each period, wherever the ticks fall.
        let period = config.scoring.coldAfter / 48
        let sweep = lastTick.map { ($0 / period).rounded(.down) != (time / period).rounded(.down) } ?? true
        let previous = lastTick
        lastTick = time
        latestTime = max(latestTime, time)
        let matters = mustTick || !volumeAlerts.firing.isEmpty
            || shards.contains { $0.tickMatters(at: time) || (sweep && $0.earliestCold < time) }
        guard matters else { return [] }
        mustTick = false
        var out: [AlertNotification] = []
        for slot in sourceStates.indices where sourceStates[slot].sawPosts {
            sourceStates[slot].volume.advance(to: time)
            guard hasVolumeRules || !volumeAlerts.firing.isEmpty else { continue }
            if let note = evaluateVolume(sourceStates[slot].name, volume: sourceStates[slot].volume.reading, at: time) { out.append(note) }
        }
        let readings = sourceStates.map { (source: $0.name, volume: $0.volume.reading) }
        // A sweep reads every post: worth both cores. Otherwise the tick is a handful of posts.
        let sweeping = sweep && shards.contains { $0.earliestCold < time }
        out += runOnShards(inParallel: sweeping || shards.reduce(0) { $0 + $1.firing } >= Self.parallelBatch) { shard, _ in
            shard.tick(time, volumes: readings, sweep: sweep, previousTick: previous)
        }
        return out.sorted(by: AlertNotification.ordered)
    }

    /// The earliest time a tick can do anything: evaluate an alert falling due, catch a post
    /// crossing an unanswered threshold, or evict a post gone cold. Ticks before it return at
    /// once, so a replay may leave them out in bulk (a recording may jump years), saying so with
    /// `leaveOutTicks(through:)`.
    package var quietUntil: Double {
        access.run("quietUntil") {
            if mustTick || !volumeAlerts.firing.isEmpty { return -.infinity }
            return shards.reduce(Double.infinity) { min($0, $1.nextDue) }
        }
    }

    /// Records that ticks up to `time` happened and were left out, as they would have done
    /// nothing: the next tick's cold sweep and the alerts' held ticks count from there.
    package func leaveOutTicks(through time: Double) {
        access.run("leaveOutTicks") { lastTick = max(lastTick ?? time, time) }
    }

    /// The features of one post now, for traces and `status`.
    package func features(_ key: PostKey, at time: Double) -> PostFeatures? {
        let index = Self.shard(of: key.stableHash, count: shards.count)
        return access.run("features") {
            queues[index].sync {
                var found: PostFeatures?
                shards[index].shard.forEachFeatures(of: [key], at: time) { found = $1 }
                return found
            }
        }
    }

    /// One post's features at several times, in one visit to its shard: its curve as it was
    /// before anyone looked at it (a post that just became hot, or a watch that restarted).
    /// Features at an earlier time read the history up to then; `reshares` and `reach` are
    /// the post's totals now, its count then is `seismic.reshares`.
    /// - Returns: one for each time, none when the post is not tracked.
    package func features(_ key: PostKey, at times: [Double]) -> [PostFeatures] {
        let index = Self.shard(of: key.stableHash, count: shards.count)
        return access.run("features") {
            queues[index].sync {
                var found: [PostFeatures] = []
                for time in times { shards[index].shard.forEachFeatures(of: [key], at: time) { found.append($1) } }
                return found
            }
        }
    }

    /// The features of many posts now, each shard working through its own posts at once: one
    /// block per shard rather than one queue hop per post.
    /// - Parameters:
    ///   - time: now.
    ///   - readThrough: per source, the time its data is known through (its last poll); a post
    ///     of a source in it is read as of then. Between two polls a source's silence is not
    ///     news yet (what was reshared since comes with the next poll); read at `time`, the
    ///     rates and SEISMIC's estimate would sag through every interval and jump back at each
    ///     poll. A source not in it (a stream, a replay) is read at `time`.
    /// - Returns: the features in the order of `keys`, nil for a post not tracked.
    package func features(_ keys: [PostKey], at time: Double, readThrough: [String: Double] = [:]) -> [PostFeatures?] {
        access.run("features") { featuresExclusively(keys, at: time, readThrough: readThrough) }
    }

    private func featuresExclusively(_ keys: [PostKey], at time: Double, readThrough: [String: Double]) -> [PostFeatures?] {
        var perShard = [[Int]](repeating: [], count: shards.count)
        for (position, key) in keys.enumerated() { perShard[Self.shard(of: key.stableHash, count: shards.count)].append(position) }
        let results = IndexedResults<PostFeatures>(count: keys.count)
        let group = DispatchGroup()
        for (index, positions) in perShard.enumerated() where !positions.isEmpty {
            let box = shards[index]
            queues[index].async(group: group) {
                // Handed over 64 at a time: one lock per post had the shards waking each other.
                var pending: [(index: Int, value: PostFeatures)] = []
                pending.reserveCapacity(64)
                box.shard.forEachFeatures(of: positions.map { keys[$0] }, at: time, readThrough: readThrough) { index, features in
                    pending.append((positions[index], features))
                    if pending.count == 64 { results.set(pending); pending.removeAll(keepingCapacity: true) }
                }
                results.set(pending)
            }
        }
        group.wait()
        return results.take()
    }

    /// Posts tracked: cheap, unlike `footprint`'s bytes, which visit every post.
    package var postCount: Int {
        access.run("postCount") {
            shards.indices.reduce(0) { total, index in total + queues[index].sync { shards[index].shard.postCount } }
        }
    }

    /// Posts tracked and the bytes they hold.
    package var footprint: (posts: Int, bytes: Int) {
        access.run("footprint") {
            var posts = 0, bytes = 0
            for index in shards.indices {
                queues[index].sync {
                    posts += shards[index].shard.postCount
                    bytes += shards[index].shard.approximateBytes
                }
            }
            return (posts, bytes)
        }
    }

    /// Runs `body` on every shard, each confined to its own queue, and gathers what they return.
    /// - Parameter inParallel: whether the work is worth waking each shard's thread for. Waking
    ///   a thread and waiting for it costs tens of microseconds on a loaded machine, more than a
    ///   small batch; otherwise each shard runs here in turn (`sync` on an idle serial queue runs
    ///   the block on the calling thread).
    private func runOnShards(inParallel: Bool, _ body: @escaping @Sendable (inout ScoringShard, Int) -> [AlertNotification]) -> [AlertNotification] {
        if shards.count == 1 {
            defer { shards[0].noteState() }
            return body(&shards[0].shard, 0)
        }
        guard inParallel else {
            return shards.indices.flatMap { index in
                queues[index].sync {
                    defer { shards[index].noteState() }
                    return body(&shards[index].shard, index)
                }
            }
        }
        let group = DispatchGroup()
        for (index, box) in shards.enumerated() {
            queues[index].async(group: group) {
                box.result = body(&box.shard, index)
                box.noteState()
            }
        }
        group.wait()
        return shards.flatMap { box in
            defer { box.result = [] }
            return box.result
        }
    }

    private func evaluateVolume(_ source: String, volume: VolumeBaseline.Reading, at time: Double) -> AlertNotification? {
        let key = PostKey(source: source, id: "")
        let holding = matcher.holdingVolume(source: source, volume: volume)
        return volumeAlerts.update(key, holding: holding, time: time) { rule, severity, sinks, reason, since in
            let held = reason == .resolved ? nil : holding.first { $0.name == rule }.map { RuleMatcher.heldVolume($0.when, volume).joined(separator: "; ") }
            return AlertNotification(.volume(source: source, ratio: volume.ratio, z: volume.zScore), time: time, rule: rule, severity: severity,
                                     reason: reason, sinks: sinks, firedAt: since, held: held, watching: config.source(named: source)?.watching)
        }
    }

    /// The source's `typical_followers` from the config, if set.
    private func configuredTypical(_ source: String) -> Double? {
        config.source(named: source)?.typicalFollowers.map(Double.init)
    }

    /// A stable shard for a post, from its `PostKey.stableHash`.
    static func shard(of hash: UInt64, count: Int) -> Int {
        count > 1 ? Int(hash % UInt64(count)) : 0
    }
}

/// What the engine keeps per source.
private struct SourceState {
    let name: String
    /// Posts per window against their baseline; advanced on ticks once the source has posted.
    var volume: VolumeBaseline {
        didSet { sawPosts = true }
    }
    var sawPosts = false
    /// Σ log(1 + followers) and how many, over the resharers the source has named.
    var learnedSum = 0.0
    var learnedCount = 0.0
    /// `typical_followers` from the config.
    var configured: Double?

    init(name: String, window: Double, configured: Double?) {
        self.name = name
        self.volume = VolumeBaseline(window: window)
        self.configured = configured
    }

    mutating func learn(_ followers: Double) {
        learnedSum += log1p(followers)
        learnedCount += 1
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

/// One shard, its last results, and what the engine needs to know of it between batches.
///
/// `@unchecked Sendable`: `shard`, `result` and the noted state are touched only by blocks on the
/// shard's own serial queue, except that the engine reads them after `DispatchGroup.wait()` or
/// `sync`, which order the read after those blocks.
private final class ShardBox: @unchecked Sendable {
    var shard: ScoringShard
    var result: [AlertNotification] = []
    /// Alerts firing, whether a tick could matter before any new observation, and the shard's
    /// cold bound, as of its last block.
    private(set) var firing = 0
    private var nextFiringDue = -Double.infinity
    private var nextUnansweredDue = -Double.infinity
    private(set) var earliestCold = -Double.infinity

    init(_ shard: ScoringShard) {
        self.shard = shard
    }

    /// Called at the end of each block on the shard's queue.
    func noteState() {
        firing = shard.lifecycle.firing.count
        nextFiringDue = shard.nextFiringDue
        nextUnansweredDue = shard.nextUnansweredDue
        earliestCold = shard.earliestCold
    }

    func tickMatters(at time: Double) -> Bool { (firing > 0 && nextFiringDue <= time) || nextUnansweredDue <= time }

    /// The earliest a tick can matter to this shard, a cold sweep included.
    var nextDue: Double { min(firing > 0 ? nextFiringDue : .infinity, nextUnansweredDue, earliestCold) }
}
