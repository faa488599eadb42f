import ForeshockSupport
import Foundation

/// Everything Foreshock is told by its config file.
package struct Config: Sendable {
    package var stateDir = "./state"
    /// Where Prometheus metrics are written; nil means `<state_dir>/foreshock.prom`.
    package var metricsFile: String?
    /// Seconds allowed to finish deliveries at shutdown.
    package var shutdownTimeout = 10.0
    /// A source failing this long raises its own alert.
    package var sourceDownAfter = 600.0
    /// The most sources one watch polls.
    package static let maxSources = 1_000
    /// A folder of templates that overrides the compiled-in `alerts/`.
    package var templatesDir: String?
    package var sources: [SourceConfig] = []
    package var scoring = ScoringConfig()
    package var rules: [RuleConfig] = []
    /// `include_default_rules: true`: the embedded default config's rules come after the
    /// config's own (a rule of the same name as a default one replaces it).
    package var includesDefaultRules = false
    package var alerting = AlertingConfig()
    package var silences: [SilenceConfig] = []
    package var sinks: [SinkConfig] = []
    /// The web server (`/metrics`, health, the API, the live page); nil: none.
    package var web: WebConfig?
    /// Sources whose brand's answers the watch does not look for (no `brand_accounts`): no post
    /// of theirs is said to be unanswered, which nobody knows. Set by
    /// `answerRulesLimitedToBrandSources` for a watch and `answersAsRecorded` for a replay, not
    /// read from the file.
    package var answersUnseen: Set<String> = []

    package init() {}

    /// The metrics file, with its default filled in.
    package var resolvedMetricsFile: String {
        metricsFile ?? (stateDir as NSString).appendingPathComponent("foreshock.prom")
    }

    /// Everything in the config that is, or holds, a credential: what logs, status, the state
    /// directory and metrics must never show in clear.
    package var redactor: Redactor {
        (sources.map(\.redactor) + sinks.map(\.redactor) + [Redactor(secrets: [web?.token?.value].compactMap { $0 })]).reduce(Redactor()) { $0.merged(with: $1) }
    }

    /// The config as `watch` runs it: a rule about the brand's answer (`unanswered_for_at_least`,
    /// `spreading_after_answer`) applies only to sources that name the brand's accounts, since without them no answer is
    /// ever seen and every complaint would look unanswered.
    /// Nor is a post of theirs said to be unanswered (`answersUnseen`).
    /// - Returns: the config, and for each rule so restricted the sources it is off for.
    package func answerRulesLimitedToBrandSources() -> (config: Config, off: [(rule: String, sources: [String])]) {
        var limited = self
        let withBrand = Set(sources.filter { !$0.brandAccounts.isEmpty }.map(\.name))
        limited.answersUnseen = Set(sources.map(\.name)).subtracting(withBrand)
        for index in limited.rules.indices where limited.rules[index].when.readsAnswer {
            let applies = limited.rules[index].sources ?? sources.map(\.name)
            if applies.contains(where: { !withBrand.contains($0) }) { limited.rules[index].sources = applies.filter(withBrand.contains) }
        }
        return (limited, answerRulesOff { !withBrand.contains($0) })
    }

    /// For each rule about the brand's answer, the sources it applies to that `isOff` names:
    /// where watch and replay look for no answer, and say so.
    private func answerRulesOff(where isOff: (String) -> Bool) -> [(rule: String, sources: [String])] {
        rules.filter(\.when.readsAnswer).compactMap { rule in
            let off = (rule.sources ?? sources.map(\.name)).filter(isOff)
            return off.isEmpty ? nil : (rule.name, off)
        }
    }

    /// The config as `replay` runs it on a recording, so that it pages what the watch that made
    /// the recording paged: on a source the config names without brand accounts, nobody looked for
    /// the brand's answers, so none of its posts is unanswered (`answersUnseen`) and the rules
    /// about the answer cannot hold there. Unless the recording holds the brand's answers on that
    /// source (written by a watch with other `brand_accounts`, or by hand): then they are read.
    /// A source the config does not name keeps every rule, as a recording written by hand expects.
    /// - Parameter answeredOn: the sources the recording holds an answer line for.
    /// - Returns: the config, and for each rule about the answer the sources it is off for.
    package func answersAsRecorded(answeredOn: Set<String>) -> (config: Config, off: [(rule: String, sources: [String])]) {
        var replayed = self
        let unseen = Set(sources.filter { $0.brandAccounts.isEmpty }.map(\.name)).subtracting(answeredOn)
        replayed.answersUnseen = unseen
        return (replayed, answerRulesOff(where: unseen.contains))
    }

    package func source(named name: String) -> SourceConfig? {
        sources.first { $0.name == name }
    }

    package func sink(named name: String) -> SinkConfig? {
        sinks.first { $0.name == name }
    }
}
