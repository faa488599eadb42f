import ForeshockConfig
import ForeshockSupport

/// Which rules hold for a post's features: pure, so replay and watch agree.
package struct RuleMatcher: Sendable {
    package let rules: [RuleConfig]
    /// Each rule's conditions, whether it is about a source's volume, and the sources it is
    /// limited to, by index: what every evaluation reads, kept apart from the names and sinks
    /// so that judging a post copies no strings (a `RuleConfig` copied per rule per evaluation,
    /// its names and lists retained and released, cost a tenth of ingest once it came from
    /// another target).
    package let conditions: [RuleConditions]
    package let isVolume: [Bool]
    private let sources: [[String]?]

    package init(rules: [RuleConfig]) {
        self.rules = rules
        conditions = rules.map(\.when)
        isVolume = rules.map(Self.isVolumeRule)
        sources = rules.map(\.sources)
    }

    /// Whether a rule is about a source's volume rather than one post.
    package static func isVolumeRule(_ rule: RuleConfig) -> Bool {
        let when = rule.when
        return (when.volumeSpikeRatioAtLeast != nil || when.volumeSpikeZAtLeast != nil) && when.minReshares == nil && when.velocityPerMinAtLeast == nil
            && when.reachAtLeast == nil && when.predictedResharesAtLeast == nil && when.complaint == nil && when.complaintScoreAtLeast == nil
            && when.maxAge == nil && !when.readsAnswer
    }

    /// The post rules that hold, by their index in `rules` (copying the rules themselves was a
    /// tenth of what evaluating a firing post cost).
    package func holding(_ features: PostFeatures, volume: VolumeBaseline.Reading) -> RuleSet {
        var out = RuleSet()
        for index in conditions.indices where !isVolume[index] && applies(index, to: features.key.source) {
            if holds(conditions[index], features, volume: volume) { out.insert(index) }
        }
        return out
    }

    /// The post rules that hold when the prediction is known only to lie within `bounds` (the
    /// features' own prediction is not read): enough for most posts, so SEISMIC need not run.
    /// - Returns: the rules that hold, or nil when some rule's outcome depends on where in
    ///   `bounds` the prediction falls.
    package func holding(_ features: PostFeatures, predictedWithin bounds: ClosedRange<Double>, volume: VolumeBaseline.Reading) -> RuleSet? {
        var out = RuleSet()
        for index in conditions.indices where !isVolume[index] && applies(index, to: features.key.source) {
            let when = conditions[index]
            guard holdsApartFromPrediction(when, features, volume: volume) else { continue }
            if let threshold = when.predictedResharesAtLeast {
                if bounds.upperBound < threshold { continue }
                guard bounds.lowerBound >= threshold else { return nil }
            }
            out.insert(index)
        }
        return out
    }

    /// The volume rules that hold for a source.
    package func holdingVolume(source: String, volume: VolumeBaseline.Reading) -> [RuleConfig] {
        rules.filter { rule in
            Self.isVolumeRule(rule) && applies(rule, to: source) && Self.holdsVolume(rule.when, volume)
        }
    }

    func applies(_ rule: RuleConfig, to source: String) -> Bool {
        rule.sources.map { $0.contains(source) } ?? true
    }

    /// Whether the rule at `index` applies to posts from `source`.
    package func applies(_ index: Int, to source: String) -> Bool {
        sources[index].map { $0.contains(source) } ?? true
    }

    /// What a post's state gives without scoring it: a rule that fails on these cannot hold,
    /// however the post is scored.
    package struct Cheap: Sendable {
        package var source: String
        package var reshares: Int
        package var age: Double
        package var complaint: Bool
        package var complaintScore: Int
        package var unansweredFor: Double?
        package var volume: VolumeBaseline.Reading
    }

    /// Whether some post rule may hold, judged on the cheap conditions alone: most posts are
    /// too small or too old for every rule, and then SEISMIC need not run at all.
    package func mayHold(_ cheap: Cheap) -> Bool {
        conditions.indices.contains { !isVolume[$0] && applies($0, to: cheap.source) && holdsCheap(conditions[$0], cheap) }
    }

    func holdsCheap(_ when: RuleConditions, _ c: Cheap) -> Bool {
        if let n = when.minReshares, c.reshares < n { return false }
        if !Self.holdsVolume(when, c.volume) { return false }
        if let complaint = when.complaint, c.complaint != complaint { return false }
        if let score = when.complaintScoreAtLeast, c.complaintScore < score { return false }
        if let age = when.maxAge, c.age > age { return false }
        if let unanswered = when.unansweredForAtLeast, (c.unansweredFor ?? -1) < unanswered { return false }
        // Spreading after the answer needs an answer.
        if when.spreadingAfterAnswer == true, c.unansweredFor != nil { return false }
        return true
    }

    /// The volume conditions: the source's ratio and z-score now.
    static func holdsVolume(_ when: RuleConditions, _ volume: VolumeBaseline.Reading) -> Bool {
        if let ratio = when.volumeSpikeRatioAtLeast, volume.ratio < ratio { return false }
        if let z = when.volumeSpikeZAtLeast, volume.zScore < z { return false }
        return true
    }

    func holds(_ when: RuleConditions, _ f: PostFeatures, volume: VolumeBaseline.Reading) -> Bool {
        guard holdsApartFromPrediction(when, f, volume: volume) else { return false }
        if let p = when.predictedResharesAtLeast, !(f.supercritical || (f.predicted ?? 0) >= p) { return false }
        return true
    }

    func holdsApartFromPrediction(_ when: RuleConditions, _ f: PostFeatures, volume: VolumeBaseline.Reading) -> Bool {
        let cheap = Cheap(source: f.key.source, reshares: f.reshares, age: f.age, complaint: f.complaint, complaintScore: f.complaintScore,
                          unansweredFor: f.unansweredFor, volume: volume)
        guard holdsCheap(when, cheap) else { return false }
        if let v = when.velocityPerMinAtLeast, f.velocityShort < v { return false }
        if let r = when.reachAtLeast, f.reach < r { return false }
        if let after = when.spreadingAfterAnswer, f.afterAnswer.spreading != after { return false }
        return true
    }
}

extension RuleMatcher {
    /// A rule's conditions as they hold for a post, each with the post's value beside the
    /// rule's: "predicted 1,240 ≥ 1,000; 37 reshares ≥ 5; age 22m ≤ 30d". What a person reads to
    /// see why the alert fired and which threshold to move.
    package static func held(_ when: RuleConditions, _ f: PostFeatures, volume: VolumeBaseline.Reading) -> String {
        var parts: [String] = []
        if let p = when.predictedResharesAtLeast {
            parts.append(f.supercritical || f.predicted == nil
                ? "predicted unbounded (supercritical) ≥ \(NumberText.grouped(p))"
                : "predicted \(NumberText.grouped(f.predicted!.rounded())) ≥ \(NumberText.grouped(p))")
        }
        if let n = when.minReshares { parts.append("\(NumberText.grouped(Double(f.reshares))) reshares ≥ \(NumberText.grouped(Double(n)))") }
        if let v = when.velocityPerMinAtLeast {
            parts.append("\(PostFeatures.decimal(f.velocityShort)) reshares a minute ≥ \(PostFeatures.decimal(v))")
        }
        if let r = when.reachAtLeast { parts.append("reach \(NumberText.grouped(f.reach.rounded())) ≥ \(NumberText.grouped(r))") }
        if let score = when.complaintScoreAtLeast { parts.append("complaint score \(f.complaintScore) ≥ \(score)") }
        if let complaint = when.complaint { parts.append(complaint ? "a complaint" : "not a complaint") }
        if let unanswered = when.unansweredForAtLeast {
            parts.append("unanswered for \(DurationText.short(f.unansweredFor ?? 0)) ≥ \(DurationText.short(unanswered))")
        }
        if when.spreadingAfterAnswer == true, let since = f.afterAnswer.since, let before = f.afterAnswer.before {
            parts.append("\(PostFeatures.decimal(since)) reshares a minute since the brand's answer ≥ \(PostFeatures.decimal(before)) before")
        } else if let after = when.spreadingAfterAnswer {
            parts.append(after ? "spreading after the brand's answer" : "not spreading after the brand's answer")
        }
        parts += heldVolume(when, volume)
        if let age = when.maxAge { parts.append("age \(DurationText.short(f.age)) ≤ \(DurationText.short(age))") }
        return parts.joined(separator: "; ")
    }

    /// The volume conditions with the source's values: "volume 3.2× ≥ 3×; 4.1 σ ≥ 3 σ".
    package static func heldVolume(_ when: RuleConditions, _ volume: VolumeBaseline.Reading) -> [String] {
        var parts: [String] = []
        if let ratio = when.volumeSpikeRatioAtLeast {
            parts.append("volume \(PostFeatures.decimal(volume.ratio))× the usual ≥ \(PostFeatures.decimal(ratio))×")
        }
        if let z = when.volumeSpikeZAtLeast { parts.append("\(PostFeatures.decimal(volume.zScore)) σ above the usual ≥ \(PostFeatures.decimal(z)) σ") }
        return parts
    }
}
