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

    /// Applies the rules that hold for an alert key now.
    /// - Parameters:
    ///   - holding: the rules that hold, in config order (may be empty).
    ///   - make: builds the notification from the deciding rule, its severity and sinks and why.
    /// - Returns: the notification to send, if any.
    public mutating func update(_ key: PostKey, holding: [RuleConfig], time: Double,
                                make: (String, Severity, [String], AlertNotification.Reason) -> AlertNotification) -> AlertNotification? {
        if let top = holding.max(by: { $0.severity < $1.severity }) {
            // Ties go to the first rule in the config: `max` keeps the last of equals, so search again.
            let rule = holding.first { $0.severity == top.severity }!
            let sinks = Self.union(holding.map(\.sinks))
            guard var current = firing[key] else {
                firing[key] = Firing(severity: rule.severity, rule: rule.name, sinks: sinks, since: time, lastNotified: time, lastHeld: time)
                return make(rule.name, rule.severity, sinks, .started)
            }
            current.lastHeld = time
            current.sinks = Self.union([current.sinks, sinks])
            if rule.severity > current.severity {
                current.severity = rule.severity
                current.rule = rule.name
                current.lastNotified = time
                firing[key] = current
                return make(rule.name, rule.severity, current.sinks, .escalated)
            }
            if time - current.lastNotified >= repeatInterval {
                current.lastNotified = time
                firing[key] = current
                return make(current.rule, current.severity, current.sinks, .repeated)
            }
            firing[key] = current
            return nil
        }
        guard let current = firing[key] else { return nil }
        if time - current.lastHeld >= resolveAfter {
            firing[key] = nil
            return make(current.rule, current.severity, current.sinks, .resolved)
        }
        if time - current.lastNotified >= repeatInterval {
            firing[key]?.lastNotified = time
            return make(current.rule, current.severity, current.sinks, .repeated)
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

    static func union(_ lists: [[String]]) -> [String] {
        // An empty list means every sink, which is already the union of everything.
        if lists.contains(where: \.isEmpty) { return [] }
        var seen = Set<String>()
        return lists.flatMap { $0 }.filter { seen.insert($0).inserted }
    }
}
