import ForeshockCore

/// The lines a new recording file starts with for a post begun before it (a rotation,
/// `RecordingFile`; a restart's restored posts, `WatchPipeline`): its post line, the brand's
/// answer, its resharers while they are few, and its counter: its first samples and its latest
/// ones as polled, and between them the corners of its growth. A file replayed alone then scores
/// the post with its age, size and answer, and as it grew. With only its latest counter, replay
/// spread every reshare evenly from the post's creation, and a complaint that paged live at 15
/// reshares paged at 26.
///
/// Bounded whatever the post does: at most `resharersKept` reshare lines and `firstSamples`,
/// `cornersKept` and `recentSamples` counter lines, so a rotation's memory grows with the posts
/// it carries, not their lines.
package struct CarriedPost: Sendable {
    /// An observation with when the watch learned of it (its time, or later: a reshare dated
    /// from a list of resharers) and the size of the line it was written as (0 where no one
    /// counts).
    package struct Line: Sendable {
        package var observation: Observation
        package var seen: Double
        var bytes: Int64
    }

    /// A post's resharers are carried while it has at most this many: each one's audience, for
    /// the small post whose alert they decide. Past that none are: a few resharers followed by
    /// a gap read as a spread that stopped, and a counter carried ahead of them would make
    /// replay take the next file's new resharers for ones it counted (`ScoringShard`), so a
    /// larger post is carried by its counter, or without reshares where it has none.
    static let resharersKept = 64
    /// A post's first counter samples are carried as polled: the scoring judges a young post at
    /// each one (how long its p̂ stayed high, its pace over 5 and 30 minutes), and a young post's
    /// alert is the one that matters. Thinned, a counter-only post that paged live at 16
    /// reshares did not page at all.
    static let firstSamples = 64
    /// And its latest, at most one every `recentSpacing` (the last of each): what the scoring
    /// reads of its pace as the next file begins. Replay plays a counter as steps, so a growth
    /// thinned to its corners there reads as a stall and a jump, and a post that paged live did
    /// not page alone.
    static let recentSamples = 64
    static let recentSpacing = 30.0
    /// Between the two, at most this many corners: a counter bending more often loses its
    /// shallowest.
    static let cornersKept = 32
    /// How far the counter may stray from the straight line between two corners: a tenth of the
    /// reshares at the first, and at least one reshare.
    static let tolerance = 0.1

    private(set) var post: Line?
    private(set) var answer: Line?
    private(set) var reshares: [Line] = []
    /// Whether the post had more than `resharersKept` (none are kept then).
    private var manyReshares = false
    /// Counter samples, oldest first. A poll repeating the counts before it keeps only the
    /// first and last of the run (`push`): a counter polled twice a second does not spend the
    /// samples on nothing.
    private(set) var first: [Line] = []
    /// Samples that left `recent` where the growth bent (a swing door, as process historians
    /// thin a sensor's readings: every sample between two of them lay within about `tolerance`
    /// of the line joining them).
    private(set) var corners: [Line] = []
    /// The last sample that left `recent`, a corner if the growth bends after it.
    private var leaving: Line?
    /// The slopes from the last corner (or first sample) that keep every sample since within
    /// tolerance.
    private var door: (lower: Double, upper: Double)?
    private(set) var recent: [Line] = []

    /// The size of every line kept.
    var bytes: Int64 {
        [post, answer, leaving].reduce(0) { $0 + ($1?.bytes ?? 0) } + [reshares, first, corners, recent].reduce(0) { $0 + $1.reduce(0) { $0 + $1.bytes } }
    }

    package init() {}

    /// Takes one line of the post: the post line replaces one kept, the first answer is kept,
    /// resharers up to `resharersKept`, counters as samples.
    /// - Parameters:
    ///   - seen: when the watch learned of it, where that is later than its time: a carried
    ///     line replays then, as the watch scored it.
    ///   - bytes: the size of the line as written, for the caller's memory bound.
    package mutating func add(_ observation: Observation, seen: Double? = nil, bytes: Int64 = 0) {
        let line = Line(observation: observation, seen: max(seen ?? observation.time, observation.time), bytes: bytes)
        switch observation {
        case .post where post == nil:
            // The first: when the post was found, which its lines follow (a later one, dated
            // later, would sort after them).
            post = line
        case .answer where answer == nil:
            answer = line
        case .reshare where !manyReshares:
            guard reshares.count < Self.resharersKept else {
                manyReshares = true
                reshares = []
                return
            }
            reshares.append(line)
        case .counts:
            // Merged into the newest sample, which `count` keeps last of `first` or `recent`.
            count(Line(observation: Self.merged((recent.last ?? first.last)?.observation, observation), seen: line.seen, bytes: bytes))
        default:
            break
        }
    }

    /// The lines to write, the post line first (replay learns of the post from it), the rest
    /// in the order the watch learned of them.
    package var lines: [Line] {
        ordered([answer, leaving].compactMap { $0 } + reshares + first + corners + recent)
    }

    /// Fewer lines, for a file too small for all of them: the resharers and the counter thinned
    /// to the corners of its whole growth, and the latest.
    var compact: [Line] {
        ordered([answer].compactMap { $0 } + reshares + thinnedCounter)
    }

    /// Fewer still: the thinned counter without the resharers, for a post that has a counter
    /// (without one, its resharers are all there is of its size).
    var counterOnly: [Line]? {
        reshares.isEmpty || (first.isEmpty && recent.isEmpty) ? nil : ordered([answer].compactMap { $0 } + thinnedCounter)
    }

    private var thinnedCounter: [Line] {
        let samples = first + corners + recent
        guard samples.count > 1 else { return samples }
        var thinned = CarriedPost()
        thinned.first = [samples[0]]
        for sample in samples.dropFirst() { thinned.thin(sample) }
        return thinned.first + thinned.corners + [samples[samples.count - 1]]
    }

    /// The fewest lines that still give the post's age, size and answer: its post line, the
    /// answer and the counter as last polled.
    var essentials: [Line] {
        ordered([answer, recent.last ?? first.last].compactMap { $0 })
    }

    /// In the order the watch learned of them, the post line first of those learned together:
    /// a reshare the journal held before the post line comes before it, as it came.
    private func ordered(_ rest: [Line]) -> [Line] {
        ([post].compactMap { $0 } + rest).enumerated().sorted { a, b in
            (a.element.seen, a.element.observation.isPost ? 0 : 1, a.offset) < (b.element.seen, b.element.observation.isPost ? 0 : 1, b.offset)
        }.map(\.element)
    }

    /// A post's counter as last polled, each count as last given: a poll may give some counts
    /// only (a thread's replies), and the carried line must not set the others back.
    static func merged(_ earlier: Observation?, _ latest: Observation) -> Observation {
        guard case .counts(let key, let time, let reshares, let replies, let likes, let quotes) = latest,
              case .counts(_, _, let r0, let p0, let l0, let q0)? = earlier else { return latest }
        return .counts(key: key, time: time, reshares: reshares ?? r0, replies: replies ?? p0, likes: likes ?? l0, quotes: quotes ?? q0)
    }

    private mutating func count(_ sample: Line) {
        guard first.count >= Self.firstSamples else {
            Self.push(sample, onto: &first)
            return
        }
        if let last = recent.last, (last.observation.time / Self.recentSpacing).rounded(.down) == (sample.observation.time / Self.recentSpacing).rounded(.down) {
            recent[recent.count - 1] = sample
        } else {
            Self.push(sample, onto: &recent)
        }
        while recent.count > Self.recentSamples { thin(recent.removeFirst()) }
    }

    /// Appends a sample, or where the two before it have its counts, takes the place of the
    /// second: a flat run keeps its first and last sample, when it began and when it ended.
    private static func push(_ sample: Line, onto samples: inout [Line]) {
        func counts(_ line: Line) -> [Int?] {
            guard case .counts(_, _, let reshares, let replies, let likes, let quotes) = line.observation else { return [] }
            return [reshares, replies, likes, quotes]
        }
        if samples.count >= 2, counts(samples[samples.count - 1]) == counts(sample), counts(samples[samples.count - 2]) == counts(sample) {
            samples[samples.count - 1] = sample
        } else {
            samples.append(sample)
        }
    }

    /// Takes a sample leaving `recent` through the swing door: the one before it becomes a
    /// corner where the growth bent.
    private mutating func thin(_ sample: Line) {
        guard let anchor = (corners.last ?? first.last).map({ Self.point($0.observation) }) else { return }
        let point = Self.point(sample.observation)
        guard point.time > anchor.time else { return }
        let band = Self.band(point, from: anchor)
        var door = self.door.map { (lower: max($0.lower, band.lower), upper: min($0.upper, band.upper)) } ?? band
        if door.lower > door.upper, let leaving {
            // The sample leaves the band every earlier one kept to: the growth bent at the one
            // before it, which becomes a corner and the door's new hinge.
            let corner = Self.point(leaving.observation)
            corners.append(leaving)
            if corners.count > Self.cornersKept { dropShallowestCorner() }
            // A sample polled at the corner's own time opens no door yet (its slope is 0/0).
            guard point.time > corner.time else {
                self.door = nil
                self.leaving = sample
                return
            }
            door = Self.band(point, from: corner)
        }
        self.door = door
        leaving = sample
    }

    /// The slopes from `anchor` to `point` moved down and up by the tolerance.
    private static func band(_ point: (time: Double, reshares: Double), from anchor: (time: Double, reshares: Double)) -> (lower: Double, upper: Double) {
        let slack = max(1, tolerance * anchor.reshares), rise = point.reshares - anchor.reshares, run = point.time - anchor.time
        return ((rise - slack) / run, (rise + slack) / run)
    }

    /// A counts line as a point of the growth (a counter that never gave reshares: 0).
    private static func point(_ observation: Observation) -> (time: Double, reshares: Double) {
        guard case .counts(_, let time, let reshares, _, _, _) = observation else { return (observation.time, 0) }
        return (time, Double(reshares ?? 0))
    }

    /// Drops the inner corner nearest the line between its neighbours, relative to its size
    /// (never the last: the door swings from it).
    private mutating func dropShallowestCorner() {
        let points = ((first.last.map { [$0] } ?? []) + corners).map { Self.point($0.observation) }
        var best = 1, least = Double.infinity
        for index in 1..<(points.count - 1) {
            let (a, p, b) = (points[index - 1], points[index], points[index + 1])
            let straight = a.reshares + (b.reshares - a.reshares) * (p.time - a.time) / max(b.time - a.time, .leastNonzeroMagnitude)
            let off = abs(p.reshares - straight) / max(1, p.reshares)
            if off < least { (best, least) = (index, off) }
        }
        corners.remove(at: best - (first.isEmpty ? 0 : 1))
    }
}
