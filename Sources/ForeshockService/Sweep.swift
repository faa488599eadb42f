import Dispatch
import ForeshockConfig
import ForeshockCore
import ForeshockSupport
import Foundation

/// One numeric condition of one rule and the values to try:
/// `going-viral.predicted_reshares_at_least=300,500,1000,2000`.
package struct SweepSpec: Sendable, Equatable {
    package struct Problem: Error, Sendable, CustomStringConvertible {
        package var description: String
    }

    /// The conditions a sweep can move: every numeric one (durations in seconds).
    package static let conditions: [(name: String, kind: Kind)] = [
        ("predicted_reshares_at_least", .number), ("min_reshares", .whole), ("velocity_per_min_at_least", .number),
        ("reach_at_least", .number), ("complaint_score_at_least", .whole), ("volume_spike_ratio_at_least", .number),
        ("volume_spike_z_at_least", .number), ("max_age", .duration), ("unanswered_for_at_least", .duration),
    ]

    package enum Kind: Sendable { case number, whole, duration }

    package var rule: String
    package var condition: String
    package var kind: Kind
    package var values: [Double]

    /// `rule.condition`, as the table heads its column.
    package var label: String { "\(rule).\(condition)" }

    /// Several specs' labels must differ: one condition swept twice would show two columns of
    /// which only the last value counts.
    package static func checkDistinct(_ specs: [SweepSpec]) throws(Problem) {
        var seen = Set<String>()
        for spec in specs where !seen.insert(spec.label).inserted {
            throw Problem(description: "--sweep: \(spec.label) is given twice; give its values once, separated by commas.")
        }
    }

    /// One or more specs, separated by spaces.
    /// - Throws: `Problem`, one sentence naming what is wrong.
    package static func parse(_ text: String, rules: [RuleConfig]) throws(Problem) -> [SweepSpec] {
        var specs: [SweepSpec] = []
        for part in text.split(whereSeparator: \.isWhitespace) {
            guard let equals = part.firstIndex(of: "="), let dot = part[..<equals].lastIndex(of: ".") else {
                throw Problem(description: "--sweep takes RULE.CONDITION=V1,V2,… such as going-viral.predicted_reshares_at_least=500,1000, not \"\(part)\".")
            }
            let ruleName = String(part[..<dot]), name = String(part[part.index(after: dot)..<equals])
            guard rules.contains(where: { $0.name == ruleName }) else {
                throw Problem(description: "--sweep: the config has no rule \"\(ruleName)\" (its rules: \(rules.map(\.name).joined(separator: ", "))).")
            }
            guard let condition = conditions.first(where: { $0.name == name }) else {
                let hint = Suggestion.closest(to: name, among: conditions.map(\.name)).map { " Did you mean \($0)?" } ?? ""
                throw Problem(description: "--sweep: \"\(name)\" is not a numeric condition a sweep can move.\(hint)")
            }
            var values: [Double] = []
            for item in part[part.index(after: equals)...].split(separator: ",", omittingEmptySubsequences: false) {
                let value: Double?
                switch condition.kind {
                case .duration: value = DurationText.seconds(String(item)) ?? Double(item)
                case .whole: value = Int(item).map(Double.init)
                case .number: value = Double(item)
                }
                if let value, value < 0 {
                    throw Problem(description: "--sweep: \(ruleName).\(name) takes values of 0 or more, not \"\(item)\".")
                }
                guard let value, value.isFinite else {
                    let expected = condition.kind == .duration ? "a duration such as 30m" : condition.kind == .whole ? "a whole number" : "a number"
                    throw Problem(description: "--sweep: \(ruleName).\(name) takes \(expected) per value, not \"\(item)\".")
                }
                values.append(value)
            }
            guard !values.isEmpty, values.count <= 50 else { throw Problem(description: "--sweep: give between 1 and 50 values for \(ruleName).\(name).") }
            let spec = SweepSpec(rule: ruleName, condition: name, kind: condition.kind, values: values)
            // A volume condition on a post's rule, or a post's on a volume rule, would make it
            // another kind of rule: a different question from the one the config asks.
            if let rule = rules.first(where: { $0.name == ruleName }) {
                var config = Config()
                config.rules = [rule]
                spec.apply(values[0], to: &config)
                if RuleMatcher.isVolumeRule(config.rules[0]) != RuleMatcher.isVolumeRule(rule) {
                    throw Problem(description: "--sweep: \(name) would turn \(ruleName) from a rule about \(RuleMatcher.isVolumeRule(rule) ? "a source's volume" : "posts") "
                        + "into one about \(RuleMatcher.isVolumeRule(rule) ? "posts" : "a source's volume"); sweep a condition of its own kind.")
                }
            }
            specs.append(spec)
        }
        return specs
    }

    /// The config with this condition at `value`.
    package func apply(_ value: Double, to config: inout Config) {
        for index in config.rules.indices where config.rules[index].name == rule {
            var when = config.rules[index].when
            switch condition {
            case "predicted_reshares_at_least": when.predictedResharesAtLeast = value
            case "min_reshares": when.minReshares = Int(value)
            case "velocity_per_min_at_least": when.velocityPerMinAtLeast = value
            case "reach_at_least": when.reachAtLeast = value
            case "complaint_score_at_least": when.complaintScoreAtLeast = Int(value)
            case "volume_spike_ratio_at_least": when.volumeSpikeRatioAtLeast = value
            case "volume_spike_z_at_least": when.volumeSpikeZAtLeast = value
            case "max_age": when.maxAge = value
            case "unanswered_for_at_least": when.unansweredForAtLeast = value
            default: break
            }
            config.rules[index].when = when
        }
    }

    /// A value as the config would write it.
    package func format(_ value: Double) -> String {
        switch kind {
        case .duration: return DurationText.format(value)
        case .whole: return String(Int(value))
        case .number: return JSONText.number(value)  // finite: `parse` refuses others
        }
    }
}

/// Replays one recording once per value of a sweep, in parallel on the cores, and judges each
/// against what became of the posts.
package enum SweepRun {
    package struct Row: Sendable {
        package var values: [Double]
        /// The figures of each swept rule (`Table.rules`), in that order: a warning rule's pages
        /// and leads are not the critical one's, and summed they would read as neither.
        package var perRule: [Backtest.Figures]
    }

    package struct Table: Sendable {
        package var specs: [SweepSpec]
        package var target: Int
        package var rows: [Row]
        /// The rules the specs name, in the order first named.
        package var rules: [String] { Self.rules(specs) }

        static func rules(_ specs: [SweepSpec]) -> [String] { specs.map(\.rule).uniqued() }

        /// Each row's figures rule by rule: a row per value (or pair of values) and swept rule.
        package var lines: [(values: [Double], rule: String, figures: Backtest.Figures)] {
            let rules = self.rules
            return rows.flatMap { row in zip(rules, row.perRule).map { (row.values, $0, $1) } }
        }
    }

    /// - Parameter report: where a line the recording cannot be read at goes (the replay run
    ///   before the sweep has reported them already when nil).
    package static func run(_ recording: Recording, config: Config, specs: [SweepSpec], target: Int,
                            report: @escaping @Sendable (String) -> Void = { _ in }) async -> Table {
        await onDispatchThread { table(recording, config: config, specs: specs, target: target, report: report) }
    }

    /// The same, on the caller's thread (which it blocks while the replays run).
    package static func table(_ recording: Recording, config: Config, specs: [SweepSpec], target: Int,
                              report: (String) -> Void = { _ in }) -> Table {
        // Decoded once and judged once: only the scoring differs between the values.
        var observations: [(Observation, seen: Double, carried: Bool)] = []
        var outcomes = PostOutcomes(target: target)
        var malformed = 0
        RecordingDecoder().decodeInOrder(recording, report: report, skipped: { malformed += 1 }) { observation, seen, carried in
            // The replays take what the outcomes took: a carried line of a known post is dropped.
            if outcomes.add(observation, seen: seen, carried: carried) { observations.append((observation, seen, carried)) }
        }
        var combinations: [[Double]] = [[]]
        for spec in specs { combinations = combinations.flatMap { head in spec.values.map { head + [$0] } } }
        let decoded = observations, judged = outcomes, runs = combinations, skipped = malformed
        let results = IndexedResults<Row>(count: runs.count)
        let swept = Table.rules(specs)
        DispatchQueue.concurrentPerform(iterations: runs.count) { index in
            var variant = config
            for (spec, value) in zip(specs, runs[index]) { spec.apply(value, to: &variant) }
            // One shard each: the values, not the shards, share the cores.
            let replay = Replay(config: variant, shards: 1, target: target, tracksOutcomes: false) { _ in }
            for (observation, seen, carried) in decoded { replay.add(observation, seen: seen, carried: carried) }
            let notes = replay.finish().notes
            let backtest = Backtest(outcomes: judged, notes: notes, observations: decoded.count, malformed: skipped, answersUnseen: variant.answersUnseen)
            results.set(index, Row(values: runs[index], perRule: swept.map { rule in backtest.figures(variant.rules.filter { $0.name == rule }) }))
        }
        return Table(specs: specs, target: target, rows: results.values)
    }
}
