import Foundation
import Testing
@testable import ForeshockCore
@testable import ForeshockService
@testable import ForeshockTestSupport

@Suite("What a recording carries of a post into its next file")
struct CarriedPostTests {
    static let key = PostKey(source: "s", id: "p")
    static let start = 1_700_000_000.0

    static func counts(_ minute: Int, _ reshares: Int?, replies: Int? = nil) -> Observation {
        .counts(key: key, time: start + Double(minute) * 60, reshares: reshares, replies: replies, likes: nil, quotes: nil)
    }

    static func reshares(in lines: [Observation]) -> [(time: Double, reshares: Int)] {
        lines.compactMap { if case .counts(_, let time, let reshares?, _, _, _) = $0 { (time, reshares) } else { nil } }
    }

    @Test("A real cascade's counter polled every minute for 6 hours: its first 64 and last 64 samples as polled, corners between, every sample between them near the line joining the kept ones around it")
    func counterIsThinnedBetweenFirstAndLatest() throws {
        let rows = try loadCascade("tideh_RT1.txt").dropFirst()
        var carried = CarriedPost()
        carried.add(.post(key: Self.key, time: Self.start, createdAt: Self.start, author: "dana", followers: 90, text: "hi", url: nil), bytes: 100)
        let samples = (1...360).map { minute in (minute, rows.filter { $0.time <= Double(minute) * 60 }.count) }
        for (minute, reshares) in samples { carried.add(Self.counts(minute, reshares), bytes: 100) }
        let lines = carried.lines.map(\.observation), kept = Self.reshares(in: lines)
        #expect(lines.first?.isPost == true && lines.count == 1 + kept.count && carried.bytes == Int64(lines.count) * 100)
        let most = CarriedPost.firstSamples + CarriedPost.cornersKept + 1 + CarriedPost.recentSamples
        #expect(kept.count > CarriedPost.firstSamples + CarriedPost.recentSamples + 1 && kept.count <= most, "\(kept.count) counter lines")
        // (A run of polls with the same count keeps its first and last.)
        let polled = samples.indices.filter { index in
            !(index > 0 && index + 1 < samples.count && samples[index - 1].1 == samples[index].1 && samples[index + 1].1 == samples[index].1)
        }.map { samples[$0].1 }
        #expect(kept.prefix(CarriedPost.firstSamples).map(\.reshares) == Array(polled.prefix(CarriedPost.firstSamples)))
        #expect(kept.suffix(CarriedPost.recentSamples).map(\.reshares) == samples.suffix(CarriedPost.recentSamples).map(\.1))
        // Between the first and the latest, the counter stayed near the straight line between
        // two kept lines (the swing door bounds it by the tolerance from either side).
        var worst = 0.0
        for (minute, reshares) in samples.dropFirst(CarriedPost.firstSamples).dropLast(CarriedPost.recentSamples) {
            let t = Self.start + Double(minute) * 60
            guard let right = kept.firstIndex(where: { $0.time >= t }), right > 0 else { continue }
            let (a, b) = (kept[right - 1], kept[right])
            let straight = Double(a.reshares) + Double(b.reshares - a.reshares) * (t - a.time) / (b.time - a.time)
            worst = max(worst, abs(Double(reshares) - straight) / max(1, CarriedPost.tolerance * Double(a.reshares)))
        }
        #expect(worst <= 2, "a sample \(worst) tolerances off the kept line")
    }

    @Test("A counter that bends every few polls keeps at most cornersKept corners between its first and latest samples")
    func cornersAreBounded() {
        var carried = CarriedPost()
        var reshares = 10
        for minute in 1...300 {
            // Stairs: half as many again every fifth poll.
            if minute % 5 == 0 { reshares += reshares / 2 }
            carried.add(Self.counts(minute, reshares, replies: minute), bytes: 10)
        }
        let kept = Self.reshares(in: carried.lines.map(\.observation))
        #expect(carried.corners.count == CarriedPost.cornersKept, "\(carried.corners.count) corners")
        #expect(kept.count == CarriedPost.firstSamples + CarriedPost.cornersKept + 1 + CarriedPost.recentSamples, "\(kept.count)")
        #expect(kept.last?.reshares == reshares && kept.map(\.time) == kept.map(\.time).sorted())
    }

    @Test("Polls that repeat the counts keep the first and last of the run; a counter polled every second keeps one latest sample each 30 s, over the last half hour")
    func repeatsAndFastPolls() {
        var carried = CarriedPost()
        // Flat for 200 polls, then growing: the run's ends, not 64 copies of it.
        for poll in 0..<200 { carried.add(.counts(key: Self.key, time: Self.start + Double(poll), reshares: 3, replies: 0, likes: nil, quotes: nil)) }
        carried.add(.counts(key: Self.key, time: Self.start + 200, reshares: 4, replies: 0, likes: nil, quotes: nil))
        #expect(Self.reshares(in: carried.lines.map(\.observation)).map(\.time) == [Self.start, Self.start + 199, Self.start + 200])
        // Then every second for an hour, a reshare every 10 s.
        for second in 201..<3_800 {
            carried.add(.counts(key: Self.key, time: Self.start + Double(second), reshares: 4 + (second - 200) / 10, replies: 0, likes: nil, quotes: nil))
        }
        let recent = carried.recent.map(\.observation.time)
        #expect(recent.count == CarriedPost.recentSamples && recent.last == Self.start + 3_799, "\(recent.count)")
        #expect(zip(recent, recent.dropFirst()).allSatisfy { $1 - $0 >= 1 && $1 - $0 <= 2 * CarriedPost.recentSpacing } && recent.last! - recent.first! >= 30 * 60,
                "\(recent)")
    }

    @Test("Resharers are carried while there are at most resharersKept, none past that; the first answer and the first post line; a counts line without reshares merged into the latest")
    func resharersAnswerAndPost() {
        var carried = CarriedPost()
        carried.add(.post(key: Self.key, time: Self.start, createdAt: Self.start, author: "dana", followers: 300, text: "old", url: nil), bytes: 7)
        carried.add(.answer(key: Self.key, time: Self.start + 50, author: "acme"), bytes: 7)
        carried.add(.answer(key: Self.key, time: Self.start + 90, author: "acme"), bytes: 7)
        for index in 1...CarriedPost.resharersKept {
            carried.add(.reshare(key: Self.key, time: Self.start + Double(index), user: "u\(index)", followers: 10), bytes: 7)
        }
        carried.add(.post(key: Self.key, time: Self.start + 100, createdAt: Self.start, author: "dana", followers: 300, text: "new", url: nil), bytes: 7)
        carried.add(Self.counts(2, 64), bytes: 7)
        carried.add(Self.counts(3, nil, replies: 5), bytes: 7)
        var lines = carried.lines.map(\.observation)
        #expect(lines.count == 1 + 1 + CarriedPost.resharersKept + 2 && carried.bytes == Int64(lines.count) * 7, "\(lines.count)")
        // The first post line: when the post was found, before its other lines.
        if case .post(_, _, _, _, _, let text, _) = lines[0] { #expect(text == "old") } else { Issue.record("\(lines[0])") }
        #expect(lines.filter { if case .answer(_, Self.start + 50, _) = $0 { true } else { false } }.count == 1)
        #expect(lines.last == Self.counts(3, 64, replies: 5), "the latest counts, each as last given")
        carried.add(.reshare(key: Self.key, time: Self.start + 200, user: "one too many", followers: 10), bytes: 7)
        lines = carried.lines.map(\.observation)
        #expect(!lines.contains { if case .reshare = $0 { true } else { false } } && carried.bytes == Int64(lines.count) * 7, "\(lines)")
        #expect(carried.essentials.map(\.observation).count == 3 && carried.essentials.map(\.observation).first?.isPost == true)
    }
}
