import ForeshockConfig
import ForeshockCore
import ForeshockSupport
import Foundation

/// Notifications and replay summaries as people read them on a terminal.
package enum AlertText {
    /// The headline's word for what changed: the console line's and the templates' `{{status}}`.
    package static func status(_ note: AlertNotification) -> String {
        if note.state == .resolved { return "RESOLVED" }
        switch note.reason {
        case .escalated: return "ESCALATED"
        case .deescalated: return "DE-ESCALATED"
        case .repeated: return "STILL FIRING"
        case .started, .resolved: return "FIRING"
        }
    }

    /// One notification as terminal lines. What came from the network (author, link, text) is
    /// written terminal-safe here, since `replay` prints these lines too and a recording may
    /// hold anything.
    package static func line(_ note: AlertNotification) -> String {
        let time = Timestamp.format(Date(timeIntervalSince1970: note.time))
        let state = (note.isTest ? "TEST " : "") + status(note)
        switch note.subject {
        case .volume(let source, let ratio, let z):
            return "\(time) \(state) \(note.severity.rawValue) \(note.rule) [\(source)] mention volume \(String(format: "%.1f", ratio))× the usual (\(String(format: "%.1f", z ?? 0)) σ above it)"
        case .sourceDown(let source, _, let message):
            return "\(time) \(state) \(note.severity.rawValue) \(note.rule) [\(source)] \(SafeText.terminal(message))"
        case .post:
            break
        }
        let predicted = note.supercritical ? "supercritical" : note.predicted.map { "predicted \(NumberText.whole($0))" } ?? "no prediction yet"
        var line = "\(time) \(state) \(note.severity.rawValue) \(note.rule) [\(SafeText.terminal(note.key.source))] \(SafeText.terminal(note.author ?? "?")): \(note.reshares) reshares, \(predicted), \(String(format: "%.1f", note.velocityPerMin))/min, reach \(NumberText.whole(note.reach))\(note.reachAssumed > 0 ? ", \(note.reachAssumed) of its reshares at an assumed audience" : "")"
        if let unanswered = note.unansweredFor, note.complaint { line += ", unanswered for \(DurationText.format(unanswered))" }
        if let url = WebLink.safe(note.url) { line += " \(url)" }
        if let why = note.why, note.state == .firing { line += "\n    why: \(SafeText.terminal(why))" }
        if let held = note.held { line += "\n    held: \(held)" }
        if let excerpt = note.excerpt {
            let flat = excerpt.replacingOccurrences(of: "\n", with: " ")
            line += "\n    \"\(SafeText.terminal(SafeText.cut(flat, 140)))\""
        }
        return line
    }
}
