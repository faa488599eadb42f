/// How urgent an alert is.
public enum Severity: String, Sendable, CaseIterable, Comparable, Codable {
    case warning, critical

    public static func < (lhs: Severity, rhs: Severity) -> Bool {
        lhs == .warning && rhs == .critical
    }
}

/// The conditions of a rule; all that are given must hold.
public struct RuleConditions: Sendable, Equatable {
    public var minReshares: Int?
    public var velocityPerMinAtLeast: Double?
    public var reachAtLeast: Double?
    public var predictedResharesAtLeast: Double?
    public var volumeSpikeRatioAtLeast: Double?
    /// The same in standard deviations above the baseline.
    public var volumeSpikeZAtLeast: Double?
    public var complaint: Bool?
    /// The complaint score: complaint terms in the text, doubled when it names the brand.
    public var complaintScoreAtLeast: Int?
    /// Seconds: only posts younger than this.
    public var maxAge: Double?
    /// Seconds: the brand has not replied this long after the post.
    public var unansweredForAtLeast: Double?
    /// The brand answered and the post spreads as fast or faster since (see
    /// `PostFeatures.afterAnswer`): the answer that made it worse.
    public var spreadingAfterAnswer: Bool?

    public init() {}

    /// Whether the rule is about the brand's answer, so needs the brand's accounts to mean anything.
    var readsAnswer: Bool { unansweredForAtLeast != nil || spreadingAfterAnswer != nil }

    var isEmpty: Bool { self == RuleConditions() }
}

/// When to alert: `rules[]` in the config.
public struct RuleConfig: Sendable {
    public var name: String
    public var severity: Severity
    /// Sink names; empty means every sink.
    public var sinks: [String]
    /// Source names; nil means every source.
    public var sources: [String]?
    public var when: RuleConditions

    public init(name: String, severity: Severity, sinks: [String] = [], sources: [String]? = nil, when: RuleConditions) {
        self.name = name
        self.severity = severity
        self.sinks = sinks
        self.sources = sources
        self.when = when
    }

    static func read(_ object: ObjectReader, reader: ConfigReader) -> RuleConfig? {
        let name = object.string("name", required: true)
        let severity = object.choice("severity", Severity.self, required: true)
        let sinks = object.strings("sinks") ?? []
        let sources = object.strings("sources", nonEmpty: true)
        var when = RuleConditions()
        if let conditions = object.object("when", required: true) {
            when.minReshares = conditions.int("min_reshares", min: 0)
            when.velocityPerMinAtLeast = conditions.double("velocity_per_min_at_least", min: 0)
            when.reachAtLeast = conditions.double("reach_at_least", min: 0)
            when.predictedResharesAtLeast = conditions.double("predicted_reshares_at_least", min: 0)
            when.volumeSpikeRatioAtLeast = conditions.double("volume_spike_ratio_at_least", min: 0)
            when.volumeSpikeZAtLeast = conditions.double("volume_spike_z_at_least", min: 0)
            when.complaint = conditions.bool("complaint")
            when.complaintScoreAtLeast = conditions.int("complaint_score_at_least", min: 1)
            when.maxAge = conditions.duration("max_age", min: 1)
            when.unansweredForAtLeast = conditions.duration("unanswered_for_at_least")
            when.spreadingAfterAnswer = conditions.bool("spreading_after_answer")
            conditions.finish()
            if conditions.isEmpty {
                reader.error(conditions.path, "has no condition (give at least one, e.g. min_reshares: 10)")
            }
        }
        object.finish()
        // A rule with a bad severity is still returned (the config is refused anyway) so that its
        // sink and source names get checked too: every problem is reported at once.
        guard let name else { return nil }
        return RuleConfig(name: name, severity: severity ?? .warning, sinks: sinks, sources: sources, when: when)
    }
}
