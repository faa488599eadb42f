import Dispatch
import Foundation
import Testing
@testable import ForeshockSupport
@testable import ForeshockConfig
@testable import ForeshockCore
@testable import ForeshockService

/// The scoring core's one-owner rule, checked rather than trusted.
@Suite("One owner for the scoring core")
struct ExclusiveAccessTests {
    @Test("A second call while one runs is refused; once it ends the next one is taken")
    func refusesOverlap() {
        let access = ExclusiveAccess("Thing")
        #expect(access.enter())
        #expect(!access.enter())
        access.leave()
        #expect(access.enter())
        access.leave()
        #expect(access.run("call") { 42 } == 42)
        #expect(access.enter(), "run did not give the object back")
        access.leave()
    }

    @Test("The watch pipeline answers status reads between batches, through the engine's one owner")
    func pipelineOwnsTheEngine() async throws {
        var config = Config()
        var when = RuleConditions()
        when.minReshares = 5
        config.rules = [RuleConfig(name: "r", severity: .critical, when: when)]
        let pipeline = WatchPipeline(config: config, pollers: []) { _ in }
        let key = PostKey(source: "s", id: "1")
        // Reads and restores racing each other: without one owner the engine's per-source state
        // and volume alerts were read while a batch changed them (`swift test --sanitize=thread`).
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                var entries: [StateJournal.Entry] = [.observations([.post(key: key, time: 0, createdAt: 0, author: "a", followers: 300, text: "x", url: nil)])]
                for step in 1...200 { entries.append(.observations([.reshare(key: key, time: Double(step), user: "u\(step)", followers: 100)])) }
                _ = await pipeline.restore(StateJournal.Loaded(entries: entries, lines: entries.count))
            }
            group.addTask {
                for _ in 0..<200 { _ = await pipeline.snapshot(hottest: 5, at: 300) }
            }
        }
        let features = await pipeline.features([key], at: 300)
        #expect(features.first??.reshares == 200)
        #expect(await pipeline.postCount() == 1)
    }
}
