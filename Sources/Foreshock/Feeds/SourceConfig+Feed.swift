extension SourceConfig {
    /// The adapter that reads this source's API.
    public func makeFeed() -> any MentionFeed {
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
