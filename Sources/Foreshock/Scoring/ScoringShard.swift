import Foundation

/// The posts of one shard and their alerts. Not thread-safe by itself: the engine confines each
/// shard to its own serial queue, so no lock is taken on the hot path.
public struct ScoringShard: Sendable {
    public struct Settings: Sendable {
        public var scoring: ScoringConfig
        public var calibration: Calibration
        public var matcher: RuleMatcher
        public var kernel: SeismicKernel
        public var lexicon: ComplaintLexicon
        public var maxPosts: Int
    }

    /// One observation with what the engine knew of its source when it arrived.
    public struct Item: Sendable {
        public var observation: Observation
        public var volumeRatio: Double
        public var typicalFollowers: Double
    }

    var settings: Settings
    public private(set) var posts: [PostKey: PostState] = [:]
    public private(set) var lifecycle: AlertLifecycle
    /// Volume ratio last seen per source, for ticks.
    private var volume: [String: Double] = [:]
    /// Posts the brand has not answered: candidates for `unanswered_for_at_least` on a tick.
    private var unanswered = Set<PostKey>()
    private var nextColdSweep = -Double.infinity

    public init(settings: Settings, alerting: AlertingConfig) {
        self.settings = settings
        self.lifecycle = AlertLifecycle(repeatInterval: alerting.repeatInterval, resolveAfter: alerting.resolveAfter)
    }

    /// Applies observations in order, evaluating the rules after each.
    public mutating func ingest(_ items: [Item]) -> [AlertNotification] {
        var out: [AlertNotification] = []
        for item in items {
            volume[item.observation.key.source] = item.volumeRatio
            guard let index = apply(item) else { continue }
            if let note = evaluate(item.observation.key, index, at: item.observation.time) { out.append(note) }
        }
        if posts.count > settings.maxPosts { evictColdest() }
        return out
    }

    /// Re-evaluates the posts whose alerts may change with time alone, and evicts cold posts.
    public mutating func tick(_ time: Double) -> [AlertNotification] {
        var out: [AlertNotification] = []
        // Between observations only time moves: alerts firing may repeat or resolve, and
        // "unanswered for" may start to hold. Other posts cannot start an alert on a tick, so
        // the tick costs what is firing, not what is tracked.
        var due = Array(lifecycle.firing.keys)
        if settings.matcher.rules.contains(where: { $0.when.unansweredForAtLeast != nil }) {
            due += unanswered.filter { lifecycle.firing[$0] == nil }
        }
        for key in due.sorted() {
            if let index = posts.index(forKey: key), let note = evaluate(key, index, at: time) { out.append(note) }
        }
        // Cold posts go in a sweep over everything, so it runs only every 1/48 of the horizon.
        if time >= nextColdSweep {
            nextColdSweep = time + settings.scoring.coldAfter / 48
            var cold: [PostKey] = []
            for (key, post) in posts where time - post.lastActivity > settings.scoring.coldAfter && lifecycle.firing[key] == nil {
                cold.append(key)
            }
            for key in cold { remove(key) }
        }
        return out
    }

    private mutating func remove(_ key: PostKey) {
        posts[key] = nil
        unanswered.remove(key)
    }

    /// - Returns: where the post is in `posts`, valid until the next insertion or removal.
    private mutating func apply(_ item: Item) -> Dictionary<PostKey, PostState>.Index? {
        let observation = item.observation
        let key = observation.key
        var index = posts.index(forKey: key)
        if case .answer = observation {
            guard index != nil else { return nil }
            unanswered.remove(key)
        } else if index == nil {
            if posts.isEmpty { posts.reserveCapacity(min(settings.maxPosts, 1 << 12)) }
            posts[key] = PostState(key: key, createdAt: observation.time, followersCap: settings.calibration.resharerFollowersCap)
            unanswered.insert(key)
            index = posts.index(forKey: key)
        }
        guard let index else { return nil }
        // Mutated in place: a copy taken out of the dictionary would share the history's
        // buffers, and the next append would copy every reshare the post has.
        Self.apply(observation, item: item, to: &posts.values[index], settings: settings)
        return index
    }

    private static func apply(_ observation: Observation, item: Item, to post: inout PostState, settings: Settings) {
        let time = observation.time
        switch observation {
        case .post(_, _, let createdAt, let author, let followers, let text, let url):
            post.createdAt = createdAt
            post.author = author ?? post.author
            post.authorFollowers = followers ?? post.authorFollowers
            post.history.originalFollowers = followers ?? item.typicalFollowers
            post.url = url ?? post.url
            if let text {
                post.excerpt = text.count > 280 ? String(text.prefix(279)) + "…" : text
                post.complaintScore = settings.lexicon.score(text)
            }
            post.seenPost = true
            post.lastActivity = max(post.lastActivity, time)
        case .reshare(_, _, _, let followers):
            // Switching to events: what was estimated from counters stays; new reshares are exact.
            post.mode = .events
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
                if post.mode == .counts {
                    spread(&post, to: reshares, at: time, followers: item.typicalFollowers, settings: settings)
                }
                if reshares > (post.polledReshares ?? 0) { post.lastActivity = max(post.lastActivity, time) }
                post.polledReshares = max(post.polledReshares ?? 0, reshares)
            }
            post.lastCountsTime = time
        case .answer:
            post.answeredAt = min(post.answeredAt ?? time, time)
        }
    }

    /// Counts mode: new reshares since the last poll, spread evenly over the interval.
    private static func spread(_ post: inout PostState, to total: Int, at time: Double, followers: Double, settings: Settings) {
        let new = total - post.history.count
        guard new > 0 else { return }
        let from = max(post.lastCountsTime ?? post.createdAt, post.createdAt) - post.createdAt
        let to = time - post.createdAt
        post.history.spread(new, from: from, to: to, followers: followers)
        post.resharerFollowers += followers * Double(new)
        compact(&post, now: time, settings: settings)
    }

    private static func compact(_ post: inout PostState, now: Double, settings: Settings) {
        guard post.history.count % 64 == 0 else { return }
        // Shares older than any window SEISMIC or the velocities may still look at go into bins.
        let age = now - post.createdAt
        let model = settings.scoring.seismic
        let window = min(max(age / 2, model.minWindow), model.maxWindow)
        post.history.compact(now: age, maxWindow: max(window * 1.1 + 60, settings.scoring.longWindow))
    }

    /// The features of a post at `time`, with SEISMIC computed afresh.
    public func features(_ key: PostKey, at time: Double) -> PostFeatures? {
        guard let post = posts[key] else { return nil }
        let t = time - post.createdAt
        return features(post, at: time, seismic: post.history.estimate(at: t, model: settings.scoring.seismic, kernel: settings.kernel))
    }

    /// Features for rule evaluation: SEISMIC's sums run over every share in the window, so an
    /// estimate is reused until the post has aged 1% more or gained 1% more reshares (and at
    /// least one). Early on that is every reshare; on a cascade of thousands, every few dozen.
    private mutating func evaluationFeatures(_ index: Dictionary<PostKey, PostState>.Index, at time: Double) -> PostFeatures {
        let post = posts.values[index]
        let t = time - post.createdAt
        let count = post.history.count
        if let cached = post.cachedEstimate, t >= post.cachedAge, t - post.cachedAge < max(1, 0.01 * t),
           count - post.cachedCount < max(1, count / 100) {
            var estimate = cached
            estimate.reshares = post.history.reshares(atOrBefore: t)
            return features(post, at: time, seismic: estimate)
        }
        let estimate = post.history.estimate(at: t, model: settings.scoring.seismic, kernel: settings.kernel, interval: false)
        posts.values[index].cachedEstimate = estimate
        posts.values[index].cachedAge = t
        posts.values[index].cachedCount = count
        return features(post, at: time, seismic: estimate)
    }

    private func features(_ post: PostState, at time: Double, seismic: SeismicEstimate) -> PostFeatures {
        let key = post.key
        let t = time - post.createdAt
        let scoring = settings.scoring
        let calibrated = settings.calibration.apply(seismic, age: t, nStar: scoring.seismic.nStar, counts: post.mode == .counts)
        func velocity(_ window: Double) -> Double {
            let span = min(window, max(t, 60))
            let recent = post.history.reshares(atOrBefore: t) - post.history.reshares(atOrBefore: t - span)
            return Double(recent) / (span / 60)
        }
        let short = velocity(scoring.shortWindow), long = velocity(scoring.longWindow)
        let reach = (post.authorFollowers ?? 0) + post.resharerFollowers
        return PostFeatures(
            key: key, time: time, age: t, mode: post.mode, reshares: post.reshares, replies: post.replies, likes: post.likes,
            velocityShort: short, velocityLong: long, acceleration: long > 0 ? short / long : (short > 0 ? .infinity : 0),
            reach: reach, seismic: seismic, predicted: calibrated.predicted, supercritical: calibrated.supercritical,
            complaint: post.complaintScore > 0, complaintScore: post.complaintScore,
            unansweredFor: post.answeredAt == nil ? t : nil, author: post.author, url: post.url, excerpt: post.excerpt)
    }

    private mutating func evaluate(_ key: PostKey, _ index: Dictionary<PostKey, PostState>.Index, at time: Double) -> AlertNotification? {
        let ratio = volume[key.source] ?? 0
        if !posts.values[index].firing {
            let post = posts.values[index]
            let cheap = RuleMatcher.Cheap(source: key.source, reshares: post.reshares, age: time - post.createdAt, complaint: post.complaintScore > 0,
                                          unansweredFor: post.answeredAt == nil ? time - post.createdAt : nil, volumeRatio: ratio)
            guard settings.matcher.mayHold(cheap) else { return nil }
        }
        let features = evaluationFeatures(index, at: time)
        let holding = settings.matcher.holding(features, volumeRatio: ratio)
        let firedAt = lifecycle.firing[key]?.since
        let note = lifecycle.update(key, holding: holding, time: time, make: { rule, severity, sinks, reason in
            AlertNotification(key: key, isVolume: false, time: time, rule: rule, severity: severity, state: reason == .resolved ? .resolved : .firing,
                              reason: reason, sinks: sinks, reshares: features.reshares, predicted: features.predicted,
                              supercritical: features.supercritical, velocityPerMin: features.velocityShort, reach: features.reach,
                              volumeRatio: nil, author: features.author, url: features.url, excerpt: features.excerpt,
                              complaint: features.complaint, unansweredFor: features.unansweredFor)
        })
        posts.values[index].firing = lifecycle.firing[key] != nil
        guard var note else { return nil }
        let post = posts.values[index]
        note.authorFollowers = post.authorFollowers
        note.createdAt = post.createdAt
        note.replies = post.replies
        note.likes = post.likes
        let age = max(0, time - post.createdAt)
        note.growth = (1...8).map { post.history.reshares(atOrBefore: age * Double($0) / 8) }
        note.growth[7] = max(note.growth[7], post.reshares)
        note.firedAt = lifecycle.firing[key]?.since ?? firedAt ?? time
        return note
    }

    /// Over capacity: the coldest 1% (by last activity) go, never a firing one.
    private mutating func evictColdest() {
        let excess = posts.count - settings.maxPosts + max(1, settings.maxPosts / 100)
        let victims = posts.filter { lifecycle.firing[$0.key] == nil }
            .sorted { ($0.value.lastActivity, $0.key) < ($1.value.lastActivity, $1.key) }.prefix(excess).map(\.key)
        for key in victims { remove(key) }
    }

    /// Takes new rules and scoring settings (a config reload), keeping every post and alert.
    public mutating func reconfigure(_ settings: Settings, alerting: AlertingConfig) {
        self.settings = settings
        lifecycle.reconfigure(repeatInterval: alerting.repeatInterval, resolveAfter: alerting.resolveAfter)
        nextColdSweep = -Double.infinity
    }

    /// The posts with the most reshares, with their features at `time`, for `status`.
    public func hottest(_ limit: Int, at time: Double) -> [PostFeatures] {
        posts.values.sorted { ($0.reshares, $1.key) > ($1.reshares, $0.key) }.prefix(limit).compactMap { features($0.key, at: time) }
    }

    /// Bytes held by tracked posts.
    public var approximateBytes: Int { posts.values.reduce(0) { $0 + $1.approximateBytes } }
}
