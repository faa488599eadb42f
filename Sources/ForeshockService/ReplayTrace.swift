import ForeshockConfig
import ForeshockCore
import ForeshockSupport
import Foundation

/// `replay --trace`: one post's scores at each point, every term of the prediction, as a JSON
/// line or as a row of a table people read.
package enum ReplayTrace {
    /// Every term, numbers to four significant digits (the model's inputs are not known better).
    package static func jsonLine(_ f: PostFeatures) -> String {
        func number(_ value: Double?) -> String { JSONText.number(value.map(significant)) }
        let fields: [(String, String)] = [
            ("type", "\"trace\""), ("time", JSONText.quote(Timestamp.format(Date(timeIntervalSince1970: f.time)))), ("post", JSONText.quote(f.key.id)),
            ("mode", JSONText.quote(f.mode.rawValue)), ("reshares", String(f.reshares)), ("velocity_per_min", number(f.velocityShort)),
            ("reach", number(f.reach)), ("seismic_infectiousness", number(f.seismic.infectiousness)),
            ("seismic_infectiousness_low", number(f.seismic.low)), ("seismic_infectiousness_high", number(f.seismic.high)),
            ("seismic_predicted", number(f.seismic.predicted)), ("supercritical", f.supercritical || f.seismic.supercritical ? "true" : "false"),
            ("calibrated_seismic", number(f.seismicPredicted)),
            // The sustained spread's terms: rate over the window, the window, its emptiest later
            // part over an even share, the author's audience discount, and what it predicts.
            ("sustained_per_min", number(f.sustained?.perMinute)), ("sustained_minutes", number(f.sustained?.minutes)),
            ("sustained_weakest_part", number(f.sustained?.weakestPart)), ("sustained_audience_discount", number(f.sustained?.audience)),
            ("sustained", f.sustained.map { $0.sustained ? "true" : "false" } ?? "null"), ("sustained_predicted", number(f.sustained?.predicted)),
            ("predicted", number(f.predicted)),
            // Since the brand's answer (once it has settled): reshares a minute before and since.
            ("after_answer_before_per_min", number(f.afterAnswer.before)), ("after_answer_since_per_min", number(f.afterAnswer.since)),
            ("spreading_after_answer", f.afterAnswer.spreading ? "true" : "false"),
        ]
        return "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }

    /// The table's heading: what each column of `row` is.
    package static let header = [
        "AGE", "RESHARES", "VEL/MIN", "PREDICTED", "SEISMIC (90%)", "MODE", "CALIBRATED", "SUSTAINED", "SINCE ANSWER",
    ]

    /// One point as table cells: age, reshares, velocity, the prediction rules read, raw SEISMIC
    /// with its interval, the mode, and the two halves of the prediction with their terms.
    package static func row(_ f: PostFeatures, createdAt: Double, nStar: Double) -> [String] {
        func count(_ value: Double?) -> String { value.map { NumberText.grouped($0.rounded()) } ?? "-" }
        let predicted = f.supercritical ? "supercritical" : count(f.predicted)
        var seismic = f.seismic.supercritical ? "supercritical" : count(f.seismic.predicted)
        // A supercritical estimate has no band to give: "(-–∞)" said nothing.
        if !f.seismic.supercritical, let band = f.seismic.band(nStar: nStar), f.seismic.infectiousness != nil {
            seismic += " (\(count(band.low))–\(band.high.map { NumberText.grouped($0.rounded()) } ?? "∞"))"
        }
        var sustained = "-"
        if let s = f.sustained {
            sustained = "\(decimal(s.perMinute))/min over \(decimal(s.minutes))m, weakest \(decimal(s.weakestPart))"
                + (s.audience > 1 ? ", ÷\(decimal(s.audience))" : "") + (s.sustained ? " → \(count(s.predicted))" : ", not even")
        }
        var answer = "-"
        if let since = f.afterAnswer.since, let before = f.afterAnswer.before {
            answer = "\(decimal(since))/min since, \(decimal(before)) before" + (f.afterAnswer.spreading ? ", spreading" : "")
        }
        return [DurationText.short(max(0, f.time - createdAt)), NumberText.grouped(Double(f.reshares)), decimal(f.velocityShort), predicted,
                seismic, f.mode.rawValue, count(f.seismicPredicted), sustained, answer]
    }

    static func decimal(_ value: Double) -> String {
        guard value.isFinite else { return "-" }
        return PostFeatures.decimal(value, places: value.magnitude >= 100 ? 0 : 1)
    }

    /// Four significant digits: 0.0075217912 → 0.007522, 263.04 → 263.
    static func significant(_ value: Double) -> Double {
        guard value.isFinite, value != 0 else { return value }
        let digits = 4 - Int(log10(value.magnitude).rounded(.up))
        let scale = pow(10.0, Double(digits))
        return (value * scale).rounded() / scale
    }
}
