import ForeshockConfig
import ForeshockCore
import ForeshockSupport
import Foundation

/// One placeholder's value: text, or a number (bare in JSON, formatted elsewhere), or a flag.
package enum TemplateValue: Sendable {
    case text(String)
    case number(Double?, String)
    case flag(Bool)

    var text: String {
        switch self {
        case .text(let text), .number(_, let text): return text
        case .flag(let flag): return flag ? "yes" : "no"
        }
    }

    /// Whether a `{{#name}}` section shows: text that is not empty, a number that is known, a
    /// flag that is true.
    var isSet: Bool {
        switch self {
        case .text(let text): return !text.isEmpty
        case .number(let number, _): return number != nil
        case .flag(let flag): return flag
        }
    }
}

/// What a template can show about one alert: every `{{name}}` and its value.
package struct TemplateValues: Sendable {
    /// From how long unanswered a complaint's headline says so: as its why does, so that an
    /// `unanswered-complaint` page whose rule waits only minutes says what it is about.
    static let unansweredSaid: Double = 60

    /// The names a template may use.
    package static let names: Set<String> = Set(TemplateValues(AlertNotification.sample).values.keys)

    private var values: [String: TemplateValue]

    package subscript(name: String) -> TemplateValue { values[name] ?? .text("") }

    package init(_ note: AlertNotification) {
        func time(_ seconds: Double?) -> String { seconds.map { Timestamp.format(Date(timeIntervalSince1970: $0)) } ?? "unknown" }
        func count(_ value: Double?) -> TemplateValue { .number(value, value.map { NumberText.grouped($0) } ?? "unknown") }
        let author = note.author.map { SafeText.cut($0, 100) } ?? (note.isVolume ? note.key.source : "someone")
        let predicted: TemplateValue = note.supercritical
            ? .number(nil, "unbounded (supercritical: it is still accelerating)")
            : count(note.predicted.map { $0.rounded() })
        let age = note.createdAt.map { max(0, note.time - $0) }
        let state = AlertText.status(note)
        let what: String
        switch note.subject {
        case .volume(let source, let ratio, _):
            what = "mentions on \(source) at \(String(format: "%.1f", ratio))× the usual volume"
        case .sourceDown(let source, _, _):
            what = note.state == .resolved ? "source \(source) answers again" : "source \(source) is not answering"
        case .post where note.state == .resolved:
            what = note.closedAtRecordingEnd ? "the recording ended with \(author)'s post still firing" : "\(author)'s post has calmed down"
        case .post:
            let heading = note.supercritical ? "still accelerating" : "heading for \(NumberText.grouped((note.predicted ?? Double(note.reshares)).rounded()))"
            // A complaint the brand has left unanswered says so where a pager shows only this
            // line (PagerDuty's summary, a mail's subject).
            let post = note.complaint && (note.unansweredFor ?? 0) >= Self.unansweredSaid
                ? "\(author)'s complaint, unanswered for \(DurationText.format(note.unansweredFor ?? 0)),"
                : "\(author)'s post"
            // A reminder of a post that has stopped (an unanswered complaint) is not "spreading".
            what = note.velocityPerMin > 0
                ? "\(post) is spreading: \(NumberText.grouped(Double(note.reshares))) reshares, \(heading)"
                : "\(post) has \(NumberText.grouped(Double(note.reshares))) reshares, none in the last \(Self.spoken(note.post?.velocityWindow ?? 300)), \(heading)"
        }
        let answered = note.unansweredFor == nil, watched = note.post?.answerWatched ?? true
        values = [
            "alert_key": .text(note.alertKey),
            "state": .text(note.state.rawValue),
            "reason": .text(note.reason.rawValue),
            "status": .text(state),
            "severity": .text(note.severity.rawValue),
            "severity_upper": .text(note.severity.rawValue.uppercased()),
            "rule": .text(note.rule),
            "source": .text(note.source),
            "post": .text(note.post == nil ? "" : note.key.id),
            "url": .text(WebLink.safe(note.url) ?? ""),
            "author": .text(author),
            "author_followers": count(note.authorFollowers),
            "text": .text(SafeText.cut(note.excerpt ?? "", 500)),
            "reshares": .number(Double(note.reshares), NumberText.grouped(Double(note.reshares))),
            "replies": count(note.replies.map(Double.init)),
            "likes": count(note.likes.map(Double.init)),
            "sparkline": .text(Self.sparkline(note.growth)),
            "velocity": .number((note.velocityPerMin * 10).rounded() / 10, String(format: "%.1f", note.velocityPerMin)),
            "velocity_window": .text(Self.spoken(note.post?.velocityWindow ?? 300)),
            "reach": count(note.reach.rounded()),
            "reach_assumed": .number(note.post == nil ? nil : Double(note.reachAssumed), note.post == nil ? "" : String(note.reachAssumed)),
            "reach_note": .text(note.reachNote),
            "predicted": predicted,
            "why": .text(note.why ?? ""),
            "held": .text(note.held ?? (note.state == .resolved ? "no rule holds any more" : "")),
            "watching": .text(note.watching ?? note.source),
            "silence_command": .text(note.silenceCommand ?? ""),
            "page_url": .text(WebLink.safe(note.pageURL) ?? ""),
            "page_hint": .text(WebLink.safe(note.pageURL).map { " · live page: " + $0 } ?? ""),
            "supercritical": .flag(note.supercritical),
            "volume_ratio": .number(note.volumeRatio, note.volumeRatio.map { String(format: "%.1f×", $0) } ?? ""),
            "volume_z": .number(note.volumeZ, note.volumeZ.map { String(format: "%.1f σ", $0) } ?? ""),
            "age": .text(age.map(DurationText.format) ?? "unknown"),
            "age_seconds": .number(age.map { $0.rounded(.down) }, age.map { String(Int($0)) } ?? "unknown"),
            // Only a post can be answered: a volume spike or a source that is down has no answer
            // to speak of (null, and no text), not a "yes".
            // Where nobody looks for the brand's answers, no one knows: neither yes nor no.
            "answered": note.post == nil || !watched ? .number(nil, "") : .flag(answered),
            "answered_text": .text(note.post == nil ? "" : !watched ? "not looked for: the source names no brand_accounts"
                : answered ? "yes, the brand has replied" : "NOT YET" + (note.unansweredFor.map { " (" + DurationText.format($0) + " since the post)" } ?? "")),
            "complaint": .flag(note.complaint),
            "first_seen": .text(time(note.createdAt)),
            "fired_at": .text(time(note.firedAt ?? note.time)),
            "time": .text(time(note.time)),
            "headline": .text(SafeText.cut((note.isTest ? "TEST: " : "") + "\(state): \(what)", 200)),
            "test": .flag(note.isTest),
            // How to answer people; a source that stopped answering needs none of it.
            "advice": .text(note.isSourceDown ? "" : note.state == .resolved
                ? "No rule holds any more. If you answered, check the replies once more."
                : "Answer in public, with empathy, within the hour: acknowledge the problem in your own words, say what you will do and by when. Then move the details to a private channel (DM or email). Do not argue, do not paste a template."),
        ]
    }

    /// A window as a sentence says it: "5 minutes", "1 minute", "90 seconds", "2 hours".
    static func spoken(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        for (size, unit) in [(3600, "hour"), (60, "minute"), (1, "second")] where whole >= size && whole % size == 0 {
            return "\(whole / size) \(unit)\(whole / size == 1 ? "" : "s")"
        }
        return "\(whole) seconds"
    }

    /// Growth as ▁▂▃▄▅▆▇█, scaled to its own maximum.
    static func sparkline(_ values: [Int]) -> String {
        let bars = Array("▁▂▃▄▅▆▇█")
        guard let top = values.max(), top > 0 else { return String(repeating: "▁", count: values.count) }
        return String(values.map { bars[min(7, Int((Double($0) / Double(top) * 7).rounded()))] })
    }
}

extension AlertNotification {
    /// The alert `test-alert` sends: the sample, marked as a test everywhere, under a key no
    /// real alert has (so PagerDuty opens an incident of its own, which test-alert resolves),
    /// naming the config's own most severe rule with its conditions.
    package static func test(rules: [RuleConfig], sources: [SourceConfig] = []) -> AlertNotification {
        var note = sample
        let rule = rules.first { $0.severity == .critical } ?? rules.first
        let id = "test-alert-" + UUID().uuidString.lowercased().prefix(8)
        if let post = note.post { note.subject = .post(PostKey(source: "foreshock", id: String(id)), post) }
        note.rule = rule?.name ?? "test-alert"
        note.severity = rule?.severity ?? .critical
        note.held = rule.map { "the config's rule, as it reads: \($0.when.text)" } ?? "no rule in the config"
        // What this config watches, not the sample's #acme.
        if !sources.isEmpty { note.watching = sources.map(\.watching).joined(separator: "; ") }
        note.isTest = true
        return note
    }

    /// The alerts a JSON template is checked against at start: the sample, and what shows or
    /// leaves out every section (a post with nothing but its id, a resolution, a supercritical
    /// post, a volume spike, a source that is down), each named for the error.
    package static var shapes: [(String, AlertNotification)] {
        let sample = AlertNotification.sample
        var bare = sample
        bare.post = AlertNotification.PostSnapshot(reshares: 0)
        bare.why = nil
        bare.held = nil
        var resolved = sample
        resolved.reason = .resolved
        var supercritical = sample
        supercritical.post?.supercritical = true
        supercritical.post?.predicted = nil
        let volume = AlertNotification(.volume(source: "mastodon", ratio: 4.5, z: 6), time: sample.time, rule: "volume", severity: .warning, reason: .started, sinks: [])
        let down = AlertNotification(.sourceDown(source: "mastodon", since: sample.time - 900, message: "Source mastodon has failed for 15 min: HTTP 503."),
                                     time: sample.time, rule: "source-down", severity: .critical, reason: .started, sinks: [], firedAt: sample.time - 900)
        return [("the sample alert", sample), ("a post with no link, text or numbers", bare), ("a resolution", resolved),
                ("a supercritical post", supercritical), ("a volume spike", volume), ("a source that is down", down)]
    }

    /// The alert templates are checked against at start, and the README shows.
    package static var sample: AlertNotification {
        let now = Date().timeIntervalSince1970.rounded()
        let post = AlertNotification.PostSnapshot(
            reshares: 412, predicted: 2350, velocityPerMin: 14.2, reach: 1_284_000, author: "dana@example.social",
            url: "https://example.social/@dana/113456789012345678",
            excerpt: "This is a test alert from Foreshock. @acme lost my bag twice and support says \"have a nice day\"?!",
            complaint: true, unansweredFor: 1980, authorFollowers: 2290, createdAt: now - 1980, replies: 37, likes: 890,
            growth: [3, 9, 24, 61, 120, 208, 301, 412])
        return AlertNotification(.post(PostKey(source: "mastodon", id: "113456789012345678"), post), time: now, rule: "going-viral",
                                 severity: .critical, reason: .started, sinks: [], firedAt: now,
                                 why: "kept 14.2 reshares a minute for 10.0 minutes, evenly, from an author with 2,290 followers; "
                                    + "its resharers reach 560× the author's audience; a complaint unanswered for 33m",
                                 held: "predicted 2,350 ≥ 1,000; 412 reshares ≥ 5; age 33m ≤ 30d", watching: "mastodon #acme")
    }
}
