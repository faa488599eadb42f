import Foundation

/// Everything Foreshock is told by its config file.
public struct Config: Sendable {
    public var stateDir = "./state"
    /// Where Prometheus metrics are written; nil means `<state_dir>/foreshock.prom`.
    public var metricsFile: String?
    /// Seconds allowed to finish deliveries at shutdown.
    public var shutdownTimeout = 10.0
    /// A source failing this long raises its own alert.
    public var sourceDownAfter = 600.0
    /// A folder of templates that overrides the compiled-in `alerts/`.
    public var templatesDir: String?
    public var sources: [SourceConfig] = []
    public var scoring = ScoringConfig()
    public var rules: [RuleConfig] = []
    public var alerting = AlertingConfig()
    public var silences: [SilenceConfig] = []
    public var sinks: [SinkConfig] = []

    public init() {}

    /// The metrics file, with its default filled in.
    public var resolvedMetricsFile: String {
        metricsFile ?? (stateDir as NSString).appendingPathComponent("foreshock.prom")
    }

    /// Everything in the config that is, or holds, a credential: what logs, status, the state
    /// directory and metrics must never show in clear.
    public var redactor: Redactor {
        sources.map(\.redactor).reduce(Redactor()) { $0.merged(with: $1) }
            .merged(with: sinks.map(\.redactor).reduce(Redactor()) { $0.merged(with: $1) })
    }

    public func source(named name: String) -> SourceConfig? {
        sources.first { $0.name == name }
    }

    public func sink(named name: String) -> SinkConfig? {
        sinks.first { $0.name == name }
    }
}
