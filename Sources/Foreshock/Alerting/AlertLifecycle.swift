/// The state of every alert that is firing, and the rules for when each notifies: pure (the
/// caller brings the time), so replay and watch make the same decisions.
///
/// An alert starts when a rule first holds; escalates (one new notification, same alert) when a
/// higher severity starts to hold; repeats every `repeatInterval` while firing; resolves once no
/// rule has held for `resolveAfter`.
public struct AlertLifecycle: Sendable {
    public struct Firing: Sendable, Equatable {
        public var severity: Severity
        public var rule: String
        public var sinks: [String]
        public var since: Double
        public var lastNotified: Double
        public var lastHeld: Double
    }

    public private(set) var repeatInterval: Double
    public private(set) var resolveAfter: Double
    public private(set) var firing: [PostKey: Firing] = [:]

    public init(repeatInterval: Double, resolveAfter: Double) {
        self.repeatInterval = repeatInterval
        self.resolveAfter = resolveAfter
    }

    /// What an update decided to notify: the deciding rule, its severity, the sinks and why.
    public struct Change: Sendable, Equatable {
        public var rule: String
        public var severity: Severity
        public var sinks: [String]
        public var reason: AlertNotification.Reason
        /// When the alert started.
        public var since: Double
    }

    /// Applies the rules that hold for an alert key now.
    /// - Parameters:
    ///   - holding: the rules that hold, in config order (may be empty).
    ///   - make: builds the notification from the deciding rule, its severity and sinks and why.
    /// - Returns: the notification to send, if any.
    public mutating func update(_ key: PostKey, holding: [RuleConfig], time: Double,
                                make: (String, Severity, [String], AlertNotification.Reason) -> AlertNotification) -> AlertNotification? {
        change(key, holding: holding, time: time).map { make($0.rule, $0.severity, $0.sinks, $0.reason) }
    }

    /// `update` without building the notification, for a caller that gathers what goes in it
    /// only when there is one to send.
    /// - Returns: what to notify, if anything.
    public mutating func change(_ key: PostKey, holding: [RuleConfig], time: Double) -> Change? {
        if let top = holding.max(by: { $0.severity < $1.severity }) {
            // Ties go to the first rule in the config: `max` keeps the last of equals, so search again.
            let rule = holding.first { $0.severity == top.severity }!
            let sinks = Self.sinks(of: holding)
            // Found once and changed in place: a firing post is looked up on every observation.
            guard let index = firing.index(forKey: key) else {
                firing[key] = Firing(severity: rule.severity, rule: rule.name, sinks: sinks, since: time, lastNotified: time, lastHeld: time)
                return Change(rule: rule.name, severity: rule.severity, sinks: sinks, reason: .started, since: time)
            }
            firing.values[index].lastHeld = time
            if firing.values[index].sinks != sinks { firing.values[index].sinks = Self.union([firing.values[index].sinks, sinks]) }
            let current = firing.values[index]
            if rule.severity > current.severity {
                firing.values[index].severity = rule.severity
                firing.values[index].rule = rule.name
                firing.values[index].lastNotified = time
                return Change(rule: rule.name, severity: rule.severity, sinks: current.sinks, reason: .escalated, since: current.since)
            }
            if time - current.lastNotified >= repeatInterval {
                firing.values[index].lastNotified = time
                return Change(rule: current.rule, severity: current.severity, sinks: current.sinks, reason: .repeated, since: current.since)
            }
            return nil
        }
        guard let current = firing[key] else { return nil }
        if time - current.lastHeld >= resolveAfter {
            firing[key] = nil
            return Change(rule: current.rule, severity: current.severity, sinks: current.sinks, reason: .resolved, since: current.since)
        }
        if time - current.lastNotified >= repeatInterval {
            firing[key]?.lastNotified = time
            return Change(rule: current.rule, severity: current.severity, sinks: current.sinks, reason: .repeated, since: current.since)
        }
        return nil
    }

    /// New timings from a config reload; alerts firing stay firing.
    public mutating func reconfigure(repeatInterval: Double, resolveAfter: Double) {
        self.repeatInterval = repeatInterval
        self.resolveAfter = resolveAfter
    }

    /// Forgets an alert without notifying (its post was evicted after resolving).
    public mutating func forget(_ key: PostKey) {
        firing[key] = nil
    }

    /// Restores state persisted by the watch process.
    public mutating func restore(_ key: PostKey, _ state: Firing) {
        firing[key] = state
    }

    /// The union of the rules' sinks, as `union` gives it, without building the lists.
    static func sinks(of rules: [RuleConfig]) -> [String] {
        // A rule naming no sink sends to every one, and so does the union.
        if rules.contains(where: { $0.sinks.isEmpty }) { return [] }
        if rules.count == 1, rules[0].sinks.count <= 1 { return rules[0].sinks }
        return union(rules.map { $0.sinks })
    }

    static func union(_ lists: [[String]]) -> [String] {
        // An empty list means every sink, which is already the union of everything.
        if lists.contains(where: \.isEmpty) { return [] }
        // A rule names a sink or three: a scan is cheaper than hashing them.
        var out: [String] = []
        for list in lists {
            for sink in list where !out.contains(sink) { out.append(sink) }
        }
        return out
    }
}
