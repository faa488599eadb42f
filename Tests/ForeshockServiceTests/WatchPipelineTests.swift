import Foundation
import Testing
@testable import ForeshockSupport
@testable import ForeshockConfig
@testable import ForeshockFeeds
@testable import ForeshockCore
@testable import ForeshockService
@testable import ForeshockTestSupport

@Suite("The watch pipeline")
struct WatchPipelineTests {
    @Test("A polled source's posts read as of its last poll while it polls on time; one that stopped answering, or streams after a reload, reads at the time asked")
    func readThrough() async throws {
        // Nothing listens on the discard port: the counts refresh after the poll fails, so the
        // source is known through the poll's own time.
        var source = testSource(.mastodon, name: "m", base: "http://127.0.0.1:9")
        source.interval = 60
        var config = scoringConfig([])
        config.sources = [source]
        let pipeline = WatchPipeline(config: config, pollers: [FeedPoller(feed: source.makeFeed())]) { _ in }
        var post = Mention(source: "m", id: "p")
        post.author = "dana"
        post.authorFollowers = 300
        post.reshares = 30
        post.createdAt = Timestamp.format(Date(timeIntervalSince1970: 1_000_000))
        var outcome = PollOutcome(source: "m", observedAt: Date(timeIntervalSince1970: 1_000_600))
        outcome.mentions = [post]
        await pipeline.handle(outcome)
        let key = PostKey(source: "m", id: "p")
        func age(at time: Double, exactly: Bool = false) async -> Double? { await pipeline.features([key], at: time, exactly: exactly)[0]?.age }

        // Two minutes after the poll, within three intervals: as of the poll, in status too.
        #expect(await age(at: 1_000_720) == 600)
        #expect(await pipeline.snapshot(hottest: 1, at: 1_000_720).hottest.first?.age == 600)
        #expect(await age(at: 1_000_720, exactly: true) == 720)
        // Five minutes without a good poll: the source is failing, and its posts are not frozen.
        #expect(await age(at: 1_000_900) == 900)
        // A later poll moves it on.
        var later = PollOutcome(source: "m", observedAt: Date(timeIntervalSince1970: 1_000_660))
        later.mentions = []
        await pipeline.handle(later)
        #expect(await age(at: 1_000_700) == 660)
        // Streamed after a reload: what it shows is as of now.
        var streamed = source
        streamed.stream = true
        config.sources = [streamed]
        await pipeline.reconfigure(config, pollers: [FeedPoller(feed: streamed.makeFeed())])
        #expect(await age(at: 1_000_700) == 700)
    }
}
