import ForeshockSupport

/// Everything the scoring core keeps about one tracked post.
///
/// Kept compact: a shard holds up to `max_tracked_posts` of these (in `PostTable`'s chunks), and
/// every observation touches one at random, so its size is what ingest pays in cache misses and,
/// as the table fills, in fresh pages. Optional numbers are stored as NaN or a negative count
/// behind the optional properties, and the cached SEISMIC estimate as the four numbers the
/// calibrated prediction reads.
package struct PostState: Sendable {
    package enum Mode: String, Sendable {
        /// Each reshare seen with its time (and resharer's followers when known).
        case events
        /// Only counters polled now and then; reshares are spread evenly between polls.
        case counts
    }

    package let key: PostKey
    package var createdAt: Double
    package var lastActivity: Double
    package var history: ShareHistory
    package var resharerFollowers = 0.0
    /// Of `resharerFollowers`, the audience assumed for the `estimated` reshares: a resharer
    /// seen later takes its share out (the source's typical audience may have moved since).
    package var estimatedAudience = 0.0
    /// What a notification quotes; nil until a post line said any of it.
    private var quoted: Quoted?
    @NaNForNone package var authorFollowers: Double? = nil
    /// When the counters were last polled (counts mode).
    @NaNForNone package var lastCountsTime: Double? = nil
    @NaNForNone package var answeredAt: Double? = nil
    private var storedReplies: Int32 = -1
    private var storedLikes: Int32 = -1
    private var storedQuotes: Int32 = -1
    private var storedPolledReshares: Int32 = -1
    private var storedComplaintScore: Int32 = 0
    /// Reshares in the history known only from a counter, whose resharers have not been seen
    /// since: a reshare seen later (a resharer list fetched, a listing's retweet) is one of
    /// them, not one more. (Beside the other counters: it fills their padding.)
    private var storedEstimated: Int32 = 0
    /// The polled counters over time, compact (see `CounterSeries`).
    package var counters = CounterSeries()
    /// The last SEISMIC estimate, reused while it is fresh enough (see `ScoringShard.evaluate`).
    var cache = EstimateCache()
    package var mode: Mode = .counts
    /// Whether an alert for the post is firing, kept in step by `ScoringShard.evaluate` so that a
    /// post no rule can hold is passed over without a lookup in the lifecycle.
    var firing = false
    /// Whether a `post` observation was seen (else the post is known only from reshares or counts).
    package var seenPost = false
    /// Resharers seen in a counter's place without a follower count (a look-up out of budget):
    /// their audience in the reach stays the one assumed. (After the flags: their padding.)
    private var storedAssumedSeen: Int32 = 0

    package init(key: PostKey, createdAt: Double, followersCap: Double = .infinity) {
        self.key = key
        self.createdAt = createdAt
        self.history = ShareHistory(originalFollowers: 0)
        history.followersCap = followersCap
        self.lastActivity = createdAt
    }

    /// A sum of fields no more than a cache line apart, from the first to the last: reading it
    /// brings the whole state into the cache (see `ScoringShard.ingest`). Nothing means anything
    /// by its value.
    var everyLine: Double {
        Double(key.source.utf8.count) + createdAt + history.start + resharerFollowers + Double(storedReplies) + cache.age + cache.authorFollowers
            + Double(storedAssumedSeen)
    }

    /// Where `everyLine` reads, and how many bytes: each 64-byte line of the state must hold one
    /// (`PostTableTests.everyLineCoversTheState` holds it to that as fields come and go).
    static var everyLineReads: [(offset: Int, bytes: Int)] {
        let history = MemoryLayout<PostState>.offset(of: \PostState.history)!, cache = MemoryLayout<PostState>.offset(of: \PostState.cache)!
        return [
            (MemoryLayout<PostState>.offset(of: \PostState.key)!, 16), (MemoryLayout<PostState>.offset(of: \PostState.createdAt)!, 8),
            (history + MemoryLayout<ShareHistory>.offset(of: \ShareHistory.start)!, 8), (MemoryLayout<PostState>.offset(of: \PostState.resharerFollowers)!, 8),
            (MemoryLayout<PostState>.offset(of: \PostState.storedReplies)!, 4), (cache + MemoryLayout<EstimateCache>.offset(of: \EstimateCache.age)!, 8),
            (cache + MemoryLayout<EstimateCache>.offset(of: \EstimateCache.authorFollowers)!, 8),
            (MemoryLayout<PostState>.offset(of: \PostState.storedAssumedSeen)!, 4),
        ]
    }

    package var author: String? { quoted?.author }
    package var url: String? { quoted?.url }
    /// The start of the text, for notifications.
    package var excerpt: String? { quoted?.excerpt }

    /// Sets what a notification quotes of the post; a nil keeps what was there.
    package mutating func quote(author: String?, url: String?, excerpt: String?) {
        guard author != nil || url != nil || excerpt != nil else { return }
        quoted = Quoted(author: author ?? self.author, url: url ?? self.url, excerpt: excerpt ?? self.excerpt)
    }

    package var replies: Int? {
        get { Self.count(storedReplies) }
        set { storedReplies = Self.stored(newValue) }
    }

    package var likes: Int? {
        get { Self.count(storedLikes) }
        set { storedLikes = Self.stored(newValue) }
    }

    package var quotes: Int? {
        get { Self.count(storedQuotes) }
        set { storedQuotes = Self.stored(newValue) }
    }

    /// The reshare counter as last polled (counts mode).
    package var polledReshares: Int? {
        get { Self.count(storedPolledReshares) }
        set { storedPolledReshares = Self.stored(newValue) }
    }

    package var estimated: Int {
        get { Int(storedEstimated) }
        set { storedEstimated = Int32(clamping: max(0, newValue)) }
    }

    package var assumedSeen: Int {
        get { Int(storedAssumedSeen) }
        set { storedAssumedSeen = Int32(clamping: max(0, newValue)) }
    }

    /// Of the reshares, those whose audience in the reach is assumed: the counter's not seen
    /// since, and those seen without a follower count in their place.
    package var reachAssumed: Int { estimated + assumedSeen }

    package var complaintScore: Int {
        get { Int(storedComplaintScore) }
        set { storedComplaintScore = Int32(clamping: newValue) }
    }

    /// The counter as it is now, where the API gives one: a Reddit post voted down, or a
    /// retweet taken back, has fewer than it had, whether or not its resharers were fetched, and
    /// a rule on reshares (an unanswered complaint's ten) stops holding, so its alert resolves.
    /// The spread the model reads keeps what the counter reached: those reshares happened, and a
    /// counter ahead of the reshares seen is spread into it (`ScoringShard.spread`). Without a
    /// counter, the reshares seen.
    package var reshares: Int { polledReshares ?? history.count }

    private static func count(_ stored: Int32) -> Int? { stored < 0 ? nil : Int(stored) }
    /// A counter past two billion is held at two billion (no post has come near).
    private static func stored(_ value: Int?) -> Int32 { value.map { Int32(clamping: max(0, $0)) } ?? -1 }

    /// Bytes held, for the benchmark's memory figure.
    package var approximateBytes: Int {
        MemoryLayout<PostState>.stride + history.approximateBytes + counters.approximateBytes + key.id.utf8.count + key.source.utf8.count
            + (quoted == nil ? 0 : Quoted.bytes) + (author?.utf8.count ?? 0) + (url?.utf8.count ?? 0) + (excerpt?.utf8.count ?? 0)
    }
}

/// The author, link and start of a post's text: read only when a notification goes out, so kept
/// behind one reference rather than in the 48 bytes of three strings inline, in the cache lines
/// every observation of the post reads. Immutable, so a copied `PostState` shares it safely.
private final class Quoted: Sendable {
    let author: String?
    let url: String?
    let excerpt: String?
    /// An object's header and its three strings.
    static let bytes = 16 + 3 * MemoryLayout<String?>.stride

    init(author: String?, url: String?, excerpt: String?) {
        self.author = author
        self.url = url
        self.excerpt = excerpt
    }
}

/// What the calibrated prediction reads of a SEISMIC estimate, and when it was made: enough to
/// rebuild the estimate while the post has not moved on.
struct EstimateCache: Sendable {
    /// Seconds after the post when it was made; −∞ when there is none.
    var age = -Double.infinity
    /// Reshares in the history then.
    var count = 0
    /// p̂, NaN when SEISMIC had nothing to estimate from.
    var infectiousness = Double.nan
    var remaining = 0.0
    var capped = 0.0
    var author = 0.0
    /// `ShareHistory.cappedFollowers` and the author's followers then, for `ceiling`.
    var cappedFollowers = 0.0
    var authorFollowers = 0.0

    init() {}

    init(_ estimate: SeismicEstimate, age: Double, count: Int, history: ShareHistory) {
        self.age = age
        self.count = count
        infectiousness = estimate.infectiousness ?? .nan
        remaining = estimate.remainingExposure
        capped = estimate.cappedRemainingExposure
        author = estimate.authorRemainingExposure
        cappedFollowers = history.cappedFollowers
        authorFollowers = history.originalFollowers
    }

    /// The most the calibrated prediction can be at `age` (no earlier than this estimate's),
    /// far tighter than `Calibration.ceiling` once audiences have been reached: the author's
    /// audience still to reach only shrinks with time, and the resharers' grows by at most the
    /// capped followers of those who reshared since. nil when that does not hold (no estimate,
    /// an earlier time, or the author's followers changed).
    func ceiling(reshares: Int, history: ShareHistory, age: Double, calibration: Calibration, nStar: Double, counts: Bool) -> Double? {
        guard age >= self.age, self.age > -.infinity, history.originalFollowers == authorFollowers else { return nil }
        let resharers = max(0, capped - author) + max(0, history.cappedFollowers - cappedFollowers)
        return calibration.ceiling(reshares: reshares, author: author, resharers: resharers, age: age, nStar: nStar, counts: counts)
    }

    /// The estimate again, with `reshares` as they are now (the interval is not kept).
    func estimate(reshares: Int, nStar: Double) -> SeismicEstimate {
        var estimate = SeismicEstimate(reshares: reshares)
        guard !infectiousness.isNaN else { return estimate }
        estimate.infectiousness = infectiousness
        estimate.remainingExposure = remaining
        estimate.cappedRemainingExposure = capped
        estimate.authorRemainingExposure = author
        estimate.supercritical = infectiousness * nStar >= 1
        estimate.predicted = estimate.prediction(at: infectiousness, nStar: nStar)
        return estimate
    }
}
