import ForeshockConfig
import ForeshockCore
import ForeshockSupport
import Foundation

/// `replay --report` and `eval --report`: one self-contained HTML page for a person deciding on
/// thresholds. Per rule: pages, pages a day, how early it fired for the posts that reached the
/// target and how often for posts that stayed small; per post worth a look, its curve.
///
/// Everything a post brings (text, author, link) is escaped, and the page carries a
/// Content-Security-Policy that allows no script at all: it has none, so a mistake in escaping
/// still could not run one. No external file of any kind, so it opens with no network.
package enum BacktestReport {
    /// One view of posts: a recording's replay, or one of `eval`'s views of the shared cascades.
    package struct Section: Sendable {
        package var title: String
        /// A sentence on what the posts are.
        package var about: String
        package var rules: [RuleConfig]
        package var backtest: Backtest
        /// The sampled curve of each post drawn, and the posts drawn, in order.
        package var series: [PostKey: [SeriesPoint]]
        package var drawn: [PostKey]
        /// Whether pages a day mean something (a recording), or the posts were laid side by side (eval).
        package var perDay: Bool

        /// The posts worth drawing: those alerted on, the ones that paged (critical) first, each
        /// group largest first (at most `alerted`), then the `largest` that never alerted.
        package static func drawn(_ backtest: Backtest, alerted: Int = 60, largest: Int = 10) -> [PostKey] {
            var severity: [PostKey: Severity] = [:], keys: [PostKey] = []
            for note in backtest.notes where note.isPost {
                if severity[note.key] == nil { keys.append(note.key) }
                severity[note.key] = max(severity[note.key] ?? note.severity, note.severity)
            }
            func rank(_ key: PostKey) -> (Int, Int) { (severity[key] == .critical ? 1 : 0, backtest.outcomes[key]?.reshares ?? 0) }
            keys.sort { (rank($0).0, rank($0).1, $1) > (rank($1).0, rank($1).1, $0) }
            return Array(keys.prefix(alerted)) + backtest.largestNotAlerted(largest).map(\.key)
        }

        /// A recording's section: replayed once more to sample the posts it draws.
        package static func replay(_ recording: Recording, config: Config, backtest: Backtest, alerted: Int = 60, largest: Int = 10) -> Section {
            let name = recording.name
            let keys = drawn(backtest, alerted: alerted, largest: largest)
            // The outcomes are the backtest's already: only the drawn posts' scores are wanted.
            let replay = Replay(config: config, target: backtest.target, sample: Set(keys), tracksOutcomes: false) { _ in }
            replay.play(recording) { _ in }
            _ = replay.finish()
            return Section(title: "Replay of \(name)", about: "Every notification the watch process would have sent on this recording, "
                + "judged by what each post reached by its end.", rules: config.rules, backtest: backtest, series: replay.series,
                drawn: keys, perDay: true)
        }
    }

    /// The whole page.
    /// - Parameters:
    ///   - sweep: a sweep's table, shown with the first section.
    package static func render(_ sections: [Section], title: String, sweep: SweepRun.Table? = nil) -> String {
        var html = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(HTMLText.escape(clean(title)))</title>
        <style>\(style)</style></head><body>
        <h1>\(HTMLText.escape(clean(title)))</h1>

        """
        html += "<p class=\"legend\">In each chart: <span class=\"k reshares\"></span> reshares, <span class=\"k predicted\"></span> the calibrated "
            + "prediction rules read (at the top while supercritical), <span class=\"k band\"></span> the range raw SEISMIC gives (its prediction at "
            + "either end of p̂'s 90% interval), <span class=\"k target\"></span> the target; <b class=\"fired\">F</b> fired, "
            + "<b class=\"escalated\">E</b> escalated, <b class=\"deescalated\">D</b> de-escalated, <b class=\"repeated\">+</b> repeated, <b class=\"resolved\">✓</b> resolved. "
            + "Time from the post and reshares, both on log scales. A page is a firing notification (started, escalated, de-escalated or repeated).</p>\n"
        for (index, section) in sections.enumerated() {
            html += render(section, number: index, sweep: index == 0 ? sweep : nil)
        }
        return html + "</body></html>\n"
    }

    private static func render(_ section: Section, number: Int, sweep: SweepRun.Table?) -> String {
        let b = section.backtest, target = NumberText.grouped(Double(b.target)), tenth = NumberText.grouped(Double(b.target / 10))
        let reached = b.reachedTarget
        var html = "<section class=\"view\"><h2>\(HTMLText.escape(clean(section.title)))</h2>\n"
        html += "<p>\(HTMLText.escape(section.about)) \(NumberText.count(b.posts, "post")), \(NumberText.count(b.observations, "observation"))"
            + (section.perDay ? " over \(DurationText.short(b.outcomes.span))" : "") + (b.malformed > 0 ? ", \(b.malformed) lines skipped" : "")
            + "; \(NumberText.count(reached, "post")) reached the target of \(target) reshares.</p>\n"
        // Per rule.
        html += "<table class=\"rules\"><thead><tr><th>Rule</th><th>Severity</th><th>Conditions</th><th>Posts alerted</th><th>Notifications</th><th>Pages</th>"
            + (section.perDay ? "<th>Pages a day</th>" : "")
            + "<th>Caught before \(target)</th><th>Median lead</th><th>Median reshares at the alert</th><th>Stayed under \(tenth)</th></tr></thead><tbody>\n"
        for rule in section.rules {
            let f = b.figures([rule])
            let conditions: String = rule.when.parts.map { HTMLText.escape($0) }.joined(separator: "<br>")
            html += "<tr><td>\(HTMLText.escape(rule.name))</td><td class=\"\(rule.severity.rawValue)\">\(rule.severity.rawValue)</td>"
                + "<td class=\"conditions\">\(conditions)</td><td>\(f.alerted.count)</td><td>\(f.notifications)</td><td>\(f.pages)</td>"
                + (section.perDay ? "<td>\(f.pagesPerDay.map(NumberText.rate) ?? "–")</td>" : "")
                + "<td>\(f.caughtBefore) of \(f.reachedTarget)</td><td>\(f.medianLead.map(DurationText.short) ?? "–")</td>"
                + "<td>\(f.medianResharesAtAlert.map { NumberText.grouped($0.rounded()) } ?? "–")</td><td>\(f.stayedSmall) of \(f.alerted.count)</td></tr>\n"
        }
        html += "</tbody></table>\n"
        if let sweep { html += render(sweep, perDay: section.perDay) }
        html += alertedTable(section, number: number)
        // Per post.
        if !section.drawn.isEmpty {
            html += "<h3>Posts</h3>\n"
            // The notes sorted out by post once, not searched through once per card.
            let notes = Dictionary(grouping: section.backtest.notes.filter(\.isPost), by: \.key)
            for (index, key) in section.drawn.enumerated() { html += card(section, key: key, notes: notes[key] ?? [], id: "v\(number)-p\(index)") }
        }
        return html + "</section>\n"
    }

    /// Every alerted post in a table (at most 500 rows), each linking to its chart when drawn.
    private static func alertedTable(_ section: Section, number: Int) -> String {
        let b = section.backtest
        // The first alert on each post, under any rule, and every rule that started or escalated one.
        let alerted = b.figures(section.rules).alerted
        guard !alerted.isEmpty else { return "<p>No post was alerted on.</p>\n" }
        var rules: [PostKey: [String]] = [:]
        for note in b.notes where note.isPost && (note.reason == .started || note.reason == .escalated) && !(rules[note.key] ?? []).contains(note.rule) {
            rules[note.key, default: []].append(note.rule)
        }
        let drawn = Dictionary(section.drawn.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        var html = "<h3>Alerted posts</h3><table class=\"posts\"><thead><tr><th>Post</th><th>Rules</th><th>First alert</th><th>Reshares then</th>"
            + "<th>Reshares at the end</th><th>Reached \(NumberText.grouped(Double(b.target)))</th><th>Lead</th></tr></thead><tbody>\n"
        for alert in alerted.prefix(500) {
            let post = b.outcomes[alert.key]
            let created = post?.createdAt ?? post?.firstSeen ?? alert.time
            var name = "<bdi>\(HTMLText.escape(clean(SafeText.cut(post?.author ?? alert.key.description, 80))))</bdi>"
            if let index = drawn[alert.key] { name = "<a href=\"#v\(number)-p\(index)\">\(name)</a>" }
            let reached = post.flatMap { b.outcomes.reachedWhileWatched($0) ? $0.reachedTarget : nil }
            html += "<tr><td>\(name) <span class=\"excerpt\" dir=\"auto\">\(HTMLText.escape(clean(SafeText.cut(post?.text ?? "", 90))))</span></td>"
                + "<td>\(HTMLText.escape((rules[alert.key] ?? []).joined(separator: ", ")))</td><td>+\(DurationText.short(alert.time - created))</td>"
                + "<td>\(NumberText.grouped(Double(alert.reshares)))</td><td>\(NumberText.grouped(Double(alert.final)))</td>"
                + "<td>\(reached.map { "+" + DurationText.short($0 - created) } ?? "–")</td>"
                + "<td>\(alert.lead.map { $0 >= 0 ? DurationText.short($0) + " ahead" : DurationText.short(-$0) + " late" } ?? "–")</td></tr>\n"
        }
        if alerted.count > 500 { html += "<tr><td colspan=\"7\">and \(alerted.count - 500) more</td></tr>\n" }
        return html + "</tbody></table>\n"
    }

    /// One post: who and what, its curve, and its alert's moments.
    private static func card(_ section: Section, key: PostKey, notes: [Backtest.Note], id: String) -> String {
        let b = section.backtest
        let post = b.outcomes[key]
        let points = section.series[key] ?? []
        let created = post?.createdAt ?? post?.firstSeen ?? points.first?.time ?? 0
        var markers: [SVGChart.Marker] = []
        var events: [String] = []
        for note in notes {
            let kind = note.reason == .started ? "fired" : note.reason.rawValue
            let label = "\(kind) \(note.rule) (\(note.severity.rawValue)) at +\(DurationText.short(note.time - created)), \(NumberText.grouped(Double(note.reshares))) reshares"
            markers.append(SVGChart.Marker(time: note.time, kind: kind, label: label))
            events.append(label)
        }
        // A recording's posts run to its end; an evaluation's cascades each to their own.
        let end = section.perDay ? max(b.outcomes.end ?? created, points.last?.time ?? created) : (points.last?.time ?? post?.lastSeen ?? created)
        let chart = SVGChart(points: points, createdAt: created, target: b.target, markers: markers, end: end).render()
        var html = "<article class=\"post\" id=\"\(id)\"><h4><bdi>\(HTMLText.escape(clean(SafeText.cut(post?.author ?? "unknown author", 80))))</bdi>"
        if let followers = post?.followers { html += " · \(NumberText.grouped(followers)) followers" }
        html += " · \(NumberText.count(post?.reshares ?? 0, "reshare")) by the end" + (notes.isEmpty ? " · never alerted" : "") + "</h4>\n"
        if let text = post?.text, !text.isEmpty { html += "<p class=\"text\" dir=\"auto\"><bdi>\(HTMLText.escape(clean(text), lineBreaks: true))</bdi></p>\n" }
        html += "<p class=\"key\">\(HTMLText.escape(clean(key.description)))"
        if let url = WebLink.safe(post?.url) { html += " · <a href=\"\(HTMLText.escape(url))\" rel=\"noopener noreferrer\">open the post</a>" }
        html += "</p>\n\(chart)\n"
        if !events.isEmpty { html += "<ul class=\"events\">" + events.map { "<li>\(HTMLText.escape($0))</li>" }.joined() + "</ul>\n" }
        return html + "</article>\n"
    }

    /// A sweep: its table, and each value as a point of pages a day (or pages) against posts caught.
    private static func render(_ sweep: SweepRun.Table, perDay: Bool) -> String {
        let target = NumberText.grouped(Double(sweep.target))
        let named = sweep.rules.count > 1
        var html = "<h3>Sweep</h3><table class=\"sweep\"><thead><tr>" + sweep.specs.map { "<th>\(HTMLText.escape($0.label))</th>" }.joined()
            + (named ? "<th>Rule</th>" : "") + "<th>Pages</th>" + (perDay ? "<th>Pages a day</th>" : "") + "<th>Caught before \(target)</th><th>Median lead</th>"
            + "<th>Median reshares at the alert</th><th>Stayed under \(NumberText.grouped(Double(sweep.target / 10)))</th></tr></thead><tbody>\n"
        let lines = sweep.lines
        for line in lines {
            let f = line.figures
            html += "<tr>" + zip(sweep.specs, line.values).map { "<td>\(HTMLText.escape($0.format($1)))</td>" }.joined()
                + (named ? "<td>\(HTMLText.escape(line.rule))</td>" : "") + "<td>\(f.pages)</td>" + (perDay ? "<td>\(f.pagesPerDay.map(NumberText.rate) ?? "–")</td>" : "")
                + "<td>\(f.caughtBefore) of \(f.reachedTarget)</td><td>\(f.medianLead.map(DurationText.short) ?? "–")</td>"
                + "<td>\(f.medianResharesAtAlert.map { NumberText.grouped($0.rounded()) } ?? "–")</td><td>\(f.stayedSmall) of \(f.alerted.count)</td></tr>\n"
        }
        html += "</tbody></table>\n"
        // The trade-off: pages against posts caught, one dot per value.
        let width = 480.0, height = 220.0, left = 48.0, bottom = 36.0, top = 18.0, right = 70.0
        // A recording too short for a rate a day is drawn by its pages.
        let daily = perDay && lines.allSatisfy { $0.figures.pagesPerDay != nil }
        let pages = lines.map { daily ? $0.figures.pagesPerDay ?? 0 : Double($0.figures.pages) }
        let most = max(1, pages.max() ?? 1), reached = max(1, lines.map(\.figures.reachedTarget).max() ?? 1)
        func x(_ value: Double) -> Double { left + value / most * (width - left - right) }
        func y(_ value: Double) -> Double { top + (1 - value / Double(reached)) * (height - top - bottom) }
        var svg = "<svg class=\"tradeoff\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"pages against posts caught\">"
        svg += "<line class=\"grid\" x1=\"\(left)\" x2=\"\(width - right)\" y1=\"\(height - bottom)\" y2=\"\(height - bottom)\"/>"
        svg += "<line class=\"grid\" x1=\"\(left)\" x2=\"\(left)\" y1=\"\(top)\" y2=\"\(height - bottom)\"/>"
        svg += "<text class=\"axis\" x=\"\((width + left) / 2)\" y=\"\(height - 6)\" text-anchor=\"middle\">\(daily ? "pages a day" : "pages") (up to \(NumberText.rate(most)))</text>"
        svg += "<text class=\"axis\" x=\"\(left - 6)\" y=\"\(top + 8)\" text-anchor=\"end\">\(reached)</text>"
        svg += "<text class=\"axis\" x=\"\(left - 6)\" y=\"\(height - bottom)\" text-anchor=\"end\">0</text>"
        // Values that land on the same dot share it and one label, not labels printed over each other.
        var dots: [(cx: String, cy: String, labels: [String])] = []
        for (line, value) in zip(lines, pages) {
            let label = zip(sweep.specs, line.values).map { $0.format($1) }.joined(separator: ", ") + (named ? " (\(line.rule))" : "")
            let cx = String(format: "%.1f", x(value)), cy = String(format: "%.1f", y(Double(line.figures.caughtBefore)))
            if let index = dots.firstIndex(where: { $0.cx == cx && $0.cy == cy }) { dots[index].labels.append(label) } else { dots.append((cx, cy, [label])) }
        }
        for dot in dots {
            let label = HTMLText.escape(dot.labels.joined(separator: "; "))
            svg += "<circle class=\"dot\" cx=\"\(dot.cx)\" cy=\"\(dot.cy)\" r=\"4\"><title>\(label)</title></circle>"
            // A dot on the right half has its label to its left, or the chart's edge would cut it.
            let leftward = (Double(dot.cx) ?? 0) > (left + width - right) / 2
            svg += "<text class=\"dot-label\" x=\"\(dot.cx)\" y=\"\(dot.cy)\" dx=\"\(leftward ? -6 : 6)\" dy=\"-6\"\(leftward ? " text-anchor=\"end\"" : "")>\(label)</text>"
        }
        return html + "<p class=\"caption\">Posts caught before \(target) (up) against pages (right), one dot per value\(named ? " and rule" : "").</p>" + svg + "</svg>\n"
    }

    private static func clean(_ text: String) -> String { SafeText.clean(text, keepLineBreaks: true) }

    private static let style = """
    body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1000px;padding:0 16px;color:#1d2330;line-height:1.4}
    h1{font-size:1.5em;margin-bottom:4px}h2{margin-top:32px;border-bottom:2px solid #dde;padding-bottom:4px}h4{margin:0 0 4px 0}
    table{border-collapse:collapse;margin:8px 0 16px 0;font-size:.9em;width:100%;display:block;overflow-x:auto}th,td{border-bottom:1px solid #e4e6ee;padding:4px 8px;text-align:left;vertical-align:top}
    th{background:#f3f4f8;font-size:.85em}td.critical{color:#b3261e;font-weight:600}td.warning{color:#9a6700}td.conditions{font-family:ui-monospace,monospace;font-size:.8em;white-space:nowrap}
    .excerpt{color:#555}.post{border:1px solid #e4e6ee;border-radius:6px;padding:10px 12px;margin:12px 0;break-inside:avoid}
    .text{white-space:pre-wrap;overflow-wrap:anywhere;max-height:9em;overflow:hidden;margin:4px 0}.key{color:#666;font-size:.85em;margin:2px 0;overflow-wrap:anywhere}
    svg.chart{width:100%;height:auto;max-width:720px;display:block}svg.tradeoff{width:100%;max-width:480px;height:auto}
    .dot{fill:#1f5fbf}.dot-label{font-size:10px;fill:#333}.events{font-size:.85em;color:#444;margin:4px 0 0 0}
    .legend .k{display:inline-block;width:18px;height:0;vertical-align:middle;margin:0 2px}.k.reshares{border-top:2px solid #1d2330}
    .k.predicted{border-top:2px dashed #1f5fbf}.k.band{height:8px;background:#9cc3f5}.k.target{border-top:1px dashed #b3261e}
    @media print{body{max-width:none;margin:0}.post{break-inside:avoid}a{color:inherit}h2{break-after:avoid}}
    """ + SVGChart.style
}

extension BacktestReport.Section {
    /// One of `eval`'s views: its cascades side by side, judged by the first critical alert
    /// `CascadeEvaluation` saw on each (eval's own results), and the posts drawn replayed
    /// on their own (at most their first `horizon` seconds) to sample their curves.
    package static func evaluation(_ cascades: [CascadeEvaluation.Cascade], results: [CascadeEvaluation.Result], view: CascadeEvaluation.View,
                                   title: String, about: String, evaluation: CascadeEvaluation, alerted: Int = 30, largest: Int = 6,
                                   horizon: Double = 7 * 86400) -> Self {
        let start = 1_600_000_000.0
        var posts: [PostOutcomes.Post] = [], notes: [Backtest.Note] = []
        for (cascade, result) in zip(cascades, results) {
            let key = PostKey(source: "eval", id: cascade.name)
            posts.append(PostOutcomes.Post(key: key, firstSeen: start, createdAt: start, author: cascade.name, followers: cascade.followers?.first ?? nil,
                                           reshares: cascade.times.count, reachedTarget: result.reachedAt.map { start + $0 },
                                           lastSeen: start + (cascade.times.last ?? 0)))
            if let at = result.alertAt {
                notes.append(Backtest.Note(key: key, rule: "any critical rule", severity: .critical, reason: .started, time: start + at,
                                           reshares: result.resharesAtAlert ?? 0))
            }
        }
        let end = posts.map(\.lastSeen).max() ?? start
        let backtest = Backtest(outcomes: PostOutcomes(target: evaluation.target, posts: posts, start: start, end: end), notes: notes,
                                observations: cascades.reduce(0) { $0 + $1.times.count })
        let keys = drawn(backtest, alerted: alerted, largest: largest)
        let byName = Dictionary(cascades.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var series: [PostKey: [SeriesPoint]] = [:]
        for key in keys {
            guard let cascade = byName[key.id] else { continue }
            let replay = Replay(config: evaluation.config, shards: 1, target: evaluation.target, sample: [key], tracksOutcomes: false,
                                calibration: evaluation.calibration) { _ in }
            for observation in evaluation.observations(cascade, view: view, start: start, horizon: horizon) { replay.add(observation) }
            _ = replay.finish()
            series[key] = replay.series[key]
        }
        let critical = evaluation.config.rules.filter { $0.severity == .critical }.map(\.name).joined(separator: ", ")
        return Self(title: title, about: about + " A post is alerted when a critical rule (\(critical)) first fires on it.",
                    rules: [RuleConfig(name: "any critical rule", severity: .critical, when: RuleConditions())], backtest: backtest,
                    series: series, drawn: keys, perDay: false)
    }
}
