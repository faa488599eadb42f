import ForeshockConfig

/// The state of every alert that is firing, and the rules for when each notifies: pure (the
/// caller brings the time), so replay and watch make the same decisions.
///
/// An alert starts when a rule first holds; escalates (one new notification, same alert) when a
/// higher severity starts to hold; de-escalates (one notification) to the most severe rule that
/// holds once none of its own severity has held for `resolveAfter`, the same grace a resolution
/// waits, so that a rule flickering at its threshold does not page twice; repeats every
/// `repeatInterval` while firing; resolves once no rule has held for `resolveAfter`. Its firing
/// notifications go to the sinks of every rule that holds at the time; a sink that a rule
/// holding now adds is told at once (a `started` for that sink alone), and the resolution goes
/// to every sink that was told it fired.
package struct AlertLifecycle: Sendable {
    package struct Firing: Sendable, Equatable {
        package var severity: Severity
        package var rule: String
        /// The sinks told it fired (empty: every sink).
        package var sinks: [String]
        package var since: Double
        package var lastNotified: Double
        package var lastHeld: Double
        /// When a rule as severe as the alert last held: a de-escalation waits `resolveAfter` from it.
        package var lastHeldAtSeverity: Double
        /// Ticks before this time may pass the alert over: nothing that time alone changes can
        /// change it sooner (its rules, its repeat, its resolve). −∞: every tick evaluates it.
        package var quietUntil = -Double.infinity
        /// When it was last evaluated, and whether a rule held then.
        var evaluatedAt = -Double.infinity
        var quietHeld = false
        var quietHeldAtSeverity = false

        package init(severity: Severity, rule: String, sinks: [String], since: Double, lastNotified: Double, lastHeld: Double) {
            self.severity = severity
            self.rule = rule
            self.sinks = sinks
            self.since = since
            self.lastNotified = lastNotified
            self.lastHeld = lastHeld
            self.lastHeldAtSeverity = lastHeld
        }
    }

    package private(set) var repeatInterval: Double
    package private(set) var resolveAfter: Double
    package private(set) var firing: [PostKey: Firing] = [:]
    /// The `quietUntil` the last `change` left its alert with (+∞ when that alert is not firing),
    /// so the caller need not look the alert up again.
    package private(set) var lastQuietUntil = Double.infinity

    /// Every sink's name, for what "every sink" (a rule naming none) adds to an alert told only some.
    package private(set) var sinkNames: [String]

    package init(repeatInterval: Double, resolveAfter: Double, sinkNames: [String]) {
        self.repeatInterval = repeatInterval
        self.resolveAfter = resolveAfter
        self.sinkNames = sinkNames
    }

    /// What an update decided to notify: the deciding rule, its severity, the sinks and why.
    package struct Change: Sendable, Equatable {
        package var rule: String
        package var severity: Severity
        package var sinks: [String]
        package var reason: AlertNotification.Reason
        /// When the alert started.
        package var since: Double
    }

    /// Applies the rules that hold for an alert key now.
    /// - Parameters:
    ///   - holding: the rules that hold, in config order (may be empty).
    ///   - make: builds the notification from the deciding rule, its severity and sinks and why,
    ///     and when the alert fired.
    /// - Returns: the notification to send, if any.
    package mutating func update(_ key: PostKey, holding: [RuleConfig], time: Double,
                                make: (String, Severity, [String], AlertNotification.Reason, Double) -> AlertNotification) -> AlertNotification? {
        change(key, holding: holding, time: time).map { make($0.rule, $0.severity, $0.sinks, $0.reason, $0.since) }
    }

    /// `update` without building the notification, for a caller that gathers what goes in it
    /// only when there is one to send.
    /// - Returns: what to notify, if anything.
    package mutating func change(_ key: PostKey, holding: [RuleConfig], time: Double) -> Change? {
        change(key, holding: RuleSet(holding.indices), of: holding, time: time)
    }

    /// `change` with the rules that hold given by their index in `rules`.
    /// - Parameters:
    ///   - previousTick: the tick before `time`. Ticks that passed the alert over while its
    ///     rules held count as times they held (as they would have, evaluated).
    ///   - rulesStableUntil: until when, with nothing new observed, the same rules are sure to
    ///     hold; with the repeat and resolve times it sets the alert's `quietUntil`.
    package mutating func change(_ key: PostKey, holding: RuleSet, of rules: [RuleConfig], time: Double,
                                previousTick: Double? = nil, rulesStableUntil: Double = -.infinity) -> Change? {
        // The deciding rule: the most severe, the first in the config among equals.
        var deciding: Int?
        for index in holding where deciding.map({ rules[index].severity > rules[$0].severity }) ?? true { deciding = index }
        lastQuietUntil = .infinity
        guard let index = firing.index(forKey: key) else {
            guard let deciding else { return nil }
            let sinks = Self.sinks(of: holding, in: rules)
            var started = Firing(severity: rules[deciding].severity, rule: rules[deciding].name, sinks: sinks, since: time, lastNotified: time, lastHeld: time)
            started.quietUntil = min(rulesStableUntil, time + repeatInterval)
            started.evaluatedAt = time
            started.quietHeld = true
            started.quietHeldAtSeverity = true
            lastQuietUntil = started.quietUntil
            firing[key] = started
            return Change(rule: started.rule, severity: started.severity, sinks: sinks, reason: .started, since: time)
        }
        // Found once and changed in place: a firing post is looked up on every observation, and
        // each field read through `firing.values[index]` copied the whole alert, its strings
        // retained (perf: a tenth of the bench's ingest was spent in here).
        let timing = Timing(repeatInterval: repeatInterval, resolveAfter: resolveAfter, rulesStableUntil: rulesStableUntil)
        let (change, quietUntil) = Self.advance(&firing.values[index], holding: holding, deciding: deciding, of: rules, time: time,
                                                previousTick: previousTick, timing: timing, sinkNames: sinkNames)
        if let quietUntil {
            lastQuietUntil = quietUntil
        } else {
            firing.remove(at: index)
        }
        return change
    }

    /// The times `advance` sets an alert's next notification and its `quietUntil` by.
    private struct Timing {
        var repeatInterval: Double
        var resolveAfter: Double
        var rulesStableUntil: Double
    }

    /// `change` for an alert already firing, on the alert in place.
    /// - Returns: what to notify, and the alert's new `quietUntil`, nil when it resolved (the
    ///   caller removes it).
    private static func advance(_ alert: inout Firing, holding: RuleSet, deciding: Int?, of rules: [RuleConfig], time: Double,
                                previousTick: Double?, timing: Timing, sinkNames: [String]) -> (Change?, quietUntil: Double?) {
        if alert.quietHeld, let previous = previousTick, previous > alert.evaluatedAt, previous < time {
            alert.lastHeld = max(alert.lastHeld, previous)
            if alert.quietHeldAtSeverity { alert.lastHeldAtSeverity = max(alert.lastHeldAtSeverity, previous) }
        }
        var change: Change?
        if let deciding {
            alert.lastHeld = time
            let sinks = Self.sinks(of: holding, in: rules)
            let added = Self.missing(sinks, from: alert.sinks, every: sinkNames)
            if alert.sinks != sinks { alert.sinks = Self.union([alert.sinks, sinks]) }
            if rules[deciding].severity >= alert.severity { alert.lastHeldAtSeverity = time }
            if rules[deciding].severity > alert.severity {
                alert.severity = rules[deciding].severity
                alert.rule = rules[deciding].name
                alert.lastNotified = time
                change = Change(rule: alert.rule, severity: alert.severity, sinks: sinks, reason: .escalated, since: alert.since)
            } else if rules[deciding].severity < alert.severity, time - alert.lastHeldAtSeverity >= timing.resolveAfter {
                // Nothing as severe has held for the grace a resolution waits: a critical page
                // for a complaint the brand has since answered is not reminded of as critical
                // while only a warning rule holds. Every sink told it fired hears it, the one
                // paged above all; reminders then go to the sinks of the rules holding.
                alert.severity = rules[deciding].severity
                alert.rule = rules[deciding].name
                alert.lastNotified = time
                alert.lastHeldAtSeverity = time
                change = Change(rule: alert.rule, severity: alert.severity, sinks: alert.sinks, reason: .deescalated, since: alert.since)
            } else {
                if rules[deciding].severity == alert.severity, rules[deciding].name != alert.rule,
                   !holding.contains(where: { rules[$0].name == alert.rule }) {
                    // The rule it fired under no longer holds and another as severe does: the
                    // alert is that rule's now. Named after the old one, a complaint the brand
                    // had since answered was reminded of as `unanswered-complaint`, "Answered: yes".
                    alert.rule = rules[deciding].name
                }
                if !added.isEmpty {
                    // News to those sinks only, named after the rule that brings them (what their
                    // routing is about): the others were told, and their reminders keep their pace.
                    let bringing = holding.filter { index in
                        rules[index].sinks.isEmpty || rules[index].sinks.contains { added.contains($0) }
                    }.max { rules[$0].severity < rules[$1].severity } ?? deciding
                    change = Change(rule: rules[bringing].name, severity: rules[bringing].severity, sinks: added, reason: .started, since: alert.since)
                } else if rules[deciding].severity == alert.severity, time - alert.lastNotified >= timing.repeatInterval {
                    // Not while only a less severe rule holds: a critical reminder of a complaint
                    // just answered, "Answered: yes", would come before its de-escalation.
                    alert.lastNotified = time
                    change = Change(rule: alert.rule, severity: alert.severity, sinks: sinks, reason: .repeated, since: alert.since)
                }
            }
        } else {
            if time - alert.lastHeld >= timing.resolveAfter {
                return (Change(rule: alert.rule, severity: alert.severity, sinks: alert.sinks, reason: .resolved, since: alert.since), nil)
            }
            if time - alert.lastNotified >= timing.repeatInterval {
                alert.lastNotified = time
                change = Change(rule: alert.rule, severity: alert.severity, sinks: alert.sinks, reason: .repeated, since: alert.since)
            }
        }
        let held = deciding != nil
        let heldAtSeverity = deciding.map { rules[$0].severity >= alert.severity } ?? false
        // A de-escalation, like a resolution, comes with time alone.
        let graceEnds = held ? (heldAtSeverity ? .infinity : alert.lastHeldAtSeverity + timing.resolveAfter) : alert.lastHeld + timing.resolveAfter
        // In a de-escalation's grace no reminder is due: only its end is.
        let repeatDue = held && !heldAtSeverity ? .infinity : alert.lastNotified + timing.repeatInterval
        alert.quietUntil = min(timing.rulesStableUntil, repeatDue, graceEnds)
        alert.evaluatedAt = time
        alert.quietHeld = held
        alert.quietHeldAtSeverity = heldAtSeverity
        return (change, alert.quietUntil)
    }

    /// Makes every tick evaluate every alert again (a reload brought new rules).
    package mutating func wake() {
        for index in firing.indices { firing.values[index].quietUntil = -.infinity }
    }

    /// The earliest `quietUntil` of the alerts firing, +∞ when none is.
    package var nextDue: Double { firing.values.reduce(Double.infinity) { min($0, $1.quietUntil) } }

    /// New timings and sinks from a config reload; alerts firing stay firing.
    package mutating func reconfigure(repeatInterval: Double, resolveAfter: Double, sinkNames: [String]) {
        self.repeatInterval = repeatInterval
        self.resolveAfter = resolveAfter
        self.sinkNames = sinkNames
    }

    /// Forgets an alert without notifying (its post was evicted after resolving).
    package mutating func forget(_ key: PostKey) {
        firing[key] = nil
    }

    /// Restores state persisted by the watch process.
    package mutating func restore(_ key: PostKey, _ state: Firing) {
        firing[key] = state
    }

    /// The union of the sinks of the rules at `indices`, as `union` gives it, without building
    /// the lists.
    static func sinks(of holding: RuleSet, in rules: [RuleConfig]) -> [String] {
        // A rule naming no sink sends to every one, and so does the union.
        if holding.contains(where: { rules[$0].sinks.isEmpty }) { return [] }
        return union(holding.map { rules[$0].sinks })
    }

    /// The sinks in `wanted` that `told` has not reached (each list empty for every sink, which
    /// `every` names): a rule that starts to hold may bring sinks of its own.
    static func missing(_ wanted: [String], from told: [String], every: [String]) -> [String] {
        if told.isEmpty { return [] }
        return (wanted.isEmpty ? every : wanted).filter { !told.contains($0) }
    }

    package static func union(_ lists: [[String]]) -> [String] {
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
