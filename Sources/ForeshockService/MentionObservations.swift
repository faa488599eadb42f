import ForeshockCore
import ForeshockFeeds
import ForeshockSupport
import Foundation

/// Turns what a poll found into observations for the scoring core: a post (and its counters),
/// a reshare of a post, or the brand's answer.
package enum MentionObservations {
    /// - Parameter outcome: one poll's new mentions and brand replies.
    /// - Returns: observations in time order, a post before reshares of it.
    package static func from(_ outcome: PollOutcome) -> [Observation] {
        let seen = outcome.observedAt.timeIntervalSince1970
        var out: [Observation] = []
        for mention in outcome.mentions {
            out += from(mention, source: outcome.source, observedAt: seen)
        }
        for answer in outcome.answers { out.append(Self.answer(answer, source: outcome.source, seenAt: seen)) }
        // A post found in the same poll as reshares of it (found late, or on a page that lists
        // the newest first) is stamped no later than the first of them, so that the core knows
        // its author and the author's audience when it scores them.
        var firstReshare: [PostKey: Double] = [:]
        for observation in out {
            if case .reshare(let key, let time, _, _) = observation { firstReshare[key] = min(firstReshare[key] ?? time, time) }
        }
        if !firstReshare.isEmpty {
            out = out.map { observation in
                guard case .post(let key, let time, let created, let author, let followers, let text, let url) = observation,
                      let first = firstReshare[key], first < time else { return observation }
                return .post(key: key, time: first, createdAt: min(created, first), author: author, followers: followers, text: text, url: url)
            }
        }
        // By time, and a post first among equals (`sorted` does not promise to keep their order).
        return out.sorted { ($0.time, $0.isPost ? 0 : 1) < ($1.time, $1.isPost ? 0 : 1) }
    }

    /// The brand's reply as the core's answer to the post, no later than when it was seen (a
    /// server's clock ahead of ours must not date it in the future).
    package static func answer(_ reply: BrandReply, source: String, seenAt seen: Double) -> Observation {
        .answer(key: PostKey(source: source, id: reply.postID), time: min(seen, reply.at.timeIntervalSince1970), author: reply.by)
    }

    /// A follower count as the scorer may use it: a negative one is no count (a Mastodon fork
    /// answers -1 for an account that hides it), not a negative audience; nor is one past ten
    /// billion.
    package static func followers(_ count: Double?) -> Double? {
        count.flatMap { $0 >= 0 && $0 <= maxFollowers ? $0 : nil }
    }

    /// More than there are people: no account's count, a damaged line's.
    static let maxFollowers = 1e10

    package static func followers(_ count: Int?) -> Double? {
        followers(count.map(Double.init))
    }

    package static func from(_ mention: Mention, source: String, observedAt seen: Double) -> [Observation] {
        let created = mention.createdDate?.timeIntervalSince1970
        if let original = mention.reshareOf {
            return [.reshare(key: PostKey(source: source, id: original), time: min(seen, created ?? seen), user: mention.author,
                             followers: followers(mention.authorFollowers))]
        }
        let key = PostKey(source: source, id: mention.id)
        var out: [Observation] = [.post(key: key, time: seen, createdAt: min(seen, created ?? seen), author: mention.author,
                                        followers: followers(mention.authorFollowers), text: mention.text, url: WebLink.safe(mention.url))]
        if mention.reshares != nil || mention.replies != nil || mention.likes != nil || mention.quotes != nil {
            out.append(.counts(key: key, time: seen, reshares: mention.reshares, replies: mention.replies, likes: mention.likes, quotes: mention.quotes))
        }
        return out
    }
}
