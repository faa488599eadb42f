import ForeshockConfig
import ForeshockCore
import ForeshockSupport
import Foundation

/// Runs a recording through the scoring core in virtual time: the observations in order, a tick
/// every `evaluation_interval` of recorded time, nothing slept. What it reports is what the watch
/// process would have sent.
package final class Replay {
    package struct Summary: Sendable {
        package var observations = 0
        package var malformed = 0
        package var posts = 0
        package var alertsByRule: [String: Int] = [:]
        /// Per alerted post: reshares when the alert started, and seconds between the alert and the
        /// post reaching the rule's reshare threshold (nil if it never did in the recording).
        package var alerted: [(key: PostKey, rule: String, reshares: Int, lead: Double?)] = []
    }

    package let engine: ScoringEngine
    private let interval: Double
    private let traceKey: String?
    private let traceEvery: Double
    /// The traced post, once its `post` line has been read.
    private var tracedKey: PostKey?
    private var nextTrace: Double?
    private var batch: [Observation] = []
    private var nextTick: Double?
    private var firstTick = 0.0
    private let leavesOutQuietTicks: Bool
    private var ticks = 0
    /// Reshares per post, counted over the whole recording (a post's alert reaches replay only
    /// when its batch is scored, and the post may have passed the threshold in that batch).
    private var reshares: [PostKey.Hashed: Int] = [:]
    /// Per post, the alerts (one per rule it started or escalated to) whose threshold it has not reached yet.
    private var pendingLeads: [PostKey: [(index: Int, threshold: Int, alertTime: Double)]] = [:]
    private var summary = Summary()
    private var lastTime: Double?
    private var seenPosts = Set<PostKey.Hashed>()
    private let emit: (String) -> Void
    private let notify: (AlertNotification) -> Void

    /// - Parameters:
    ///   - trace: a post id (or `source:id`) to trace, with `traceEvery` seconds between points.
    ///   - emit: receives each trace line.
    ///   - notify: receives each notification, in order.
    ///   - leavesOutQuietTicks: leave out, in bulk, ticks the engine says cannot do anything
    ///     (false: every tick is run, the reference the tests hold this to).
    package init(config: Config, shards: Int? = nil, trace: String? = nil, traceEvery: Double = 60, leavesOutQuietTicks: Bool = true,
                emit: @escaping (String) -> Void = { _ in }, notify: @escaping (AlertNotification) -> Void) {
        engine = ScoringEngine(config: config, shards: shards)
        self.leavesOutQuietTicks = leavesOutQuietTicks
        interval = config.scoring.evaluationInterval
        traceKey = trace
        self.traceEvery = traceEvery
        self.emit = emit
        self.notify = notify
    }

    /// Feeds one observation (in recorded time order).
    package func add(_ observation: Observation) {
        let time = observation.time
        if nextTick == nil {
            firstTick = time + interval
            nextTick = firstTick
        }
        lastTime = max(lastTime ?? time, time)
        advance(to: time)
        summary.observations += 1
        if case .post = observation { seenPosts.insert(PostKey.Hashed(observation.key)) }
        if tracedKey == nil, let traceKey, case .post(let key, _, let created, _, _, _, _) = observation,
           traceKey == key.id || traceKey == key.description {
            tracedKey = key
            nextTrace = created
        }
        track(observation)
        batch.append(observation)
        if batch.count >= 4096 { flush() }
    }

    /// Plays a whole recording: decoded on every core, scored in order. Lines out of time order
    /// and lines that cannot be read are skipped and counted; `report` gets one line for each of
    /// the first 20, then a total, and progress every million lines.
    package func play(_ data: Data, name: String, report: (String) -> Void) {
        var problems = 0, lastTime = -Double.infinity, read = 0
        func skip(_ reason: String) {
            problems += 1
            countMalformed()
            if problems <= 20 { report("\(name): \(reason)") }
        }
        RecordingDecoder().decode(data) { lines, lastLine in
            for line in lines {
                switch line {
                case .problem(let problem):
                    skip(problem.description)
                case .observation(let observation, let number):
                    guard observation.time >= lastTime else {
                        skip("line \(number): out of time order (\(Timestamp.format(Date(timeIntervalSince1970: observation.time)))); skipped")
                        continue
                    }
                    lastTime = observation.time
                    add(observation)
                }
            }
            let before = read
            read = lastLine
            if read / 1_000_000 > before / 1_000_000 { report("replay: \(read / 1_000_000 * 1_000_000) lines read") }
        }
        if problems > 20 { report("\(name): \(problems) lines skipped in all") }
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
    package func finish() -> Summary {
        if let last = lastTime { advance(to: last, inclusive: true) }
        flush()
        summary.posts = seenPosts.count
        return summary
    }

    package func countMalformed() { summary.malformed += 1 }

    private func flush() {
        guard !batch.isEmpty else { return }
        let observations = batch
        batch.removeAll(keepingCapacity: true)
        deliver(engine.ingest(observations))
    }

    private func deliver(_ notes: [AlertNotification]) {
        for note in notes {
            notify(note)
            // An escalation starts the higher rule's alert on the post: it counts for that rule.
            guard note.reason == .started || note.reason == .escalated, !note.isVolume else { continue }
            summary.alertsByRule[note.rule, default: 0] += 1
            let threshold = engine.config.rules.first { $0.name == note.rule }.flatMap { rule in
                rule.when.predictedResharesAtLeast.map { Int($0.rounded(.up)) } ?? rule.when.minReshares
            }
            summary.alerted.append((note.key, note.rule, note.reshares, nil))
            if let threshold {
                if note.reshares >= threshold {
                    summary.alerted[summary.alerted.count - 1].lead = 0
                } else {
                    pendingLeads[note.key, default: []].append((summary.alerted.count - 1, threshold, note.time))
                }
            }
        }
    }

    /// Keeps each post's reshare count, to tell when an alerted post reached its threshold.
    private func track(_ observation: Observation) {
        let key = observation.key
        let hashed = PostKey.Hashed(key)
        let count: Int
        switch observation {
        case .reshare:
            count = reshares[hashed, default: 0] + 1
        case .counts(_, _, let polled?, _, _, _):
            count = max(reshares[hashed] ?? 0, polled)
        default: return
        }
        reshares[hashed] = count
        guard !pendingLeads.isEmpty, let pending = pendingLeads[key] else { return }
        let reached = pending.filter { count >= $0.threshold }
        guard !reached.isEmpty else { return }
        for item in reached { summary.alerted[item.index].lead = observation.time - item.alertTime }
        let left = pending.filter { count < $0.threshold }
        pendingLeads[key] = left.isEmpty ? nil : left
    }

    private func emitTrace(at time: Double) {
        guard let key = tracedKey, let f = engine.features(key, at: time) else {
            nextTrace = nil // evicted
            return
        }
        func number(_ value: Double?) -> String { JSONText.number(value) }
        let fields: [(String, String)] = [
            ("type", "\"trace\""), ("time", JSONText.quote(Timestamp.format(Date(timeIntervalSince1970: time)))), ("post", JSONText.quote(key.id)),
            ("mode", JSONText.quote(f.mode.rawValue)), ("reshares", String(f.reshares)), ("velocity_per_min", number(f.velocityShort)),
            ("reach", number(f.reach)), ("seismic_infectiousness", number(f.seismic.infectiousness)),
            ("seismic_infectiousness_low", number(f.seismic.low)), ("seismic_infectiousness_high", number(f.seismic.high)),
            ("seismic_predicted", number(f.seismic.predicted)), ("supercritical", f.supercritical || f.seismic.supercritical ? "true" : "false"),
            ("calibrated_seismic", number(f.seismicPredicted)),
            // The sustained spread's terms: rate over the window, the window, its emptiest later
            // part over an even share, the author's audience discount, and what it predicts.
            ("sustained_per_min", number(f.sustained?.perMinute)), ("sustained_minutes", number(f.sustained?.minutes)),
            ("sustained_weakest_part", number(f.sustained?.weakestPart)), ("sustained_audience_discount", number(f.sustained?.audience)),
            ("sustained", f.sustained.map { $0.sustained ? "true" : "false" } ?? "null"), ("sustained_predicted", number(f.sustained?.predicted)),
            ("predicted", number(f.predicted)),
            // Since the brand's answer (once it has settled): reshares a minute before and since.
            ("after_answer_before_per_min", number(f.afterAnswer.before)), ("after_answer_since_per_min", number(f.afterAnswer.since)),
            ("spreading_after_answer", f.afterAnswer.spreading ? "true" : "false"),
        ]
        emit("{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}")
    }
}
