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

    /// The least complaint score a post needs for the rule to hold (0: none asked for).
    package var leastComplaintScore: Int { complaintScoreAtLeast ?? (complaint == true ? 1 : 0) }

    var isEmpty: Bool { self == RuleConditions() }

    /// The conditions as the config writes them: `predicted_reshares_at_least: 1000, min_reshares: 5, max_age: 30d`.
    package var text: String { parts.joined(separator: ", ") }

    /// The same, one condition each.
    package var parts: [String] { entries.map { "\($0.key): \($0.value)" } }

    /// Each condition set, as the config writes it: its key, its value, and whether the value
    /// is a duration (which JSON5 takes in quotes: `max_age: "30d"`).
    package var entries: [(key: String, value: String, isDuration: Bool)] {
        // Config numbers are finite (the reader refuses others), so JSON's form is the config's.
        let number = JSONText.number
        var entries: [(key: String, value: String, isDuration: Bool)] = []
        func add(_ key: String, _ value: String?, isDuration: Bool = false) {
            if let value { entries.append((key, value, isDuration)) }
        }
        add("predicted_reshares_at_least", predictedResharesAtLeast.map(number))
        add("min_reshares", minReshares.map { "\($0)" })
        add("velocity_per_min_at_least", velocityPerMinAtLeast.map(number))
        add("reach_at_least", reachAtLeast.map(number))
        add("volume_spike_ratio_at_least", volumeSpikeRatioAtLeast.map(number))
        add("volume_spike_z_at_least", volumeSpikeZAtLeast.map(number))
        add("complaint", complaint.map { "\($0)" })
        add("complaint_score_at_least", complaintScoreAtLeast.map { "\($0)" })
        add("unanswered_for_at_least", unansweredForAtLeast.map(DurationText.format), isDuration: true)
        add("spreading_after_answer", spreadingAfterAnswer.map { "\($0)" })
        add("max_age", maxAge.map(DurationText.format), isDuration: true)
        return entries
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
        let name = object.name("a rule's name is in every alert key, notification and log line")
        let severity = object.choice("severity", Severity.self, required: true)
        let sinks = object.strings("sinks", nonEmpty: true) ?? []
        let sources = object.strings("sources", nonEmpty: true)
        var when = RuleConditions()
        if let conditions = object.object("when", required: true) {
            let problems = reader.problems.count
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
            // Read, not written: `min_reshares: null` is no condition either, and a rule with none
            // would page for every post.
            if when.isEmpty, reader.problems.count == problems {
                reader.error(conditions.path, "has no condition (give at least one, e.g. min_reshares: 10; null is none)")
            }
            // All conditions must hold: a post too old to count before it can be unanswered long
            // enough never matches. Valid, so a warning, not an error.
            if let maxAge = when.maxAge, let unanswered = when.unansweredForAtLeast, maxAge <= unanswered {
                reader.warning(conditions.path, "can never hold: max_age \(DurationText.format(maxAge)) is not longer than unanswered_for_at_least \(DurationText.format(unanswered))")
            }
        }
        object.finish()
        // A rule with a bad severity is still returned (the config is refused anyway) so that its
        // sink and source names get checked too: every problem is reported at once.
        guard let name else { return nil }
        return RuleConfig(name: name, severity: severity ?? .warning, sinks: sinks, sources: sources, when: when)
    }
}
