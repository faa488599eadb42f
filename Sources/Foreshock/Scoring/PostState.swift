/// Everything the scoring core keeps about one tracked post.
public struct PostState: Sendable {
    public enum Mode: String, Sendable {
        /// Each reshare seen with its time (and resharer's followers when known).
        case events
        /// Only counters polled now and then; reshares are spread evenly between polls.
        case counts
    }

    public let key: PostKey
    public var createdAt: Double
    public var author: String?
    public var authorFollowers: Double?
    public var url: String?
    /// The start of the text, for notifications.
    public var excerpt: String?
    public var complaintScore = 0
    public var mode: Mode = .counts
    public var history: ShareHistory
    public var resharerFollowers = 0.0
    public var replies: Int?
    public var likes: Int?
    public var quotes: Int?
    /// The reshare counter as last polled (counts mode).
    public var polledReshares: Int?
    public var lastCountsTime: Double?
    public var answeredAt: Double?
    public var lastActivity: Double
    /// The last SEISMIC estimate, reused while it is fresh enough (see `ScoringShard.features`).
    var cachedEstimate: SeismicEstimate?
    var cachedAge = 0.0
    var cachedCount = 0
    /// Whether an alert for the post is firing, kept in step by `ScoringShard.evaluate` so that a
    /// post no rule can hold is passed over without a lookup in the lifecycle.
    var firing = false
    /// Whether a `post` observation was seen (else the post is known only from reshares or counts).
    public var seenPost = false

    public init(key: PostKey, createdAt: Double, followersCap: Double = .infinity) {
        self.key = key
        self.createdAt = createdAt
        self.history = ShareHistory(originalFollowers: 0)
        history.followersCap = followersCap
        self.lastActivity = createdAt
    }

    public var reshares: Int { max(history.count, polledReshares ?? 0) }

    /// Bytes held, for the benchmark's memory figure.
    public var approximateBytes: Int {
        MemoryLayout<PostState>.stride + history.approximateBytes + key.id.utf8.count + key.source.utf8.count
            + (author?.utf8.count ?? 0) + (url?.utf8.count ?? 0) + (excerpt?.utf8.count ?? 0)
    }
}
