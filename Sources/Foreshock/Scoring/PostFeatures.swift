/// What the rules read about a post at one time. Computed, never stored.
public struct PostFeatures: Sendable, Equatable {
    public var key: PostKey
    public var time: Double
    public var age: Double
    public var mode: PostState.Mode
    public var reshares: Int
    public var replies: Int?
    public var likes: Int?
    /// Reshares per minute over the short and the long window.
    public var velocityShort: Double
    public var velocityLong: Double
    /// Short over long velocity: above 1 while spreading speeds up.
    public var acceleration: Double
    /// Followers of the author and of every resharer seen.
    public var reach: Double
    public var seismic: SeismicEstimate
    /// The calibrated prediction rules use; nil when supercritical (or unknown): the larger of
    /// SEISMIC's calibrated one and the sustained spread's.
    public var predicted: Double?
    /// SEISMIC's part of it, calibrated.
    public var seismicPredicted: Double?
    /// What the sustained-spread part read; nil when it had nothing to read.
    public var sustained: SustainedSpread.Reading?
    public var supercritical: Bool
    public var complaint: Bool
    public var complaintScore: Int
    /// Seconds since the post with no reply from the brand; nil once it answered.
    public var unansweredFor: Double?
    public var author: String?
    public var url: String?
    public var excerpt: String?
    /// The polled counters over time (counts mode, or counters polled beside the reshares).
    public var counters = CounterSeries()
}
