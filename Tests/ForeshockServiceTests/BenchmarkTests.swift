import Foundation
import Testing
@testable import ForeshockSupport
@testable import ForeshockConfig
@testable import ForeshockCore
@testable import ForeshockService
@testable import ForeshockTestSupport

@Suite("foreshock bench")
struct BenchmarkTests {
    /// Read off the pool (see `EarlyWarningTests.tideh`).
    static func cascades() async throws -> [CascadeEvaluation.Cascade] {
        try await offCooperativePool {
            let root = repositoryRoot.appendingPathComponent("fixtures/cascades")
            let tideh = try (1...5).map { try CascadeEvaluation.loadTiDeH(root.appendingPathComponent("tideh/RT\($0).txt").path) }
            let trees = try CascadeEvaluation.loadTwitter1516(root.appendingPathComponent("twitter1516_dev_first300.jsonl").path).prefix(20)
            return tideh + Array(trees)
        }
    }

    /// Each post's reshares, as offsets from its creation.
    static func offsets(_ load: [Observation]) -> [PostKey: [Double]] {
        var created: [PostKey: Double] = [:], out: [PostKey: [Double]] = [:]
        for observation in load {
            switch observation {
            case .post(let key, _, let at, _, _, _, _): created[key] = at; out[key] = []
            case .reshare(let key, let time, _, _): out[key, default: []].append(time - created[key]!)
            default: break
            }
        }
        return out
    }

    @Test("The load copies real cascades: most posts get a reshare or none, a few thousands, each at one of its cascade's times")
    func loadFromCascades() async throws {
        let cascades = try await Self.cascades()
        let load = try await offCooperativePool {
            var benchmark = Benchmark(posts: 4000, cascades: cascades, config: Config())
            return benchmark.observations()
        }
        #expect(zip(load, load.dropFirst()).allSatisfy { $0.time <= $1.time })
        let offsets = Self.offsets(load)
        #expect(offsets.count == 4000)
        let sizes = offsets.values.map(\.count).sorted()
        #expect(sizes[sizes.count / 2] <= 1)
        #expect(sizes.last! >= 200)
        // Offsets are differences of times near 1.7e9 s: equal to the cascade's to a millisecond.
        let real = cascades.flatMap(\.times).sorted()
        func isReal(_ offset: Double) -> Bool {
            var low = 0, high = real.count
            while low < high {
                let mid = (low + high) / 2
                if real[mid] < offset - 1e-3 { low = mid + 1 } else { high = mid }
            }
            return low < real.count && real[low] <= offset + 1e-3
        }
        #expect(offsets.values.allSatisfy { $0.allSatisfy(isReal) })
    }

    @Test("A post as large as its cascade replays it whole, its resharers' followers included")
    func wholeCascade() async throws {
        let cascade = CascadeEvaluation.Cascade(name: "small", times: [5, 40, 300], followers: [1000, 10, 20, 30])
        let load = try await offCooperativePool {
            var benchmark = Benchmark(posts: 3000, cascades: [cascade], config: Config())
            return benchmark.observations()
        }
        let whole = Self.offsets(load).values.filter { $0.count == 3 }
        #expect(!whole.isEmpty)
        #expect(whole.allSatisfy { $0 == [5, 40, 300] })
        let followers = Set(load.compactMap { if case .reshare(_, _, _, let n) = $0 { n } else { nil } })
        #expect(followers == [10, 20, 30])
    }

    @Test("bench prints one JSON line with the figures, measured on the embedded config")
    func command() async throws {
        let (status, out, _) = await runForeshock(["bench", "--posts", "300", "--runs", "1"])
        #expect(status == .success)
        let line = try #require(out.split(separator: "\n").last)
        let value = try JSONValue.parse(Data(line.utf8))
        for key in ["observations_per_sec", "seismic_predictions_per_sec", "bytes_per_tracked_post", "replay_events_per_sec"] {
            #expect((value[key]?.doubleValue ?? 0) > 0, "\(key) in \(line)")
        }
        #expect(value["runs"]?.intValue == 1)
        #expect(value["build"]?.stringValue == "debug")
        #expect(value["cascades"]?.intValue == 351)
    }

    @Test("bench run from another folder still finds the project's cascades: the fallback is the checkout's fixtures/cascades, not its parent's")
    func elsewhere() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (status, out, err) = try await runBinary(["bench", "--posts", "200", "--runs", "1"], directory: directory.path, timeout: 120)
        #expect(status == 0, "\(err)")
        #expect(out.contains(#""cascades":351"#), "\(out)")
    }

    @Test("bench without cascades to copy: exit 1, one line naming the folder")
    func noCascades() async {
        let (status, out, err) = await runForeshock(["bench", "--data", "/nonexistent", "--runs", "1"])
        #expect(status == .failure)
        #expect(out.isEmpty)
        #expect(err.split(separator: "\n").count == 1 && err.contains("/nonexistent"))
    }
}
