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

    @Test("A real cascade's counter polled for 6 hours: its first 64 samples exactly, then corners, at most 96 lines in all; every later sample near the line between the kept ones around it; the latest last")
    func counterIsThinnedToItsCorners() throws {
        let rows = try loadCascade("tideh_RT1.txt").dropFirst()
        var carried = CarriedPost()
        carried.add(.post(key: Self.key, time: Self.start, createdAt: Self.start, author: "dana", followers: 90, text: "hi", url: nil), bytes: 100)
        let samples = (1...360).map { minute in (minute, rows.filter { $0.time <= Double(minute) * 60 }.count) }
        for (minute, reshares) in samples { carried.add(Self.counts(minute, reshares), bytes: 100) }
        let lines = carried.lines, kept = Self.reshares(in: lines)
        #expect(lines.first?.isPost == true && lines.count == 1 + kept.count)
        #expect(kept.count > CarriedPost.samplesKept + 2 && kept.count <= CarriedPost.samplesKept + CarriedPost.cornersKept + 1, "\(kept.count) counter lines")
        #expect(kept.prefix(CarriedPost.samplesKept).map(\.reshares) == samples.prefix(CarriedPost.samplesKept).map(\.1))
        #expect(kept.last?.reshares == samples.last?.1 && kept.last?.time == Self.start + 360 * 60)
        #expect(carried.bytes == Int64(lines.count) * 100, "the bytes kept are the lines kept")
        // Between two kept lines the counter stayed near the straight line joining them (the
        // swing door bounds it by the tolerance from each side).
        var worst = 0.0
        for (minute, reshares) in samples.dropFirst(CarriedPost.samplesKept) {
            let t = Self.start + Double(minute) * 60
            guard let right = kept.firstIndex(where: { $0.time >= t }), right > 0 else { continue }
            let (a, b) = (kept[right - 1], kept[right])
            let straight = Double(a.reshares) + Double(b.reshares - a.reshares) * (t - a.time) / (b.time - a.time)
            worst = max(worst, abs(Double(reshares) - straight) / max(1, CarriedPost.tolerance * Double(a.reshares)))
        }
        #expect(worst <= 2, "a sample \(worst) tolerances off the kept line")
    }

    @Test("A counter that bends every few polls keeps at most cornersKept corners past its first samples, and its latest")
    func cornersAreBounded() {
        var carried = CarriedPost()
        var reshares = 10
        for minute in 1...400 {
            // Stairs: flat for 4 polls, then half as many again.
            if minute % 5 == 0 { reshares += reshares / 2 }
            carried.add(Self.counts(minute, reshares), bytes: 10)
        }
        let kept = Self.reshares(in: carried.lines)
        #expect(kept.count == CarriedPost.samplesKept + CarriedPost.cornersKept + 1, "\(kept.count)")
        #expect(kept.last?.reshares == reshares && kept.map(\.time) == kept.map(\.time).sorted())
        #expect(carried.bytes == Int64(kept.count) * 10)
    }

    @Test("Resharers are carried while there are at most resharersKept, none past that; the first answer and the latest post line; a counts line without reshares merged into the latest")
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
        var lines = carried.lines
        #expect(lines.count == 1 + 1 + CarriedPost.resharersKept + 2 && carried.bytes == Int64(lines.count) * 7, "\(lines.count)")
        if case .post(_, _, _, _, _, let text, _) = lines[0] { #expect(text == "new") } else { Issue.record("\(lines[0])") }
        #expect(lines.filter { if case .answer(_, Self.start + 50, _) = $0 { true } else { false } }.count == 1)
        #expect(lines.last == Self.counts(3, 64, replies: 5), "the latest counts, each as last given")
        carried.add(.reshare(key: Self.key, time: Self.start + 200, user: "one too many", followers: 10), bytes: 7)
        lines = carried.lines
        #expect(!lines.contains { if case .reshare = $0 { true } else { false } } && carried.bytes == Int64(lines.count) * 7, "\(lines)")
        #expect(carried.essentials.count == 3 && carried.essentials.first?.isPost == true)
    }
}
