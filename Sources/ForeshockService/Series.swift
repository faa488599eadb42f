import ForeshockCore

/// One point of a post's curve, as a report draws it: its reshares, the calibrated prediction
/// rules read, and the band raw SEISMIC gives (its prediction at either end of p̂'s 90% interval).
package struct SeriesPoint: Sendable, Equatable {
    package var time: Double
    package var reshares: Int
    /// The calibrated prediction; nil when supercritical.
    package var predicted: Double?
    package var supercritical: Bool
    /// Raw SEISMIC at p̂'s low and high ends; `bandHigh` nil with a low end means unbounded
    /// (supercritical at the high end).
    package var bandLow: Double?
    package var bandHigh: Double?

    package init(time: Double, reshares: Int, predicted: Double?, supercritical: Bool = false, bandLow: Double? = nil, bandHigh: Double? = nil) {
        self.time = time
        self.reshares = reshares
        self.predicted = predicted
        self.supercritical = supercritical
        self.bandLow = bandLow
        self.bandHigh = bandHigh
    }

    init(_ f: PostFeatures, nStar: Double) {
        let band = f.seismic.band(nStar: nStar)
        self.init(time: f.time, reshares: f.reshares, predicted: f.supercritical ? nil : f.predicted, supercritical: f.supercritical,
                  bandLow: band?.low ?? nil, bandHigh: band?.high ?? nil)
    }
}

/// When to take a post's next point: after its reshares grew by a tenth (one by one early on),
/// or after a twenty-fifth of its age passed, so a curve that spans a week has as much detail
/// in its first minutes as in its last days. Past `limit` points every other one of the older
/// half goes, so a long curve keeps its end and stays a few hundred points.
struct SeriesSampler {
    static let limit = 400
    private(set) var points: [SeriesPoint] = []
    private var lastReshares = -1
    private var lastTime = -Double.infinity

    func due(reshares: Int, at time: Double, createdAt: Double?) -> Bool {
        let age = time - (createdAt ?? time)
        return reshares >= lastReshares + max(1, lastReshares / 10) || time - lastTime >= max(60, age / 25)
    }

    mutating func add(_ point: SeriesPoint) {
        // An alert's moment may fall between two points already taken: keep the curve in time order.
        if let last = points.last, last.time > point.time { return }
        if points.last?.time == point.time { points.removeLast() }
        points.append(point)
        lastReshares = point.reshares
        lastTime = point.time
        if points.count > Self.limit {
            let half = points.count / 2
            points = points[..<half].enumerated().filter { $0.offset.isMultiple(of: 2) }.map(\.element) + points[half...]
        }
    }
}
