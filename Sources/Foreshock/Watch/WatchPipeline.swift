import Foundation

/// Feed → observation → scoring → notification, for the live watch: one actor so the scoring
/// core sees one batch at a time, whichever source's poll finished first.
public actor WatchPipeline {
    private let engine: ScoringEngine
    private let pollers: [String: FeedPoller]
    private let deliver: @Sendable ([AlertNotification]) async -> Void
    private let record: (@Sendable ([Observation]) -> Void)?
    /// Recent posts per source with reshares, to re-poll their counters.
    private var recent: [String: [String: (createdAt: Double, reshares: Int, resharersFetched: Bool)]] = [:]
    static let followFor: Double = 6 * 3600
    static let followAtMost = 200

    public init(config: Config, pollers: [FeedPoller], record: (@Sendable ([Observation]) -> Void)? = nil,
                deliver: @escaping @Sendable ([AlertNotification]) async -> Void) {
        engine = ScoringEngine(config: config)
        self.pollers = Dictionary(pollers.map { ($0.source.name, $0) }, uniquingKeysWith: { a, _ in a })
        self.record = record
        self.deliver = deliver
    }

    /// Scores one poll's findings, then spends the source's call budget on the posts that need
    /// it: resharers of posts heating up, fresh counters of recent ones.
    public func handle(_ outcome: PollOutcome) async {
        await ingest(MentionObservations.from(outcome))
        guard let poller = pollers[outcome.source] else { return }
        let now = outcome.observedAt.timeIntervalSince1970
        var follow = recent[outcome.source] ?? [:]
        for mention in outcome.mentions where mention.reshareOf == nil {
            follow[mention.id] = (mention.createdDate?.timeIntervalSince1970 ?? now, mention.reshares ?? 0, false)
        }
        follow = follow.filter { now - $0.value.createdAt < Self.followFor }
        if follow.count > Self.followAtMost {
            follow = Dictionary(uniqueKeysWithValues: follow.sorted { $0.value.createdAt > $1.value.createdAt }.prefix(Self.followAtMost).map { ($0.key, $0.value) })
        }
        let threshold = poller.source.fetchResharersAt
        for (id, post) in follow.sorted(by: { $0.value.reshares > $1.value.reshares }) {
            guard let threshold, post.reshares >= threshold else { break }
            guard let sightings = await poller.resharers(of: id, postedAt: Date(timeIntervalSince1970: post.createdAt)) else { break }
            follow[id]?.resharersFetched = true
            await ingest(sightings.map { .reshare(key: PostKey(source: outcome.source, id: $0.postID), time: $0.at.timeIntervalSince1970, user: $0.account, followers: $0.followers.map(Double.init)) })
        }
        let stale = follow.filter { $0.value.reshares > 0 || now - $0.value.createdAt < 3600 }.map(\.key).sorted()
        if !stale.isEmpty {
            let refreshed = await poller.refresh(stale)
            let time = Date().timeIntervalSince1970
            for mention in refreshed.mentions {
                if let reshares = mention.reshares { follow[mention.id]?.reshares = reshares }
            }
            await ingest(refreshed.mentions.map { .counts(key: PostKey(source: outcome.source, id: $0.id), time: time, reshares: $0.reshares, replies: $0.replies, likes: $0.likes, quotes: $0.quotes) })
        }
        recent[outcome.source] = follow
    }

    /// Evaluates every post at the wall-clock time, so time-based rules fire when nothing arrives.
    public func tick(_ time: Date) async {
        let notes = engine.tick(time.timeIntervalSince1970)
        if !notes.isEmpty { await deliver(notes) }
    }

    private func ingest(_ observations: [Observation]) async {
        guard !observations.isEmpty else { return }
        record?(observations)
        let notes = engine.ingest(observations)
        if !notes.isEmpty { await deliver(notes) }
    }
}
