import Foundation
import Testing
@testable import ForeshockSupport
@testable import ForeshockConfig
@testable import ForeshockCore
@testable import ForeshockTestSupport

/// The seeds' other case: the brand answers, and the answer makes it worse. The embedded
/// default's `spreading-after-answer` rule on the real seismic_tweet cascade, with the brand's
/// answer at different moments.
@Suite("Spreading after the brand's answer, the embedded default rule")
struct SpreadingAfterAnswerTests {
    static let start = 1_700_000_000.0

    /// The embedded default config with only its `spreading-after-answer` rule, so that the
    /// post's critical going-viral alert does not hide the warning.
    static func config() throws -> Config {
        var config = try ConfigLoader.embeddedDefault(query: "acme", environment: [:]).0
        config.rules = config.rules.filter { $0.name == "spreading-after-answer" }
        #expect(config.rules.count == 1 && config.rules[0].when.spreadingAfterAnswer == true)
        return config
    }

    /// The first `spreading-after-answer` alert's time after the post, with the answer at
    /// `answerAt` seconds (none when nil), over the cascade's first `hours`.
    static func firstAlert(answerAt: Double?, hours: Double) throws -> (at: Double, why: String?)? {
        let engine = ScoringEngine(config: try config(), shards: 1)
        let key = PostKey(source: "x", id: "t1")
        _ = engine.ingest([.post(key: key, time: start, createdAt: start, author: "dana", followers: 2290, text: nil, url: nil)])
        var answered = answerAt == nil
        for share in try loadCascade("seismic_tweet.csv").dropFirst() where share.time <= hours * 3600 {
            var batch: [Observation] = []
            if !answered, let answerAt, share.time > answerAt {
                batch.append(.answer(key: key, time: start + answerAt, author: "acme"))
                answered = true
            }
            batch.append(.reshare(key: key, time: start + share.time, user: nil, followers: share.followers))
            if let note = engine.ingest(batch).first(where: { $0.rule == "spreading-after-answer" && $0.state == .firing }) {
                return (note.time - start, note.why)
            }
        }
        return nil
    }

    @Test("Answered 15 minutes in, before the second wave: the warning fires when the reshares come faster than before the answer")
    func answerBeforeSecondWave() throws {
        let alert = try #require(try Self.firstAlert(answerAt: 900, hours: 2))
        // Not before the answer has settled for 10 minutes; the second wave is under way by 40.
        #expect(alert.at >= 900 + 600 && alert.at <= 2400, "at \(alert.at) s")
        let why = try #require(alert.why)
        #expect(why.contains("spreading as fast since the brand's answer"), "\(why)")
    }

    @Test("Answered 3 hours or 12 hours in, as the cascade slows: no warning over the next day")
    func answerAsItSlows() throws {
        #expect(try Self.firstAlert(answerAt: 3 * 3600, hours: 27) == nil)
        #expect(try Self.firstAlert(answerAt: 12 * 3600, hours: 36) == nil)
    }

    /// The same with only a counter, polled every minute from `firstPoll` seconds on.
    static func firstCountsAlert(answerAt: Double, firstPoll: Double, hours: Double) throws -> Double? {
        let engine = ScoringEngine(config: try config(), shards: 1)
        let key = PostKey(source: "x", id: "t1")
        let times = try loadCascade("seismic_tweet.csv").dropFirst().map(\.time)
        _ = engine.ingest([.post(key: key, time: start, createdAt: start, author: "dana", followers: 2290, text: nil, url: nil)])
        var answered = false
        for poll in stride(from: firstPoll, through: hours * 3600, by: 60) {
            var batch: [Observation] = []
            if !answered, poll > answerAt {
                batch.append(.answer(key: key, time: start + answerAt, author: "acme"))
                answered = true
            }
            batch.append(.counts(key: key, time: start + poll, reshares: times.filter { $0 <= poll }.count, replies: nil, likes: nil, quotes: nil))
            if let note = engine.ingest(batch).first(where: { $0.rule == "spreading-after-answer" && $0.state == .firing }) { return note.time - start }
        }
        return nil
    }

    @Test("Counted only: polled from the start, the warning fires on the second wave; first polled after the answer, the pace before it is the even spread's guess, and nothing fires")
    func countedOnly() throws {
        let polled = try #require(try Self.firstCountsAlert(answerAt: 900, firstPoll: 60, hours: 2))
        #expect(polled >= 900 + 600 && polled <= 3000, "at \(polled) s")
        // The watch started 40 minutes in, 25 after the answer: its first counter is spread
        // evenly from the post, so before and since the answer read the same pace.
        #expect(try Self.firstCountsAlert(answerAt: 900, firstPoll: 2400, hours: 2) == nil)
    }

    @Test("Never answered: the rule cannot hold")
    func neverAnswered() throws {
        #expect(try Self.firstAlert(answerAt: nil, hours: 2) == nil)
    }

    @Test("replay --trace shows the rates before and since the answer, and the rule is one watch turns off without brand accounts")
    func traceAndBrandAccounts() async throws {
        var lines = [#"{"type":"post","time":1700000000,"source":"x","id":"t1","author":"dana","followers":2290}"#]
        var answered = false
        for share in try loadCascade("seismic_tweet.csv").dropFirst() where share.time <= 3600 {
            if !answered, share.time > 900 {
                lines.append(#"{"type":"answer","time":1700000900,"source":"x","post":"t1","author":"acme"}"#)
                answered = true
            }
            lines.append(#"{"type":"reshare","time":\#(Self.start + share.time),"source":"x","post":"t1","user":"u","followers":\#(Int(share.followers))}"#)
        }
        let path = try writeTemporaryFile(lines.joined(separator: "\n") + "\n", name: "answered.jsonl")
        let (status, out, err) = await runForeshock(["replay", path, "--format", "json", "--trace", "t1", "--trace-every", "5m"])
        #expect(status == .success, "\(err)")
        let traces = out.split(separator: "\n").compactMap { try? JSONValue.parse(Data($0.utf8)) }.filter { $0["type"]?.stringValue == "trace" }
        // 20 minutes in the answer has not settled; at 25, 37 reshares came in the 15 minutes
        // before it and only 12 in the 10 since.
        let at20 = try #require(traces.first { $0["time"]?.stringValue == "2023-11-14T22:33:20Z" })
        #expect(at20["after_answer_before_per_min"]?.isNull == true && at20["spreading_after_answer"]?.boolValue == false, "\(at20)")
        let at25 = try #require(traces.first { $0["time"]?.stringValue == "2023-11-14T22:38:20Z" })
        #expect(at25["after_answer_before_per_min"]?.doubleValue.map { abs($0 - 37.0 / 15) < 0.01 } == true, "\(at25)")
        #expect(at25["spreading_after_answer"]?.boolValue == false)
        let at40 = try #require(traces.first { $0["time"]?.stringValue == "2023-11-14T22:53:20Z" })
        #expect(at40["spreading_after_answer"]?.boolValue == true, "\(at40)")
        // Without brand accounts no answer is ever seen, so watch turns the rule off.
        let off = try ConfigLoader.embeddedDefault(query: "acme", environment: [:]).0.answerRulesLimitedToBrandSources().off.map(\.rule)
        #expect(off.contains("spreading-after-answer") && off.contains("unanswered-complaint"))
    }
}
