/// Which rules hold for a post's features: pure, so replay and watch agree.
public struct RuleMatcher: Sendable {
    public let rules: [RuleConfig]

    public init(rules: [RuleConfig]) {
        self.rules = rules
    }

    /// Whether a rule is about a source's volume rather than one post.
    public static func isVolumeRule(_ rule: RuleConfig) -> Bool {
        let when = rule.when
        return when.volumeSpikeRatioAtLeast != nil && when.minReshares == nil && when.velocityPerMinAtLeast == nil
            && when.reachAtLeast == nil && when.predictedResharesAtLeast == nil && when.complaint == nil
            && when.maxAge == nil && when.unansweredForAtLeast == nil
    }

    /// The post rules that hold, in config order.
    public func holding(_ features: PostFeatures, volumeRatio: Double) -> [RuleConfig] {
        rules.filter { rule in
            !Self.isVolumeRule(rule) && applies(rule, to: features.key.source) && holds(rule.when, features, volumeRatio: volumeRatio)
        }
    }

    /// The volume rules that hold for a source.
    public func holdingVolume(source: String, ratio: Double) -> [RuleConfig] {
        rules.filter { rule in
            Self.isVolumeRule(rule) && applies(rule, to: source) && ratio >= rule.when.volumeSpikeRatioAtLeast!
        }
    }

    func applies(_ rule: RuleConfig, to source: String) -> Bool {
        rule.sources.map { $0.contains(source) } ?? true
    }

    func holds(_ when: RuleConditions, _ f: PostFeatures, volumeRatio: Double) -> Bool {
        if let n = when.minReshares, f.reshares < n { return false }
        if let v = when.velocityPerMinAtLeast, f.velocityShort < v { return false }
        if let r = when.reachAtLeast, f.reach < r { return false }
        if let p = when.predictedResharesAtLeast, !(f.supercritical || (f.predicted ?? 0) >= p) { return false }
        if let ratio = when.volumeSpikeRatioAtLeast, volumeRatio < ratio { return false }
        if let complaint = when.complaint, f.complaint != complaint { return false }
        if let age = when.maxAge, f.age > age { return false }
        if let unanswered = when.unansweredForAtLeast, (f.unansweredFor ?? -1) < unanswered { return false }
        return true
    }
}
