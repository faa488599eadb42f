import Foundation
import Testing
@testable import ForeshockConfig
@testable import ForeshockFeeds
@testable import ForeshockTestSupport

/// The poller asks a feed what it needs, never which network it is.
@Suite("Feeds declare their needs")
struct FeedNeedsTests {
    @Test("each network's feed declares what its API needs")
    func declared() {
        #expect(RedditFeed(source: testSource(.reddit)).needs == FeedNeeds(authentication: .clientCredentials, olderCursorWhenEmpty: true, pagesGoBack: false))
        #expect(BlueskyFeed(source: testSource(.bluesky)).needs.authentication == .session)
        #expect(BlueskyFeed(source: testSource(.bluesky)).followersRequests(for: ["a.bsky.social"]).count == 1)
        // Timelines page forward from the cursor (min_id); search pages back from the newest.
        #expect(MastodonFeed(source: testSource(.mastodon)).needs == FeedNeeds(countsOneByOneWhenBatchMissing: true, timeCursorMayBeMisread: true, pagesGoBack: false))
        var search = testSource(.mastodon)
        search.mode = .search
        #expect(MastodonFeed(source: search).needs.pagesGoBack)
        #expect(HackerNewsFeed(source: testSource(.hackernews)).needs == FeedNeeds(countsRequestPerPost: true, countsCarryReplies: true))
        #expect(XFeed(source: testSource(.x)).followersRequests(for: ["someone"]).isEmpty)
        #expect(XFeed(source: testSource(.x)).needs == FeedNeeds())
    }

    @Test("the poller, its credentials and its stream never ask a feed which network it is")
    func pollerAsksNoNames() throws {
        for file in ["FeedPoller.swift", "FeedCredentials.swift", "FeedStream.swift"] {
            let text = try String(contentsOf: repositoryRoot.appendingPathComponent("Sources/ForeshockFeeds/\(file)"), encoding: .utf8)
            for forbidden in [".kind ==", "kind == .", "switch source.kind", "as? BlueskyFeed", "as? MastodonFeed", "as? RedditFeed", "as? XFeed", "MastodonFeed("] {
                #expect(!text.contains(forbidden), "\(file) asks which network it has: \(forbidden)")
            }
        }
    }
}
