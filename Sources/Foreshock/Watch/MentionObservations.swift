import Foundation

/// Turns what a poll found into observations for the scoring core: a post (and its counters),
/// a reshare of a post, or the brand's answer.
public enum MentionObservations {
    /// - Parameter outcome: one poll's new mentions and brand replies.
    /// - Returns: observations in time order.
    public static func from(_ outcome: PollOutcome) -> [Observation] {
        let seen = outcome.observedAt.timeIntervalSince1970
        var out: [Observation] = []
        for mention in outcome.mentions {
            out += from(mention, source: outcome.source, observedAt: seen)
        }
        for answer in outcome.answers {
            out.append(.answer(key: PostKey(source: outcome.source, id: answer.postID), time: min(seen, answer.at.timeIntervalSince1970), author: answer.by))
        }
        return out.sorted { $0.time < $1.time }
    }

    public static func from(_ mention: Mention, source: String, observedAt seen: Double) -> [Observation] {
        let created = mention.createdDate?.timeIntervalSince1970
        if let original = mention.reshareOf {
            return [.reshare(key: PostKey(source: source, id: original), time: min(seen, created ?? seen), user: mention.author,
                             followers: mention.authorFollowers.map(Double.init))]
        }
        let key = PostKey(source: source, id: mention.id)
        var out: [Observation] = [.post(key: key, time: seen, createdAt: min(seen, created ?? seen), author: mention.author,
                                        followers: mention.authorFollowers.map(Double.init), text: mention.text, url: mention.url)]
        if mention.reshares != nil || mention.replies != nil || mention.likes != nil || mention.quotes != nil {
            out.append(.counts(key: key, time: seen, reshares: mention.reshares, replies: mention.replies, likes: mention.likes, quotes: mention.quotes))
        }
        return out
    }
}
