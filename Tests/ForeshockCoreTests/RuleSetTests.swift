import Testing
@testable import ForeshockCore
@testable import ForeshockTestSupport

@Suite("Rule sets")
struct RuleSetTests {
    @Test("Indices in and out, past 64 too, iterated in config order")
    func membership() {
        var set = RuleSet()
        #expect(set.isEmpty)
        #expect(Array(set).isEmpty)
        for index in [130, 3, 63, 64, 0, 200, 3] { set.insert(index) }
        #expect(!set.isEmpty)
        #expect(Array(set) == [0, 3, 63, 64, 130, 200])
        #expect(set.contains(64) && set.contains(130) && !set.contains(65) && !set.contains(1000))
        #expect(RuleSet([5, 1]) == RuleSet([1, 5]))
        #expect(RuleSet([5, 1]) != RuleSet([1]))
    }

    @Test("The deciding rule is the most severe that holds, the first in the config among equals")
    func deciding() {
        let rules = [rule("a", .warning) { _ in }, rule("b", .critical) { _ in }, rule("c", .critical) { _ in }, rule("d", .warning) { _ in }]
        var lifecycle = AlertLifecycle(repeatInterval: 3600, resolveAfter: 600, sinkNames: [])
        let key = PostKey(source: "m", id: "1")
        #expect(lifecycle.change(key, holding: RuleSet([0, 3]), of: rules, time: 0)?.rule == "a")
        #expect(lifecycle.change(key, holding: RuleSet([3, 2, 1]), of: rules, time: 10)?.rule == "b")
        #expect(lifecycle.change(key, holding: RuleSet(), of: rules, time: 700)?.reason == .resolved)
    }
}
