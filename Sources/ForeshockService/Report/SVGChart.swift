import ForeshockConfig
import ForeshockSupport
import Foundation

/// One post's curve as inline SVG: reshares over time, the calibrated prediction, the band raw
/// SEISMIC gives, the target, and the moments its alert fired, escalated and resolved. Drawn
/// by Foreshock, no chart library: the report must open with no network.
///
/// Both axes are logarithmic: time from the post's creation (an early alert fires in its first
/// minutes, and a post may go on for days), and reshares (a prediction can be a hundred times
/// the reshares seen, and both must read).
struct SVGChart {
    struct Marker {
        var time: Double
        /// "fired", "escalated", "deescalated", "repeated" or "resolved": its colour and letter.
        var kind: String
        var label: String
    }

    static let width = 720.0, height = 240.0
    static let left = 56.0, right = 14.0, top = 12.0, bottom = 30.0

    var points: [SeriesPoint]
    var createdAt: Double
    var target: Int
    var markers: [Marker]
    /// The time the chart runs to (the end of the recording, if the post was seen that long).
    var end: Double

    /// The chart's classes, for the page it stands in (and inside a standalone SVG).
    static let style = """
    .grid{stroke:#e6e8ef;stroke-width:1}.axis{font-size:10px;fill:#666;font-family:sans-serif}.band{fill:#9cc3f5;fill-opacity:.35;stroke:none}
    .predicted{fill:none;stroke:#1f5fbf;stroke-width:1.6;stroke-dasharray:5 3}.reshares{fill:none;stroke:#1d2330;stroke-width:2}
    .target{stroke:#b3261e;stroke-width:1;stroke-dasharray:2 3}.mark{stroke-width:1.5}.mark-label{font-size:10px;font-weight:700;font-family:sans-serif}
    .fired{stroke:#b3261e;fill:#b3261e;color:#b3261e}.escalated{stroke:#e8710a;fill:#e8710a;color:#e8710a}.deescalated{stroke:#b08900;fill:#b08900;color:#b08900}
    .repeated{stroke:#999;fill:#999;color:#999}.resolved{stroke:#1e8e3e;fill:#1e8e3e;color:#1e8e3e}
    """

    /// The chart as a file of its own (`image/svg+xml`), its styles inside.
    func standalone() -> String {
        var svg = render()
        svg = svg.replacingOccurrences(of: "<svg class=\"chart\"", with: "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\"")
        if let close = svg.range(of: ">") { svg.insert(contentsOf: "<style>\(Self.style)</style>", at: close.upperBound) }
        return svg
    }

    func render() -> String {
        let span = max(60, end - createdAt, (points.last?.time ?? createdAt) - createdAt)
        // The band's top can be any size: it may widen the scale to ten times what the curves reach.
        let curves = points.reduce(Double(max(10, target))) { top, p in max(top, Double(p.reshares), p.predicted ?? 0) }
        let highest = points.reduce(curves) { top, p in max(top, min(p.bandLow ?? 0, curves * 10), min(p.bandHigh ?? 0, curves * 10)) }
        let decades = max(1, Int(log10(highest).rounded(.up)))
        let yMax = pow(10, Double(decades))
        let plotWidth = Self.width - Self.left - Self.right, plotHeight = Self.height - Self.top - Self.bottom
        // Time on a log scale from the post (log of 1 + minutes): the first minutes, when an early
        // alert fires, get as much room as the days after.
        let scale = log10(1 + span / 60)
        func x(_ time: Double) -> Double { Self.left + max(0, min(1, log10(1 + max(0, time - createdAt) / 60) / scale)) * plotWidth }
        func y(_ value: Double) -> Double {
            Self.top + plotHeight * (1 - log10(max(1, min(value, yMax))) / Double(decades))
        }
        func n(_ value: Double) -> String { String(format: "%.1f", value) }

        var svg = "<svg class=\"chart\" viewBox=\"0 0 \(Int(Self.width)) \(Int(Self.height))\" role=\"img\" aria-label=\"reshares and prediction over time\">"
        // Grid and axes: a line per decade, about six times along the bottom.
        for decade in 0...decades {
            let value = pow(10, Double(decade)), line = y(value)
            svg += "<line class=\"grid\" x1=\"\(n(Self.left))\" x2=\"\(n(Self.width - Self.right))\" y1=\"\(n(line))\" y2=\"\(n(line))\"/>"
            svg += "<text class=\"axis\" x=\"\(n(Self.left - 6))\" y=\"\(n(line + 4))\" text-anchor=\"end\">\(Self.short(value))</text>"
        }
        var lastLabel = -Double.infinity
        for tick in Self.ticks where tick <= span {
            let at = x(createdAt + tick)
            guard at - lastLabel >= 34 else { continue }
            lastLabel = at
            svg += "<line class=\"grid\" x1=\"\(n(at))\" x2=\"\(n(at))\" y1=\"\(n(Self.top))\" y2=\"\(n(Self.height - Self.bottom))\"/>"
            svg += "<text class=\"axis\" x=\"\(n(at))\" y=\"\(n(Self.height - Self.bottom + 16))\" text-anchor=\"middle\">\(tick == 0 ? "0" : DurationText.short(tick))</text>"
        }
        // SEISMIC's band, one polygon per run of points that have one.
        var run: [SeriesPoint] = []
        func closeBand() {
            defer { run.removeAll() }
            guard run.count >= 2 else { return }
            let upper = run.map { "\(n(x($0.time))),\(n(y($0.bandHigh ?? yMax)))" }
            let lower = run.reversed().map { "\(n(x($0.time))),\(n(y($0.bandLow ?? 1)))" }
            svg += "<polygon class=\"band\" points=\"\((upper + lower).joined(separator: " "))\"/>"
        }
        for point in points {
            if point.bandLow != nil { run.append(point) } else { closeBand() }
        }
        closeBand()
        // The target.
        let targetY = y(Double(target))
        svg += "<line class=\"target\" x1=\"\(n(Self.left))\" x2=\"\(n(Self.width - Self.right))\" y1=\"\(n(targetY))\" y2=\"\(n(targetY))\"/>"
        // The calibrated prediction (at the top while supercritical), and the reshares as steps.
        let predicted = points.compactMap { p -> String? in
            guard p.predicted != nil || p.supercritical else { return nil }
            return "\(n(x(p.time))),\(n(y(p.predicted ?? yMax)))"
        }
        if predicted.count >= 2 { svg += "<polyline class=\"predicted\" points=\"\(predicted.joined(separator: " "))\"/>" }
        var steps: [String] = []
        var previous: Double?
        for point in points {
            let at = x(point.time), level = y(Double(max(1, point.reshares)))
            if let previous { steps.append("\(n(at)),\(n(previous))") }
            steps.append("\(n(at)),\(n(level))")
            previous = level
        }
        if let previous, let last = points.last, end > last.time { steps.append("\(n(x(end))),\(n(previous))") }
        if steps.count >= 2 { svg += "<polyline class=\"reshares\" points=\"\(steps.joined(separator: " "))\"/>" }
        // The alert's moments.
        for marker in markers {
            let at = x(marker.time)
            svg += "<line class=\"mark \(marker.kind)\" x1=\"\(n(at))\" x2=\"\(n(at))\" y1=\"\(n(Self.top))\" y2=\"\(n(Self.height - Self.bottom))\">"
                + "<title>\(HTMLText.escape(marker.label))</title></line>"
            svg += "<text class=\"mark-label \(marker.kind)\" x=\"\(n(at + 2))\" y=\"\(n(Self.top + 10))\">\(Self.letter(marker.kind))</text>"
        }
        return svg + "</svg>"
    }

    /// The letter a marker of this kind carries: F fired, E escalated, D de-escalated, + repeated, ✓ resolved.
    static func letter(_ kind: String) -> String {
        ["fired": "F", "escalated": "E", "deescalated": "D", "repeated": "+", "resolved": "✓"][kind] ?? "?"
    }

    /// Where the time axis may have a tick, from the post: the ones too close to the last are left out.
    static let ticks: [Double] = [0, 60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 3 * 86400, 7 * 86400, 30 * 86400, 90 * 86400, 365 * 86400]

    /// 1, 10, 100, 1k, 10k, 1M.
    static func short(_ value: Double) -> String {
        value >= 1e6 ? "\(Int(value / 1e6))M" : value >= 1e3 ? "\(Int(value / 1e3))k" : "\(Int(value))"
    }
}
