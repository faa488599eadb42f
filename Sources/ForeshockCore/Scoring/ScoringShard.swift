import ForeshockConfig
import ForeshockSupport
import Foundation

/// The posts of one shard and their alerts. Not thread-safe by itself: the engine confines each
/// shard to its own serial queue, so no lock is taken on the hot path.
package struct ScoringShard: Sendable {
    package struct Settings: Sendable {
        package var scoring: ScoringConfig
        package var calibration: Calibration
        package var matcher: RuleMatcher
        package var kernel: SeismicKernel
        package var lexicon: ComplaintLexicon
        package var maxPosts: Int
        /// What each configured source watches (`SourceConfig.watching`), for the alerts' text.
        package var watching: [String: String] = [:]
        /// Sources whose brand's answers nobody looks for (`Config.answersUnseen`).
        package var answersUnseen: Set<String> = []

        /// Whether the brand's answers are looked for on `source`. Most configs watch every
        /// source's: no lookup then (this runs for every post scored).
        func watchesAnswers(on source: String) -> Bool {
            answersUnseen.isEmpty || !answersUnseen.contains(source)
        }
        /// Every sink's name: what a rule naming no sink sends to.
        package var sinkNames: [String]
        /// Whether ticks pass over alerts whose outcome time alone cannot change yet (false
        /// evaluates every alert on every tick: the reference the tests hold this to).
        package var passesQuietAlerts = true
    }

    /// Observations in time order, with what the engine knew of each one's source when it
    /// arrived. Every shard reads the same batch and takes the observations whose hash picks
    /// it: nothing is copied out per shard.
    package struct Batch: Sendable {
        package var observations: [Observation]
        /// Each observation's `key.stableHash`, computed once by the engine.
        package var hashes: [UInt64]
        /// Each observation's source's volume against its baseline when it arrived.
        package var volumes: [VolumeBaseline.Reading]
        /// The followers assumed, when it arrived, for a resharer its source does not name.
        package var typicalFollowers: [Double]
        /// The latest time the engine had seen when each observation came (see
        /// `ScoringEngine.latestTime`): a notification it brings is stamped no earlier.
        package var latest: [Double]
    }

    /// One observation of a batch, as `apply` reads it.
    struct Item {
        var observation: Observation
        var hash: UInt64
        var typicalFollowers: Double
    }

    /// This shard's observations read ahead together in `ingest`: enough misses to overlap, few
    /// enough that the states they bring in (a few cache lines each) stay in a core's cache for
    /// their work.
    static let lookAhead = 256

    var settings: Settings
    /// The sum of what `ingest` reads ahead of the work (NaN soon: a post without reshares reads
    /// NaN). Nothing reads it: it is kept so that the compiler keeps those reads, which are
    /// there for the cache lines they bring in.
    private var touched = 0.0
    private var table = PostTable()
    package private(set) var lifecycle: AlertLifecycle
    /// Each source's volume as the engine last passed it, for ticks.
    private var volume: [String: VolumeBaseline.Reading] = [:]
    /// When open posts cross the `unanswered_for_at_least` thresholds of the rules.
    private var unansweredDue = DueHeap()
    /// The distinct `unanswered_for_at_least` thresholds of the post rules.
    private var unansweredThresholds: [Double] = []
    /// The least complaint score a post needs for any unanswered rule to hold: posts below it
    /// are never scheduled (most posts are no complaint, and the heap entries cost memory).
    private var unansweredMinScore = 0
    /// Answers to posts not tracked yet, by when they were written: a poll that finds a post and
    /// the brand's reply to it together stamps the reply first (it was written before the poll),
    /// and the post must not then look unanswered. Taken when the post comes; pruned past a day.
    private var earlyAnswers: [PostKey: Double] = [:]
    static let earlyAnswersKept = 10_000
    /// What of a post's text is kept to show, in Unicode scalars.
    static let excerptLength = 280

    /// No post can go cold before this: the least `lastActivity + cold_after` over the posts not
    /// firing, a bound that only grows between sweeps (activity only moves forward), so a sweep
    /// before it would find nothing.
    package private(set) var earliestCold = Double.infinity
    /// No firing alert needs a tick before this (a lower bound on their `quietUntil`).
    package private(set) var nextFiringDue = Double.infinity

    package init(settings: Settings, alerting: AlertingConfig) {
        self.settings = settings
        self.lifecycle = AlertLifecycle(repeatInterval: alerting.repeatInterval, resolveAfter: alerting.resolveAfter, sinkNames: settings.sinkNames)
        unansweredThresholds = Self.unansweredThresholds(settings.matcher)
        unansweredMinScore = Self.unansweredMinScore(settings.matcher)
    }

    /// Posts tracked.
    package var postCount: Int { table.count }

    /// Every post tracked.
    /// The posts tracked, and those an early answer waits for: what a journal compaction keeps.
    package var keys: [PostKey] { table.slots.map { table[$0].key } + earlyAnswers.keys }

    /// When the next open post crosses an unanswered threshold (+∞ when none will).
    package var nextUnansweredDue: Double { unansweredDue.nextDue }

    /// Applies this shard's observations of a batch in order, evaluating the rules after each.
    /// - Parameters:
    ///   - batch: the observations, in time order.
    ///   - index: this shard's number, of `count`: it takes the observations whose hash picks it.
    ///   - volumes: each source's volume at the end of the batch, kept for ticks.
    ///   - previousTick: the engine's last tick, if any.
    package mutating func ingest(_ batch: Batch, shard index: Int, of count: Int, volumes: [(source: String, volume: VolumeBaseline.Reading)],
                                previousTick: Double? = nil) -> [AlertNotification] {
        var out: [AlertNotification] = []
        let settings = self.settings
        // A run of reads ahead first, then the work. A post's state is somewhere in megabytes of
        // them, so finding it is a chain of cache misses: its bucket, its state (five lines), the
        // end of its history (another allocation), where the work appends and looks back from.
        // Done one observation at a time, each miss waits alone; done in stages over a run, one
        // kind of read for every observation of the run before the next, the reads of a stage do
        // not wait on each other and the CPU has a dozen in flight. Runs of `lookAhead`, not the
        // whole batch: what a run brought in is still in the cache when its work reads it. What
        // is read ahead is a guess (the first bucket's post, its key not compared): the work's
        // own lookup decides.
        var mine: [(position: Int, slot: Int)] = []
        mine.reserveCapacity(Self.lookAhead)
        var next = batch.observations.startIndex
        while next < batch.observations.endIndex {
            mine.removeAll(keepingCapacity: true)
            while next < batch.observations.endIndex, mine.count < Self.lookAhead {
                if ScoringEngine.shard(of: batch.hashes[next], count: count) == index { mine.append((next, -1)) }
                next += 1
            }
            for i in mine.indices { mine[i].slot = table.likelySlot(hash: batch.hashes[mine[i].position]) }
            for (_, slot) in mine where slot >= 0 { touched += table[slot].everyLine }
            for (_, slot) in mine where slot >= 0 { touched += table[slot].history.newestTime }
            for (position, _) in mine {
                let observation = batch.observations[position]
                let item = Item(observation: observation, hash: batch.hashes[position], typicalFollowers: batch.typicalFollowers[position])
                guard let slot = apply(item) else { continue }
                if let note = evaluate(slot, settings: settings, at: observation.time, notBefore: batch.latest[position], volume: batch.volumes[position], previousTick: previousTick) {
                    out.append(note)
                }
            }
        }
        for (source, reading) in volumes { volume[source] = reading }
        if table.count > settings.maxPosts { evictColdest() }
        return out
    }

    /// Re-evaluates the posts whose alerts may change with time alone, and evicts cold posts.
    /// - Parameters:
    ///   - time: now.
    ///   - volumes: each source's volume now.
    ///   - sweep: whether to evict the posts gone cold (the engine runs a sweep once per period).
    ///   - previousTick: the tick before this one, if any.
    package mutating func tick(_ time: Double, volumes: [(source: String, volume: VolumeBaseline.Reading)], sweep: Bool, previousTick: Double? = nil) -> [AlertNotification] {
        var out: [AlertNotification] = []
        let settings = self.settings
        for (source, reading) in volumes { volume[source] = reading }
        // Between observations only time moves: alerts firing may repeat or resolve, and
        // "unanswered for" may start to hold. Other posts cannot start an alert on a tick, so
        // the tick costs what is firing and what crosses a threshold, not what is tracked; and
        // of what is firing, only what time can change by now (see `stableUntil`).
        // (The order they are evaluated in does not matter: the engine sorts what they return.)
        var due: [Int] = []
        nextFiringDue = .infinity
        for (key, alert) in lifecycle.firing {
            if alert.quietUntil <= time {
                if let slot = table.slot(of: key, hash: key.stableHash) { due.append(slot) }
            } else {
                nextFiringDue = min(nextFiringDue, alert.quietUntil)
            }
        }
        if unansweredDue.nextDue <= time {
            var crossing = Set<Int>()
            for entry in unansweredDue.popDue(atOrBefore: time) {
                if let slot = table.slot(of: entry.key, hash: entry.hash), !table[slot].firing, table[slot].answeredAt == nil {
                    crossing.insert(slot)
                }
            }
            due += crossing.sorted()
        }
        var source = "", reading = VolumeBaseline.Reading.none
        for slot in due {
            if table[slot].key.source != source {
                source = table[slot].key.source
                reading = volume[source] ?? .none
            }
            if let note = evaluate(slot, settings: settings, at: time, volume: reading, previousTick: previousTick) { out.append(note) }
        }
        if sweep, time > earliestCold {
            let coldAfter = settings.scoring.coldAfter
            var cold: [Int] = []
            earliestCold = .infinity
            // Firing posts are kept, and left out of the bound until their alert resolves (see
            // `evaluate`): one post gone viral days ago would otherwise hold it in the past.
            for slot in table.slots where !table[slot].firing {
                if time - table[slot].lastActivity > coldAfter {
                    cold.append(slot)
                } else {
                    earliestCold = min(earliestCold, table[slot].lastActivity + coldAfter)
                }
            }
            remove(cold)
        }
        return out
    }

    /// Removes the posts in `slots` (each slot once).
    private mutating func remove(_ slots: [Int]) {
        // From the highest slot down: a removal moves the last post into the hole, and the last
        // post is then never one still to be removed.
        for slot in slots.sorted(by: >) { table.remove(at: slot) }
    }

    /// Schedules the post in `slot` to be evaluated as it crosses each unanswered threshold.
    private mutating func scheduleUnanswered(_ slot: Int, hash: UInt64) {
        for threshold in unansweredThresholds {
            unansweredDue.push(DueHeap.Entry(due: table[slot].createdAt + threshold, hash: hash, key: table[slot].key))
        }
    }

    private static func unansweredThresholds(_ matcher: RuleMatcher) -> [Double] {
        Array(Set(matcher.rules.filter { !RuleMatcher.isVolumeRule($0) }.compactMap(\.when.unansweredForAtLeast))).sorted()
    }

    private static func unansweredMinScore(_ matcher: RuleMatcher) -> Int {
        matcher.rules.filter { !RuleMatcher.isVolumeRule($0) && $0.when.unansweredForAtLeast != nil }
            .map(\.when.leastComplaintScore).min() ?? 0
    }

    /// - Returns: the post's slot in the table, valid until the next insertion or removal.
    private mutating func apply(_ item: Item) -> Int? {
        let observation = item.observation
        var slot = table.slot(of: observation.key, hash: item.hash)
        let isNew = slot == nil
        if isNew {
            // An answer to a post not tracked yet is kept for the post, if it comes.
            if case .answer(let key, let time, _) = observation {
                keepEarlyAnswer(key, at: time)
                return nil
            }
            slot = table.insert(PostState(key: observation.key, createdAt: observation.time, followersCap: settings.calibration.resharerFollowersCap),
                                hash: item.hash)
        }
        guard let slot else { return nil }
        if isNew, !earlyAnswers.isEmpty, let answered = earlyAnswers.removeValue(forKey: observation.key) {
            table[slot].answeredAt = answered
        }
        let createdAt = table[slot].createdAt
        let wasEligible = !isNew && table[slot].complaintScore >= unansweredMinScore
        // Mutated in place: a copy taken out of the table would share the history's buffers, and
        // the next append would copy every reshare the post has.
        Self.apply(observation, item: item, to: &table[slot], settings: settings)
        if isNew { earliestCold = min(earliestCold, table[slot].lastActivity + settings.scoring.coldAfter) }
        // A `post` line may move the creation back (reshares seen first): its crossings move too.
        // It may also bring the text that makes the post a complaint an unanswered rule is about.
        if !unansweredThresholds.isEmpty, table[slot].answeredAt == nil, table[slot].complaintScore >= unansweredMinScore,
           isNew || table[slot].createdAt != createdAt || !wasEligible {
            scheduleUnanswered(slot, hash: item.hash)
        }
        return slot
    }

    private mutating func keepEarlyAnswer(_ key: PostKey, at time: Double) {
        earlyAnswers[key] = min(earlyAnswers[key] ?? time, time)
        guard earlyAnswers.count > Self.earlyAnswersKept else { return }
        // Answers to posts that never came (the brand answers far more than the stream finds).
        earlyAnswers = earlyAnswers.filter { $0.value >= time - 86_400 }
        if earlyAnswers.count > Self.earlyAnswersKept { earlyAnswers = [key: time] }
    }

    private static func apply(_ observation: Observation, item: Item, to post: inout PostState, settings: Settings) {
        let time = observation.time
        switch observation {
        case .post(_, _, let createdAt, let author, let followers, let text, let url):
            post.createdAt = createdAt
            post.quote(author: author, url: url, excerpt: text.map { SafeText.cut($0, Self.excerptLength) })
            post.authorFollowers = followers ?? post.authorFollowers
            post.history.originalFollowers = followers ?? item.typicalFollowers
            if let text { post.complaintScore = settings.lexicon.score(text) }
            post.seenPost = true
            post.lastActivity = max(post.lastActivity, time)
        case .reshare(_, _, _, let followers):
            // Switching to events: what was estimated from counters stays; new reshares are exact.
            post.mode = .events
            guard post.estimated == 0 else {
                // One the counter counted already (a resharer list fetched at 20 reshares lists
                // those 20): counted again, each post's reshares came to twice what its API said,
                // and ordinary posts paged. Its audience joins the reach in place of the one assumed
                // (its share of what the counter's were assumed at: typical then, not now).
                let assumed = post.estimatedAudience / Double(post.estimated)
                post.estimated -= 1
                post.estimatedAudience = post.estimated == 0 ? 0 : post.estimatedAudience - assumed
                if let followers {
                    post.resharerFollowers += followers - assumed
                } else {
                    post.assumedSeen += 1
                }
                return
            }
            let n = followers ?? item.typicalFollowers
            post.history.add(at: time - post.createdAt, followers: n)
            post.resharerFollowers += followers ?? 0
            post.lastActivity = max(post.lastActivity, time)
            compact(&post, now: time, settings: settings)
        case .counts(_, _, let reshares, let replies, let likes, let quotes):
            post.replies = replies ?? post.replies
            post.likes = likes ?? post.likes
            post.quotes = quotes ?? post.quotes
            if let reshares {
                // Reshares seen one by one too: a counter ahead of them says some were not seen
                // yet, and they are estimated as in counts mode until they are.
                spread(&post, to: reshares, at: time, followers: item.typicalFollowers, settings: settings)
                if reshares > (post.polledReshares ?? 0) { post.lastActivity = max(post.lastActivity, time) }
                post.polledReshares = reshares
            }
            post.lastCountsTime = time
            post.counters.record(.init(time: time, reshares: post.polledReshares, replies: post.replies, likes: post.likes, quotes: post.quotes))
        case .answer:
            post.answeredAt = min(post.answeredAt ?? time, time)
        }
    }

    /// Counts mode: new reshares since the last poll, spread evenly over the interval.
    private static func spread(_ post: inout PostState, to total: Int, at time: Double, followers: Double, settings: Settings) {
        let new = total - post.history.count
        guard new > 0 else { return }
        post.estimated += new
        let from = max(post.lastCountsTime ?? post.createdAt, post.createdAt) - post.createdAt
        let to = time - post.createdAt
        post.history.spread(new, from: from, to: to, followers: followers)
        post.resharerFollowers += followers * Double(new)
        post.estimatedAudience += followers * Double(new)
        // A counter moves by any amount, so it seldom lands on a multiple of 64: compact when
        // it passed one, or a post that only ever gets counters is never compacted.
        compact(&post, now: time, settings: settings, passed: (total - new) / 64 != total / 64)
    }

    private static func compact(_ post: inout PostState, now: Double, settings: Settings, passed: Bool = false) {
        guard passed || post.history.count % 64 == 0 else { return }
        // Shares older than any window SEISMIC or the velocities may still look at go into bins.
        let age = now - post.createdAt
        let model = settings.scoring.seismic
        let window = min(max(age / 2, model.minWindow), model.maxWindow)
        post.history.compact(now: age, maxWindow: max(window * 1.1 + 60, settings.scoring.longWindow))
    }

    /// Hands `body` the features at `time` of each of `keys` that is tracked, with its index.
    ///
    /// `mutating` though it changes nothing (the table's storage is the shard's alone, so the
    /// access never copies it), and one call for the lot: read out of the engine's
    /// box, the shard was copied whole (every buffer retained and released) for each post, and
    /// read out of the table, each post was (perf: a sixth of a batch look's samples between
    /// them); in place, neither is. A closure rather than an array, so each post's features (a
    /// few hundred bytes) are copied once more, not twice, on the way to where the caller keeps them.
    /// - Parameter readThrough: per source, the time its data is known through (see
    ///   `ScoringEngine.features(_:at:readThrough:)`); a post of a source in it is read as of then.
    package mutating func forEachFeatures(of keys: [PostKey], at time: Double, readThrough: [String: Double] = [:],
                                          _ body: (_ index: Int, _ features: PostFeatures) -> Void) {
        // Taken once: read beside the table lent in place, it was copied for every post.
        let settings = self.settings
        for (index, key) in keys.enumerated() {
            guard let slot = table.slot(of: key, hash: key.stableHash) else { continue }
            body(index, Self.features(of: &table[slot], settings: settings, at: Self.time(time, of: key.source, readThrough: readThrough)))
        }
    }

    /// The time a post of `source` is read at: `time`, or its source's read-through time if earlier.
    static func time(_ time: Double, of source: String, readThrough: [String: Double]) -> Double {
        readThrough[source].map { min(time, $0) } ?? time
    }

    /// The post lent in place (see `forEachFeatures`).
    private static func features(of post: inout PostState, settings: Settings, at time: Double) -> PostFeatures {
        settings.features(post, at: time)
    }

    /// - Parameter settings: the shard's, taken once by the caller's loop: read beside the post
    ///   lent in place, they were copied for every observation.
    private mutating func evaluate(_ slot: Int, settings: Settings, at time: Double, notBefore: Double? = nil, volume: VolumeBaseline.Reading, previousTick: Double?) -> AlertNotification? {
        let wasFiring = table[slot].firing
        let note = Self.evaluate(&table[slot], lifecycle: &lifecycle, nextFiringDue: &nextFiringDue, settings: settings, at: time,
                                 stamp: max(time, notBefore ?? time), volume: volume, previousTick: previousTick)
        // A post whose alert just resolved may go cold again: back into the sweep's bound.
        if wasFiring, !table[slot].firing { earliestCold = min(earliestCold, table[slot].lastActivity + settings.scoring.coldAfter) }
        return note
    }

    /// Evaluates the rules for one post and updates its alert.
    ///
    /// Static, on the post borrowed in place (with the lifecycle and settings, the shard's other
    /// parts): a method reading the post out of the table would copy all of it, every buffer
    /// retained, on each observation.
    ///
    /// SEISMIC runs only when it has to. The calibrated prediction is at least the reshares seen
    /// and at most `Calibration.ceiling`, and for most posts that decides every rule: a post too
    /// small to reach a threshold, or one already past it. Otherwise, or when there is a
    /// notification to fill in, the estimate is computed (and reused while fresh).
    ///
    /// The post is judged as it stood at `time`; its alert changes at `stamp`, later when the
    /// observation came after others (a resharer fetched is stamped back within the time since
    /// the last fetch): an alert's notifications never go back in time, an escalation before
    /// the alert it escalates.
    private static func evaluate(_ post: inout PostState, lifecycle: inout AlertLifecycle, nextFiringDue: inout Double, settings: Settings,
                                 at time: Double, stamp: Double, volume: VolumeBaseline.Reading, previousTick: Double?) -> AlertNotification? {
        let age = time - post.createdAt
        if !post.firing {
            let cheap = RuleMatcher.Cheap(source: post.key.source, reshares: post.reshares, age: age, complaint: post.complaintScore > 0,
                                          complaintScore: post.complaintScore, unansweredFor: Self.unanswered(post, for: age, settings: settings), volume: volume)
            guard settings.matcher.mayHold(cheap) else { return nil }
        }
        let observed = post.history.reshares(atOrBefore: age)
        let nStar = settings.scoring.seismic.nStar, counts = post.mode == .counts
        let seismicCeiling = post.cache.ceiling(reshares: observed, history: post.history, age: age, calibration: settings.calibration, nStar: nStar, counts: counts)
            ?? settings.calibration.ceiling(reshares: observed, authorFollowers: post.history.originalFollowers,
                                            cappedResharerFollowers: post.history.cappedFollowers, age: age, nStar: nStar, counts: counts)
        // The sustained spread is cheap and exact: what it predicts now is a floor under the
        // prediction (the larger half), and SEISMIC's ceiling or it the roof.
        let sustained = settings.calibration.sustained.reading(post.history, at: age, authorFollowers: post.authorFollowers, reshares: observed)
        let floor = max(Double(observed), sustained?.predicted ?? 0)
        let rough = settings.features(post, at: time, seismic: SeismicEstimate(reshares: observed), predicted: nil, supercritical: false)
        var features: PostFeatures?
        let holding: RuleSet
        let decided = settings.matcher.holding(rough, predictedWithin: floor...max(floor, seismicCeiling), volume: volume)
        if let decided {
            holding = decided
        } else {
            features = evaluationFeatures(&post, at: time, sustained: sustained, settings: settings)
            holding = settings.matcher.holding(features!, volume: volume)
        }
        if !post.firing, holding.isEmpty { return nil }
        // How long that holds needs a roof for later too: the sustained spread's can only fall.
        let stable = decided != nil && settings.passesQuietAlerts
            ? settings.stableUntil(post, rough: rough, at: time, holding: holding, floor: floor,
                                   ceiling: max(seismicCeiling, settings.calibration.sustained.ceiling(post.history, at: age, authorFollowers: post.authorFollowers, reshares: observed)))
            : -.infinity
        let change = lifecycle.change(post.key, holding: holding, of: settings.matcher.rules, time: stamp, previousTick: previousTick, rulesStableUntil: stable)
        // Firing now if a rule holds, else if it was and has not just resolved.
        post.firing = !holding.isEmpty || (post.firing && change?.reason != .resolved)
        if post.firing { nextFiringDue = min(nextFiringDue, lifecycle.lastQuietUntil) }
        guard let change else { return nil }
        let f = features ?? evaluationFeatures(&post, at: time, sustained: sustained, settings: settings)
        let span = max(0, age)
        var growth = (1...8).map { post.history.reshares(atOrBefore: span * Double($0) / 8) }
        growth[7] = max(growth[7], post.reshares)
        var snapshot = AlertNotification.PostSnapshot(
            reshares: f.reshares, predicted: f.predicted, supercritical: f.supercritical, velocityPerMin: f.velocityShort, reach: f.reach,
            author: f.author, url: f.url, excerpt: f.excerpt, complaint: f.complaint, unansweredFor: f.unansweredFor,
            authorFollowers: post.authorFollowers, createdAt: post.createdAt, replies: post.replies, likes: post.likes, growth: growth)
        snapshot.velocityWindow = settings.scoring.shortWindow
        snapshot.reachAssumed = f.reachAssumed
        snapshot.answerWatched = f.answerWatched
        // The conditions with the post's values, while a rule holds: the notified rule's, or
        // (a reminder for a rule that no longer holds) the most severe of those holding now.
        let rules = settings.matcher.rules
        let heldIndex = holding.first { rules[$0].name == change.rule }
            ?? holding.reduce(nil as Int?) { best, index in best.map { rules[index].severity > rules[$0].severity ? index : $0 } ?? index }
        let held = change.reason == .resolved ? nil : heldIndex.map { index in
            (rules[index].name == change.rule ? "" : "\(rules[index].name): ") + RuleMatcher.held(settings.matcher.conditions[index], f, volume: volume)
        }
        return AlertNotification(.post(post.key, snapshot), time: stamp, rule: change.rule, severity: change.severity, reason: change.reason,
                                 sinks: change.sinks, firedAt: change.since,
                                 why: f.why(authorFollowers: post.authorFollowers, nStar: nStar, maxBranching: settings.calibration.maxBranching),
                                 held: held, watching: settings.watching[post.key.source])
    }

    /// Features with SEISMIC's estimate. Its sums run over every share in the window, so an
    /// estimate is reused until the post has aged 1% more or gained 1% more reshares (and at
    /// least one). Early on that is every reshare; on a cascade of thousands, every few dozen.
    /// `sustained` is the sustained spread's reading at `time`, already taken for the bounds.
    private static func evaluationFeatures(_ post: inout PostState, at time: Double, sustained: SustainedSpread.Reading?,
                                           settings: Settings) -> PostFeatures {
        let t = time - post.createdAt
        let count = post.history.count
        let cache = post.cache
        if t >= cache.age, t - cache.age < max(1, 0.01 * t), count - cache.count < max(1, count / 100) {
            let estimate = cache.estimate(reshares: post.history.reshares(atOrBefore: t), nStar: settings.scoring.seismic.nStar)
            return settings.features(post, at: time, seismic: estimate, sustained: sustained)
        }
        let estimate = post.history.estimate(at: t, model: settings.scoring.seismic, kernel: settings.kernel, interval: false)
        post.cache = EstimateCache(estimate, age: t, count: count, history: post.history)
        return settings.features(post, at: time, seismic: estimate, sustained: sustained)
    }

    /// How long a post has gone unanswered (its age), nil when answered or when nobody looks
    /// for the brand's answers on its source.
    static func unanswered(_ post: PostState, for age: Double, settings: Settings) -> Double? {
        post.answeredAt == nil && settings.watchesAnswers(on: post.key.source) ? age : nil
    }

    /// Over capacity: the coldest 1% (by last activity) go, never a firing one.
    private mutating func evictColdest() {
        let excess = table.count - settings.maxPosts + max(1, settings.maxPosts / 100)
        let victims = table.slots.filter { !table[$0].firing }
            .sorted { (table[$0].lastActivity, table[$0].key) < (table[$1].lastActivity, table[$1].key) }.prefix(excess)
        remove(Array(victims))
    }

    /// Takes new rules and scoring settings (a config reload), keeping every post and alert.
    package mutating func reconfigure(_ settings: Settings, alerting: AlertingConfig) {
        self.settings = settings
        lifecycle.reconfigure(repeatInterval: alerting.repeatInterval, resolveAfter: alerting.resolveAfter, sinkNames: settings.sinkNames)
        // A new `cold_after` moves every post's bound; the next sweep recomputes it. New rules may
        // change any alert: the next tick evaluates them all.
        earliestCold = -Double.infinity
        lifecycle.wake()
        nextFiringDue = -Double.infinity
        // New unanswered thresholds apply to the open posts already seen.
        unansweredThresholds = Self.unansweredThresholds(settings.matcher)
        unansweredMinScore = Self.unansweredMinScore(settings.matcher)
        unansweredDue.removeAll()
        for slot in table.slots where table[slot].answeredAt == nil && table[slot].complaintScore >= unansweredMinScore {
            scheduleUnanswered(slot, hash: table[slot].key.stableHash)
        }
    }

    /// The posts with the most reshares, with their features at `time`, for `status`.
    package func hottest(_ limit: Int, at time: Double, readThrough: [String: Double] = [:]) -> [PostFeatures] {
        guard limit > 0 else { return [] }
        // One pass keeping the best `limit` in order: the watch asks every couple of seconds,
        // and sorting 100,000 posts each time cost more than the rest of its look.
        func before(_ a: Int, _ b: Int) -> Bool { (table[a].reshares, table[b].key) > (table[b].reshares, table[a].key) }
        var best: [Int] = []
        best.reserveCapacity(limit + 1)
        for slot in table.slots {
            if best.count == limit, let last = best.last, !before(slot, last) { continue }
            best.insert(slot, at: best.firstIndex { before(slot, $0) } ?? best.count)
            if best.count > limit { best.removeLast() }
        }
        return best.map { settings.features(table[$0], at: Self.time(time, of: table[$0].key.source, readThrough: readThrough)) }
    }

    /// Bytes held by tracked posts.
    package var approximateBytes: Int { table.slots.reduce(table.overheadBytes + unansweredDue.approximateBytes) { $0 + table[$1].approximateBytes } }
}

// The pure part of scoring a post, on `Settings` rather than on the shard: the shard calls these
// with a post borrowed from its table, and a method on the shard itself would make Swift copy
// the whole shard (every post's buffers retained and released) to lend out both at once.
extension ScoringShard.Settings {
    /// The features of a post at `time`, with SEISMIC computed afresh.
    func features(_ post: PostState, at time: Double) -> PostFeatures {
        features(post, at: time, seismic: post.history.estimate(at: time - post.createdAt, model: scoring.seismic, kernel: kernel))
    }

    func features(_ post: PostState, at time: Double, seismic: SeismicEstimate) -> PostFeatures {
        features(post, at: time, seismic: seismic,
                 sustained: calibration.sustained.reading(post.history, at: time - post.createdAt, authorFollowers: post.authorFollowers))
    }

    /// The features with the sustained spread's reading at `time` given.
    func features(_ post: PostState, at time: Double, seismic: SeismicEstimate, sustained: SustainedSpread.Reading?) -> PostFeatures {
        let calibrated = calibration.apply(seismic, age: time - post.createdAt, nStar: scoring.seismic.nStar, counts: post.mode == .counts)
        // The larger half (no array: this runs for every post the rules look at).
        let predicted = sustained.map { max($0.predicted, calibrated.predicted ?? $0.predicted) } ?? calibrated.predicted
        var f = features(post, at: time, seismic: seismic, predicted: predicted, supercritical: calibrated.supercritical)
        f.seismicPredicted = calibrated.predicted
        f.sustained = sustained
        return f
    }

    func features(_ post: PostState, at time: Double, seismic: SeismicEstimate, predicted: Double?, supercritical: Bool) -> PostFeatures {
        let key = post.key
        let t = time - post.createdAt
        let sharedByNow = post.history.reshares(atOrBefore: t)
        func velocity(_ window: Double) -> Double {
            let span = min(window, max(t, 60))
            let recent = sharedByNow - post.history.reshares(atOrBefore: t - span)
            return Double(recent) / (span / 60)
        }
        let short = velocity(scoring.shortWindow), long = velocity(scoring.longWindow)
        let reach = (post.authorFollowers ?? 0) + post.resharerFollowers
        var f = PostFeatures(
            key: key, time: time, age: t, mode: post.mode, reshares: post.reshares, replies: post.replies, likes: post.likes,
            velocityShort: short, velocityLong: long, acceleration: long > 0 ? short / long : (short > 0 ? .infinity : 0),
            reach: reach, seismic: seismic, predicted: predicted, supercritical: supercritical,
            complaint: post.complaintScore > 0, complaintScore: post.complaintScore,
            unansweredFor: ScoringShard.unanswered(post, for: t, settings: self), author: post.author, url: post.url, excerpt: post.excerpt, counters: post.counters)
        // Counted only, and first counted after the answer: how its reshares fell either side of
        // the answer is the even spread's guess (the same pace before and since), not news.
        if let answeredAt = post.answeredAt, post.mode == .events || post.counters.samples.first.map({ $0.time <= answeredAt }) == true {
            f.afterAnswer = AfterAnswer(post.history, answeredAt: answeredAt - post.createdAt, age: t)
        }
        f.answerWatched = watchesAnswers(on: post.key.source)
        f.reachAssumed = post.reachAssumed
        return f
    }

    /// Until when, with nothing new observed about the post, the rules in `holding` are sure to
    /// be the ones that hold: time alone changes only some conditions, and those at times known
    /// now. −∞ when a condition may change at any tick.
    ///
    /// A rule that holds may stop: on velocity as its reshares leave the window, on a source's
    /// volume at any tick, on `max_age` when the post grows too old. A rule that does not hold
    /// may start only if nothing it fails on stays failing: reshares, reach and the complaint do
    /// not move, velocity only falls, age only grows, and a prediction under the threshold by its
    /// ceiling stays under (the ceiling only falls with age). What is left is crossing an
    /// unanswered threshold, at a known time, and a source's volume, at any tick. The caller
    /// passes only outcomes the bounds decided: a prediction SEISMIC had to compute may change
    /// as the post ages.
    /// - Parameters:
    ///   - rough: the post's features without SEISMIC, as the rules were judged on.
    ///   - ceiling: the most its calibrated prediction can be.
    ///   - floor: the least its prediction is now (the reshares, or the sustained spread's).
    func stableUntil(_ post: PostState, rough: PostFeatures, at time: Double, holding: RuleSet, floor: Double, ceiling: Double) -> Double {
        var until = Double.infinity
        let age = time - post.createdAt
        for index in matcher.conditions.indices where !matcher.isVolume[index] && matcher.applies(index, to: post.key.source) {
            let when = matcher.conditions[index]
            // Rates before and since the answer move with time alone.
            if when.spreadingAfterAnswer != nil, post.answeredAt != nil, when.maxAge.map({ age <= $0 }) ?? true { return -.infinity }
            if holding.contains(index) {
                if when.velocityPerMinAtLeast != nil || when.volumeSpikeRatioAtLeast != nil || when.volumeSpikeZAtLeast != nil { return -.infinity }
                // Held on the sustained spread, not on reshares already past it: that falls as the window empties.
                if let threshold = when.predictedResharesAtLeast, Double(rough.reshares) < threshold { return -.infinity }
                if let maxAge = when.maxAge { until = min(until, post.createdAt + maxAge) }
                continue
            }
            if let n = when.minReshares, rough.reshares < n { continue }
            if let complaint = when.complaint, rough.complaint != complaint { continue }
            if let score = when.complaintScoreAtLeast, rough.complaintScore < score { continue }
            if let maxAge = when.maxAge, age > maxAge { continue }
            if let reach = when.reachAtLeast, rough.reach < reach { continue }
            if let velocity = when.velocityPerMinAtLeast, rough.velocityShort < velocity { continue }
            if let threshold = when.predictedResharesAtLeast, floor < threshold {
                if ceiling < threshold { continue }
                // Under it now, but the sustained spread may rise to it with time alone (the span
                // reaching its least, the parts shifting until they are even).
                return -.infinity
            }
            if let threshold = when.unansweredForAtLeast {
                guard post.answeredAt == nil else { continue }
                if age < threshold { until = min(until, post.createdAt + threshold) }
            }
            if when.volumeSpikeRatioAtLeast != nil || when.volumeSpikeZAtLeast != nil { return -.infinity }
        }
        return until
    }
}
