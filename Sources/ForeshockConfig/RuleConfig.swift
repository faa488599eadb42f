import ForeshockSupport

/// How urgent an alert is.
package enum Severity: String, Sendable, CaseIterable, Comparable, Codable {
    case warning, critical

    package static func < (lhs: Severity, rhs: Severity) -> Bool {
        lhs == .warning && rhs == .critical
    }
}

/// The conditions of a rule; all that are given must hold.
package struct RuleConditions: Sendable, Equatable {
    package var minReshares: Int?
    package var velocityPerMinAtLeast: Double?
    package var reachAtLeast: Double?
    package var predictedResharesAtLeast: Double?
    package var volumeSpikeRatioAtLeast: Double?
    /// The same in standard deviations above the baseline.
    package var volumeSpikeZAtLeast: Double?
    package var complaint: Bool?
    /// The complaint score: complaint terms in the text, doubled when it names the brand.
    package var complaintScoreAtLeast: Int?
    /// Seconds: only posts younger than this.
    package var maxAge: Double?
    /// Seconds: the brand has not replied this long after the post.
    package var unansweredForAtLeast: Double?
    /// The brand answered and the post spreads as fast or faster since (see
    /// `PostFeatures.afterAnswer`): the answer that made it worse.
    package var spreadingAfterAnswer: Bool?

    package init() {}

    /// Whether the rule is about the brand's answer, so needs the brand's accounts to mean anything.
    package var readsAnswer: Bool { unansweredForAtLeast != nil || spreadingAfterAnswer != nil }

    var isEmpty: Bool { self == RuleConditions() }

    /// The conditions as the config writes them: `predicted_reshares_at_least: 1000, min_reshares: 5, max_age: 30d`.
    package var text: String { parts.joined(separator: ", ") }

    /// The same, one condition each.
    package var parts: [String] {
        // Config numbers are finite (the reader refuses others), so JSON's form is the config's.
        let number = JSONText.number
        var parts: [String] = []
        if let v = predictedResharesAtLeast { parts.append("predicted_reshares_at_least: \(number(v))") }
        if let v = minReshares { parts.append("min_reshares: \(v)") }
        if let v = velocityPerMinAtLeast { parts.append("velocity_per_min_at_least: \(number(v))") }
        if let v = reachAtLeast { parts.append("reach_at_least: \(number(v))") }
        if let v = volumeSpikeRatioAtLeast { parts.append("volume_spike_ratio_at_least: \(number(v))") }
        if let v = volumeSpikeZAtLeast { parts.append("volume_spike_z_at_least: \(number(v))") }
        if let v = complaint { parts.append("complaint: \(v)") }
        if let v = complaintScoreAtLeast { parts.append("complaint_score_at_least: \(v)") }
        if let v = unansweredForAtLeast { parts.append("unanswered_for_at_least: \(DurationText.format(v))") }
        if let v = spreadingAfterAnswer { parts.append("spreading_after_answer: \(v)") }
        if let v = maxAge { parts.append("max_age: \(DurationText.format(v))") }
        return parts
    }
}

/// When to alert: `rules[]` in the config.
package struct RuleConfig: Sendable {
    package var name: String
    package var severity: Severity
    /// Sink names; empty means every sink.
    package var sinks: [String]
    /// Source names; nil means every source.
    package var sources: [String]?
    package var when: RuleConditions

    package init(name: String, severity: Severity, sinks: [String] = [], sources: [String]? = nil, when: RuleConditions) {
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
