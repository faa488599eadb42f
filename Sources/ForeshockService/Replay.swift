import ForeshockConfig
import ForeshockCore
import ForeshockSupport
import Foundation

/// Runs a recording through the scoring core in virtual time: the observations in order, a tick
/// every `evaluation_interval` of recorded time, nothing slept. What it reports is what the watch
/// process would have sent.
package final class Replay {
    package let engine: ScoringEngine
    private let interval: Double
    private let traceKey: String?
    private let traceEvery: Double
    /// The traced post, once its `post` line has been read.
    private var tracedKey: PostKey?
    private var nextTrace: Double?
    private var batch: [Observation] = []
    /// When the watch learned of each line of `batch` (the replay's clock then).
    private var learned: [Double] = []
    /// Posts with lines of their own, where the outcomes are not tracked.
    private var firsthand: Set<PostKey.Hashed> = []
    /// Whether `batch` holds carried lines (`add`), which are scored but not counted for volume.
    private var batchCarried = false
    private var nextTick: Double?
    private var firstTick = 0.0
    private let leavesOutQuietTicks: Bool
    private var ticks = 0
    private var outcomes: PostOutcomes
    private var notes: [Backtest.Note] = []
    private var observations = 0
    private var malformed = 0
    private var lastTime: Double?
    /// Posts whose scores are sampled as they grow, for a report's charts.
    private var sampled: [PostKey: SeriesSampler] = [:]
    /// What the sampled posts have reached so far: when their next point is due depends on it.
    private var sampledOutcomes: PostOutcomes
    private let tracksOutcomes: Bool
    private let trace: (PostFeatures) -> Void
    private let notify: (AlertNotification) -> Void

    /// - Parameters:
    ///   - target: the size the outcomes are judged against (`Backtest`).
    ///   - trace: a post id (or `source:id`) to trace, with `traceEvery` seconds between points.
    ///   - traced: receives each trace point of that post.
    ///   - sample: posts whose scores to sample as they grow (`series`), for a report.
    ///   - tracksOutcomes: false when the caller knows the outcomes already (a sweep replays
    ///     the same recording once per value, a report replays it again to sample its posts):
    ///     `finish` then has none.
    ///   - notify: receives each notification, in order.
    ///   - leavesOutQuietTicks: leave out, in bulk, ticks the engine says cannot do anything
    ///     (false: every tick is run, the reference the tests hold this to).
    package init(config: Config, shards: Int? = nil, target: Int = 1000, trace: String? = nil, traceEvery: Double = 60, sample: Set<PostKey> = [],
                tracksOutcomes: Bool = true, leavesOutQuietTicks: Bool = true, calibration: Calibration = .standard, traced: @escaping (PostFeatures) -> Void = { _ in }, notify: @escaping (AlertNotification) -> Void) {
        engine = ScoringEngine(config: config, shards: shards, calibration: calibration)
        self.leavesOutQuietTicks = leavesOutQuietTicks
        interval = config.scoring.evaluationInterval
        outcomes = PostOutcomes(target: target)
        sampledOutcomes = PostOutcomes(target: target)
        self.tracksOutcomes = tracksOutcomes
        traceKey = trace
        self.traceEvery = traceEvery
        for key in sample { sampled[key] = SeriesSampler() }
        self.trace = traced
        self.notify = notify
    }

    /// Feeds one observation, in the order the watch learned of them.
    /// - Parameter seen: the watch's clock when it did (`RecordingDecoder.decodeInOrder`), at
    ///   or past the observation's time; nil when that is its time (a cascade played in order).
    /// - Parameter carried: a line carried into a file's start (`PostOutcomes.add`): dropped for
    ///   a post known already, so that joined files score as the recording never rotated.
    package func add(_ observation: Observation, seen: Double? = nil, carried: Bool = false) {
        let time = observation.time, clock = max(seen ?? time, time)
        if tracksOutcomes {
            if !outcomes.add(observation, seen: clock, carried: carried) { return }
        } else if carried {
            // As `outcomes.add` drops them: a carried line of a post heard of firsthand repeats
            // the file before (the report's second pass plays joined files too).
            if firsthand.contains(PostKey.Hashed(observation.key)) { return }
        } else {
            firsthand.insert(PostKey.Hashed(observation.key))
        }
        if nextTick == nil {
            firstTick = clock + interval
            nextTick = firstTick
        }
        lastTime = max(lastTime ?? clock, clock)
        advance(to: clock)
        observations += 1
        // A post known only from its reshares is scored from the first, and traced from it too.
        // (An answer to a post not seen yet is only kept for it.)
        if tracedKey == nil, let traceKey, traceKey == observation.key.id || traceKey == observation.key.description {
            switch observation {
            case .answer: break
            case .post(let key, _, let created, _, _, _, _): (tracedKey, nextTrace) = (key, created)
            default: (tracedKey, nextTrace) = (observation.key, time)
            }
        }
        // Carried lines in a batch of their own: they do not count for volume.
        if carried != batchCarried {
            flush()
            batchCarried = carried
        }
        batch.append(observation)
        learned.append(clock)
        if !sampled.isEmpty, let sampler = sampled[observation.key] {
            sampledOutcomes.add(observation, seen: clock)
            // A sampled post's observation ends its batch, so a notification about it is
            // delivered (and its moment sampled) before any later observation is applied.
            flush()
            if let post = sampledOutcomes[observation.key], sampler.due(reshares: post.reshares, at: time, createdAt: post.createdAt) {
                sample(observation.key, at: time)
            }
        }
        if batch.count >= 4096 { flush() }
    }

    /// Plays a whole recording: decoded on every core, scored in the order the watch learned of
    /// them. Lines out of order (`decodeInOrder`) and lines that cannot be read are skipped and
    /// counted; `report` gets one line for each of the first 20, then a total, and progress
    /// every million lines.
    package func play(_ data: Data, name: String, report: (String) -> Void) {
        play(Recording(data, name: name), report: report)
    }

    /// The same for a recording of several files, played as one.
    package func play(_ recording: Recording, report: (String) -> Void) {
        RecordingDecoder().decodeInOrder(recording, report: report, skipped: countMalformed) { add($0, seen: $1, carried: $2) }
    }

    /// Runs the ticks and trace points due before `time` (or at it, when `inclusive`): an
    /// observation at exactly a tick's time is applied before that tick.
    private func advance(to time: Double, inclusive: Bool = false) {
        while true {
            let tick = nextTick ?? .infinity, trace = nextTrace ?? .infinity
            let boundary = min(tick, trace)
            guard boundary < time || (inclusive && boundary == time) else { return }
            flush()
            if trace <= tick {
                nextTrace = trace + traceEvery
                emitTrace(at: trace)
            } else {
                // Ticks that cannot do anything before the next event are left out in bulk: a
                // recording may jump years, and one tick a minute through them is millions.
                let until = min(time, trace, engine.quietUntil)
                if leavesOutQuietTicks, until.isFinite, until > tick + interval {
                    // The first tick at or after `until`: every one before it does nothing.
                    var skipTo = ticks + Int(((until - tick) / interval).rounded(.up))
                    while skipTo > ticks, firstTick + Double(skipTo - 1) * interval >= until { skipTo -= 1 }
                    while firstTick + Double(skipTo) * interval < until { skipTo += 1 }
                    if skipTo > ticks + 1 {
                        engine.leaveOutTicks(through: firstTick + Double(skipTo - 1) * interval)
                        ticks = skipTo
                        nextTick = firstTick + Double(ticks) * interval
                        continue
                    }
                }
                deliver(engine.tick(tick))
                // Counted from the first tick rather than added up, so a tick's time does not
                // drift over a recording that spans months.
                ticks += 1
                nextTick = firstTick + Double(ticks) * interval
            }
        }
    }

    /// Ends the recording.
    /// - Returns: its notifications against what became of each post.
    package func finish() -> Backtest {
        if let last = lastTime { advance(to: last, inclusive: true) }
        flush()
        return Backtest(outcomes: outcomes, notes: notes, observations: observations, malformed: malformed, answersUnseen: engine.config.answersUnseen)
    }

    package func countMalformed() { malformed += 1 }

    /// What was sampled of each post in `sample`, in time order.
    package var series: [PostKey: [SeriesPoint]] { sampled.mapValues(\.points) }

    private func flush() {
        guard !batch.isEmpty else { return }
        let observations = batch, learned = self.learned
        batch.removeAll(keepingCapacity: true)
        self.learned.removeAll(keepingCapacity: true)
        // An alert is stamped no earlier than the watch learned what set it off (a reshare
        // dated from a list of resharers): whatever other lines had come by then.
        deliver(engine.ingest(observations, learned: learned, countingVolume: !batchCarried))
    }

    private func deliver(_ notes: [AlertNotification]) {
        for note in notes {
            notify(note)
            self.notes.append(Backtest.Note(note))
            // The moments it fired, escalated and resolved are points of its curve too.
            if !sampled.isEmpty, note.post != nil, sampled[note.key] != nil { sample(note.key, at: note.time) }
        }
    }

    /// Takes one point of a sampled post's curve: its reshares and scores now.
    private func sample(_ key: PostKey, at time: Double) {
        flush()
        guard let features = engine.features(key, at: time) else { return }
        sampled[key]?.add(SeriesPoint(features, nStar: engine.config.scoring.seismic.nStar))
    }

    private func emitTrace(at time: Double) {
        guard let key = tracedKey, let features = engine.features(key, at: time) else {
            nextTrace = nil // evicted
            return
        }
        trace(features)
    }

    /// The `--trace` post asked for, if the recording never had it.
    package var traceNotFound: String? { traceKey != nil && tracedKey == nil ? traceKey : nil }
}
