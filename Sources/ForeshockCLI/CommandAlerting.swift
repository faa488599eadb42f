import ForeshockConfig
import ForeshockDelivery
import ForeshockSupport
import Foundation

/// The notification side of a command: the config's sinks checked, the outbox and silences in
/// the state directory (`--state-dir`, else `state_dir`), one `Notifier` over them.
package enum CommandAlerting {
    /// The state directory a command uses.
    static func stateDir(_ arguments: ParsedArguments, config: Config?) -> String {
        arguments[.stateDir] ?? config?.stateDir ?? "./state"
    }

    /// The state directory of a watch that a command reads (status, silence): it must be there,
    /// or the command would answer "none" about a place no watch writes.
    /// - Throws: `CommandError` (runtime) saying what is there instead.
    static func existingStateDir(_ arguments: ParsedArguments, config: Config?, command: String) throws(CommandError) -> String {
        let stateDir = stateDir(arguments, config: config)
        switch FileManager.default.isDirectory(atPath: stateDir) {
        case true?: return stateDir
        case false?: throw CommandError(.runtime, "foreshock \(command): \(stateDir) is a file, not a state directory; give the watch process's with --state-dir DIR.")
        case nil: throw CommandError(.runtime, "foreshock \(command): there is no state directory at \(stateDir); give the watch process's with --state-dir DIR, or its config with --config FILE.")
        }
    }

    /// - Parameters:
    ///   - stateDir: nil keeps the outbox in memory (nothing survives the process).
    /// - Throws: `CommandError` (config) for a sink that cannot work, (runtime) for a state
    ///   directory that cannot be written.
    ///   - sharing: a notifier being replaced (config reload): its outbox and log are taken over.
    package static func notifier(config: Config, stateDir: String?, terminal: Terminal, command: String,
                         policy: RetryPolicy = RetryPolicy(), logger: Logger, sharing previous: Notifier? = nil, silenceCommands: Bool = true) throws(CommandError) -> Notifier {
        let sinks: SinkSet
        do { sinks = try SinkSet(config: config, terminal: terminal, silenceCommands: silenceCommands) } catch {
            throw CommandError(.config, "foreshock \(command): \(error.description)")
        }
        let outbox: Outbox
        do { outbox = try previous?.outbox ?? Outbox(directory: stateDir) } catch {
            throw CommandError(.runtime, "foreshock \(command): cannot use the state directory \(stateDir ?? "-"): \(SystemReason.of(error))")
        }
        if outbox.unreadable > 0 {
            logger.error("outbox lines that could not be read were skipped; the file was kept for inspection",
                         [("count", "\(outbox.unreadable)"), ("moved_to", outbox.movedAside ?? "-")])
        }
        let silences = SilenceStore(configured: config.silences, stateDir: stateDir, replacing: previous?.silences)
        if let problem = silences.startupProblem { logger.error("the silences file could not be read; starting without its silences", [("problem", problem)]) }
        if silences.skippedEntries > 0 { logger.warning("entries of the silences file could not be read; they were left out", [("entries", "\(silences.skippedEntries)")]) }
        if let problem = silences.keptProblem { logger.error("the silences file could not be read; the silences read before stay in force", [("problem", problem)]) }
        let log = previous?.log ?? NotificationLog(directory: stateDir)
        if previous == nil, log.unreadable > 0 {
            // What it lost, it no longer knows was told: those alerts may be announced again.
            logger.error("notification log lines that could not be read were dropped; alerts they recorded may be announced again; the file was kept for inspection",
                         [("count", "\(log.unreadable)"), ("copied_to", log.copiedAside ?? "-")])
        }
        // A reload's notifier resumes the outbox only once the one it replaces has handed over.
        return Notifier(sinks: sinks, alerting: config.alerting, silences: silences, outbox: outbox,
                        log: log, policy: policy, logger: logger, webURL: config.web?.externalURL, resume: previous == nil)
    }
}
