import ForeshockCore

/// The lines a new recording file starts with for a post begun before it (a rotation,
/// `RecordingFile`; a restart's restored posts, `WatchPipeline`): its post line, the brand's
/// answer, its resharers while they are few, and its counter thinned to the corners of its
/// growth. A file replayed alone then scores the post with its age, size, answer and about how
/// fast it grew. With only its latest counter, replay spread every reshare evenly from the
/// post's creation, and a complaint that paged live at 15 reshares paged at 26.
///
/// Bounded whatever the post does: at most `resharersKept` reshare lines and `samplesKept` and
/// `cornersKept` counter lines, so a rotation's memory grows with the posts it carries, not
/// their lines.
struct CarriedPost {
    /// An observation with the size of the line it was written as (0 where no one counts).
    struct Line {
        var observation: Observation
        var bytes: Int64
    }

    /// A post's resharers are carried while it has at most this many: each one's audience, for
    /// the small post whose alert they decide. Past that none are: a few resharers followed by
    /// a gap read as a spread that stopped, and a counter carried ahead of them would make
    /// replay take the next file's new resharers for ones it counted (`ScoringShard`), so a
    /// larger post is carried by its counter, or without reshares where it has none.
    static let resharersKept = 64
    /// A post's first counter samples are all carried: the scoring judges a young post at each
    /// one (how long its p̂ stayed high, its pace over 5 and 30 minutes), and a young post's
    /// alert is the one that matters. Thinned, a counter-only post that paged live at 16
    /// reshares did not page at all.
    static let samplesKept = 64
    /// Past those, at most this many counter corners: a counter bending more often loses its
    /// shallowest.
    static let cornersKept = 32
    /// How far the counter may stray from the straight line between two kept corners: a tenth
    /// of the reshares at the first, and at least one reshare.
    static let tolerance = 0.1

    private(set) var post: Line?
    private(set) var answer: Line?
    private(set) var reshares: [Line] = []
    /// Whether the post had more than `resharersKept` (none are kept then).
    private var manyReshares = false
    /// Counter samples, oldest first: the first `samplesKept`, then those where the growth bent
    /// (a swing door, as process historians thin a sensor's readings: every sample between two
    /// of them lay within about `tolerance` of the line joining them).
    private(set) var corners: [Line] = []
    /// The counter as last polled, each count as last given (`merged`); a corner once the
    /// growth bends after it.
    private var latest: Line?
    /// Whether `latest` is the last corner too (its line is written, and counted, once).
    private var latestIsCorner = false
    /// The counter samples after the last corner: the slopes from it that keep every one of
    /// them within tolerance.
    private var door: (lower: Double, upper: Double)?

    /// The size of every line kept.
    private(set) var bytes: Int64 = 0

    /// Takes one line of the post: the post line replaces one kept, the first answer is kept,
    /// resharers up to `resharersKept`, counters as corners.
    /// - Parameter bytes: the size of the line as written, for the caller's memory bound.
    mutating func add(_ observation: Observation, bytes: Int64 = 0) {
        let line = Line(observation: observation, bytes: bytes)
        switch observation {
        case .post:
            self.bytes += bytes - (post?.bytes ?? 0)
            post = line
        case .answer where answer == nil:
            self.bytes += bytes
            answer = line
        case .reshare where !manyReshares:
            guard reshares.count < Self.resharersKept else {
                manyReshares = true
                self.bytes -= reshares.reduce(0) { $0 + $1.bytes }
                reshares = []
                return
            }
            self.bytes += bytes
            reshares.append(line)
        case .counts:
            count(line)
        default:
            break
        }
    }

    /// The lines to write, the post line first (replay learns of the post from it), the rest
    /// in the order they happened.
    var lines: [Observation] {
        var rest = [answer].compactMap { $0 } + reshares + corners
        if let latest, !latestIsCorner { rest.append(latest) }
        return [post].compactMap { $0?.observation } + rest.map(\.observation).sorted { $0.time < $1.time }
    }

    /// The fewest lines that still give the post's age, size and answer: its post line, the
    /// answer and the counter as last polled, for a file too small for all of them.
    var essentials: [Observation] {
        [post].compactMap { $0?.observation } + [answer, latest].compactMap { $0?.observation }.sorted { $0.time < $1.time }
    }

    /// A post's counter as last polled, each count as last given: a poll may give some counts
    /// only (a thread's replies), and the carried line must not set the others back.
    static func merged(_ earlier: Observation?, _ latest: Observation) -> Observation {
        guard case .counts(let key, let time, let reshares, let replies, let likes, let quotes) = latest,
              case .counts(_, _, let r0, let p0, let l0, let q0)? = earlier else { return latest }
        return .counts(key: key, time: time, reshares: reshares ?? r0, replies: replies ?? p0, likes: likes ?? l0, quotes: quotes ?? q0)
    }

    private mutating func count(_ line: Line) {
        let previous = latest
        let merged = Line(observation: Self.merged(previous?.observation, line.observation), bytes: line.bytes)
        if let previous, !latestIsCorner { bytes -= previous.bytes }
        bytes += merged.bytes
        (latest, latestIsCorner) = (merged, false)
        guard let point = Self.point(merged.observation) else { return }
        guard corners.count >= Self.samplesKept, let anchor = corners.last.flatMap({ Self.point($0.observation) }) else {
            corners.append(merged)
            latestIsCorner = true
            return
        }
        guard point.time > anchor.time else { return }
        var door = self.door.map { (max($0.lower, slope(point, from: anchor, by: -1)), min($0.upper, slope(point, from: anchor, by: 1))) }
            ?? (slope(point, from: anchor, by: -1), slope(point, from: anchor, by: 1))
        if door.0 > door.1, let previous, let corner = Self.point(previous.observation), corner.time > anchor.time {
            // The new sample leaves the band every earlier one kept to: the growth bent at the
            // sample before it, which becomes a corner and the door's new hinge.
            bytes += previous.bytes
            corners.append(previous)
            door = (slope(point, from: corner, by: -1), slope(point, from: corner, by: 1))
            if corners.count > Self.samplesKept + Self.cornersKept { dropShallowestCorner() }
        }
        self.door = door
    }

    /// The slope from `anchor` to `point` moved up (`by` 1) or down (-1) by the tolerance.
    private func slope(_ point: (time: Double, reshares: Double), from anchor: (time: Double, reshares: Double), by side: Double) -> Double {
        (point.reshares + side * max(1, Self.tolerance * anchor.reshares) - anchor.reshares) / (point.time - anchor.time)
    }

    private static func point(_ observation: Observation) -> (time: Double, reshares: Double)? {
        guard case .counts(_, let time, let reshares?, _, _, _) = observation else { return nil }
        return (time, Double(reshares))
    }

    /// Drops the corner past the first samples nearest the line between its neighbours, relative
    /// to its size (never the last: the door swings from it).
    private mutating func dropShallowestCorner() {
        let points = corners.map { Self.point($0.observation)! }
        var best = Self.samplesKept, least = Double.infinity
        for index in Self.samplesKept..<(points.count - 1) {
            let (a, p, b) = (points[index - 1], points[index], points[index + 1])
            let straight = a.reshares + (b.reshares - a.reshares) * (p.time - a.time) / max(b.time - a.time, .leastNonzeroMagnitude)
            let off = abs(p.reshares - straight) / max(1, p.reshares)
            if off < least { (best, least) = (index, off) }
        }
        bytes -= corners.remove(at: best).bytes
    }
}
