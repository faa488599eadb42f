import Testing
@testable import ForeshockSupport

@Suite("Sequence.uniqued")
struct UniquedTests {
    @Test("Repeats go, each element stays where it first stood")
    func order() {
        #expect(["b", "a", "b", "c", "a"].uniqued() == ["b", "a", "c"])
        #expect([Int]().uniqued().isEmpty)
    }
}
