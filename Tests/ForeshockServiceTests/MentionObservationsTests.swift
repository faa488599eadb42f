import Foundation
import Testing
@testable import ForeshockSupport
@testable import ForeshockFeeds
@testable import ForeshockCore
@testable import ForeshockService
@testable import ForeshockTestSupport

@Suite("A poll's mentions as observations")
struct MentionObservationsTests {
    static func at(_ seconds: Double) -> String { Timestamp.format(Date(timeIntervalSince1970: seconds)) }

    @Test("A post found with its reshares goes first, so its alert knows the author and its audience")
    func postBeforeItsReshares() throws {
        // A page that lists the newest first: two boosts, then the post they boost.
        var outcome = PollOutcome(source: "m", observedAt: Date(timeIntervalSince1970: 1_000_500))
        for (id, created) in [("r2", 1_000_100.0), ("r1", 1_000_050.0)] {
            var boost = Mention(source: "m", id: id)
            boost.reshareOf = "p"
            boost.author = "fan-\(id)"
            boost.authorFollowers = 40
            boost.createdAt = Self.at(created)
            outcome.mentions.append(boost)
        }
        var post = Mention(source: "m", id: "p")
        post.author = "dana"
        post.authorFollowers = 2290
        post.text = "worst service ever"
        post.createdAt = Self.at(1_000_010)
        outcome.mentions.append(post)
        let observations = MentionObservations.from(outcome)
        #expect(observations.map(\.time) == observations.map(\.time).sorted())
        guard case .post(let key, let time, let created, let author, _, _, _) = observations.first else {
            Issue.record("the post is not first: \(observations)")
            return
        }
        #expect(key == PostKey(source: "m", id: "p") && author == "dana")
        #expect(time == 1_000_050 && created == 1_000_010)
        // Scored as it arrives, the first alert names the author and counts her audience.
        let engine = ScoringEngine(config: scoringConfig([rule("any", .warning) { $0.minReshares = 1 }]), shards: 1)
        let note = try #require(engine.ingest(observations).first)
        #expect(note.author == "dana")
        #expect(note.reach == 2290 + 40)
    }

    @Test("A post alone is stamped when it was seen")
    func postAlone() {
        var outcome = PollOutcome(source: "m", observedAt: Date(timeIntervalSince1970: 2_000))
        var post = Mention(source: "m", id: "p")
        post.createdAt = Self.at(1_000)
        outcome.mentions.append(post)
        guard case .post(_, let time, let created, _, _, _, _) = MentionObservations.from(outcome).first else {
            Issue.record("no post")
            return
        }
        #expect(time == 2_000 && created == 1_000)
    }

    @Test("A negative follower count is no count (a Mastodon fork's -1 for a hidden one), for authors and resharers")
    func hiddenFollowers() {
        var outcome = PollOutcome(source: "m", observedAt: Date(timeIntervalSince1970: 2_000))
        var post = Mention(source: "m", id: "p")
        post.authorFollowers = -1
        var boost = Mention(source: "m", id: "b")
        boost.reshareOf = "p"
        boost.authorFollowers = -1
        var counted = Mention(source: "m", id: "q")
        counted.authorFollowers = 0
        outcome.mentions = [post, boost, counted]
        var followers: [String: Double?] = [:]
        for observation in MentionObservations.from(outcome) {
            switch observation {
            case .post(let key, _, _, _, let count, _, _): followers["post " + key.id] = count
            case .reshare(let key, _, _, let count): followers["reshare of " + key.id] = count
            default: break
            }
        }
        #expect(followers == ["post p": Double?.none, "reshare of p": Double?.none, "post q": 0])
    }
}
