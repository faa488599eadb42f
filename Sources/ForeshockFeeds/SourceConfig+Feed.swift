import ForeshockConfig
import ForeshockTransport
import Foundation

extension SourceConfig {
    /// A request to this source's API with its timeout and TLS settings: every feed, login and
    /// stream request starts here.
    func httpRequest(_ url: String, method: String = "GET", body: Data? = nil) -> HTTPRequest {
        HTTPRequest(method: method, url: url, body: body, timeout: timeout, insecureSkipVerify: insecureSkipVerify, caFile: caFile)
    }

    /// The adapter that reads this source's API.
    package func makeFeed() -> any MentionFeed {
        switch kind {
        case .mastodon: return MastodonFeed(source: self)
        case .bluesky: return BlueskyFeed(source: self)
        case .reddit: return RedditFeed(source: self)
        case .hackernews: return HackerNewsFeed(source: self)
        case .x: return XFeed(source: self)
        case .json: return JSONFeed(source: self)
        }
    }
}
