import Testing
@testable import ForeshockCore
@testable import ForeshockService

@Suite("What became of each post in a recording")
struct PostOutcomesTests {
    @Test("A list of resharers fetched is not added to the counter: 300 counted and 20 listed is 300, not 320; listed past a stale counter, the list counts")
    func listedResharersAreNotAddedToTheCounter() {
        let key = PostKey(source: "m", id: "1")
        var outcomes = PostOutcomes(target: 310)
        outcomes.add(.post(key: key, time: 0, createdAt: 0, author: "dana", followers: 300, text: nil, url: nil))
        outcomes.add(.counts(key: key, time: 600, reshares: 300, replies: nil, likes: nil, quotes: nil))
        for index in 0..<20 { outcomes.add(.reshare(key: key, time: 100 + Double(index), user: "u\(index)", followers: 50), seen: 610) }
        #expect(outcomes[key]?.reshares == 300 && outcomes[key]?.reachedTarget == nil, "\(String(describing: outcomes[key]))")
        let other = PostKey(source: "m", id: "2")
        outcomes.add(.counts(key: other, time: 600, reshares: 10, replies: nil, likes: nil, quotes: nil))
        for index in 0..<15 { outcomes.add(.reshare(key: other, time: 610 + Double(index), user: "v\(index)", followers: 50)) }
        #expect(outcomes[other]?.reshares == 15)
    }
}
