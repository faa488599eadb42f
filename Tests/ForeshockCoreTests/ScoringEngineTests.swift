import Foundation
import Testing
@testable import ForeshockConfig
@testable import ForeshockSupport
@testable import ForeshockCore
@testable import ForeshockService
@testable import ForeshockTestSupport

/// A recording of a TiDeH cascade as events, starting at `start`.
func cascadeObservations(_ file: String, id: String, start: Double, limit: Int = .max) throws -> [Observation] {
    let cascade = try loadCascade(file)
    let key = PostKey(source: "x", id: id)
    var out: [Observation] = [.post(key: key, time: start, createdAt: start, author: "a\(id)", followers: cascade[0].followers, text: "hello", url: nil)]
    for share in cascade.dropFirst().prefix(limit) {
        out.append(.reshare(key: key, time: start + share.time, user: nil, followers: share.followers))
    }
    return out
}

@Suite("Scoring core: rules, alert lifecycle, shards")
struct ScoringEngineTests {
    static let viral = rule("going-viral", .critical) { $0.predictedResharesAtLeast = 1000; $0.minReshares = 10 }
    static let warm = rule("heating-up", .warning) { $0.minReshares = 5 }

    @Test("An alert starts, escalates once to critical, de-escalates once only a warning has held for resolve_after, and resolves")
    func lifecycle() {
        var lifecycle = AlertLifecycle(repeatInterval: 3600, resolveAfter: 600, sinkNames: [])
        let key = PostKey(source: "s", id: "1")
        func step(_ rules: [RuleConfig], _ t: Double) -> AlertNotification.Reason? {
            lifecycle.update(key, holding: rules, time: t) { name, severity, sinks, reason, _ in
                AlertNotification(.post(key, AlertNotification.PostSnapshot(reshares: 0)), time: t, rule: name, severity: severity, reason: reason, sinks: sinks)
            }?.reason
        }
        #expect(step([Self.warm], 0) == .started)
        #expect(step([Self.warm], 10) == nil)
        #expect(step([Self.warm, Self.viral], 20) == .escalated)
        #expect(lifecycle.firing[key]?.severity == .critical)
        #expect(step([Self.warm, Self.viral], 30) == nil)
        #expect(step([Self.warm], 40) == nil) // not yet: a critical rule held 10 s ago
        #expect(step([Self.warm], 629) == nil)
        #expect(lifecycle.firing[key]?.severity == .critical)
        #expect(step([Self.warm], 630) == .deescalated)
        #expect(lifecycle.firing[key]?.severity == .warning && lifecycle.firing[key]?.rule == "heating-up")
        #expect(step([Self.warm], 3620) == nil)
        #expect(step([Self.warm], 4230) == .repeated)
        #expect(step([], 4300) == nil)
        #expect(step([], 4230 + 600) == .resolved)
        #expect(lifecycle.firing[key] == nil)
    }

    @Test("An alert whose rule stops holding while another as severe holds is that rule's from then: its reminders and resolution name it, not the rule that no longer holds")
    func ruleHandsOver() {
        var lifecycle = AlertLifecycle(repeatInterval: 3600, resolveAfter: 600, sinkNames: [])
        let key = PostKey(source: "s", id: "1")
        let unanswered = rule("unanswered", .critical) { $0.unansweredForAtLeast = 3600 }
        let rules = [Self.warm, unanswered, Self.viral]
        func step(_ holding: [Int], _ t: Double) -> AlertLifecycle.Change? { lifecycle.change(key, holding: RuleSet(holding), of: rules, time: t) }
        #expect(step([1], 0)?.rule == "unanswered")
        // Answered: only going viral holds now. The alert is going viral's, said at its reminder.
        #expect(step([2], 100) == nil)
        #expect(lifecycle.firing[key]?.rule == "going-viral")
        let reminder = step([2], 3700)
        #expect(reminder?.reason == .repeated && reminder?.rule == "going-viral", "\(String(describing: reminder))")
        // A less severe rule holding alone takes nothing over at once: that waits for the grace
        // a resolution waits (the next test).
        #expect(step([0], 3800) == nil)
        #expect(lifecycle.firing[key]?.rule == "going-viral" && lifecycle.firing[key]?.severity == .critical)
        #expect(step([], 3900) == nil)
        #expect(step([], 4500)?.rule == "going-viral")
    }

    @Test("A critical alert where only a warning rule has held for resolve_after de-escalates once, to every sink told; a critical rule back within the grace keeps it; after, one escalates it again")
    func deescalates() {
        var lifecycle = AlertLifecycle(repeatInterval: 3600, resolveAfter: 600, sinkNames: ["pager", "chat"])
        let key = PostKey(source: "s", id: "1")
        var unanswered = rule("unanswered", .critical) { $0.unansweredForAtLeast = 3600 }
        var after = rule("spreading-after-answer", .warning) { $0.spreadingAfterAnswer = true }
        unanswered.sinks = ["pager", "chat"]
        after.sinks = ["chat"]
        let rules = [unanswered, after]
        func step(_ holding: [Int], _ t: Double, stable: Double = -.infinity) -> AlertLifecycle.Change? {
            lifecycle.change(key, holding: RuleSet(holding), of: rules, time: t, rulesStableUntil: stable)
        }
        #expect(step([0], 0)?.reason == .started)
        // Answered at 100; the answer made it worse. The critical rule flickers back at 400: the
        // grace starts again from there.
        #expect(step([1], 100) == nil)
        #expect(step([0, 1], 400) == nil)
        #expect(step([1], 900, stable: 5000) == nil)
        // Nothing changes with time alone but the de-escalation, so the alert is not quiet past it.
        #expect(lifecycle.lastQuietUntil == 1000)
        let down = step([1], 1000, stable: 5000)
        #expect(down == AlertLifecycle.Change(rule: "spreading-after-answer", severity: .warning, sinks: ["pager", "chat"], reason: .deescalated, since: 0),
                "\(String(describing: down))")
        // Reminders go to the warning's sinks; the pager hears the resolution.
        #expect(step([1], 1000 + 3600)?.sinks == ["chat"])
        // A critical rule again, later: escalated, one notification.
        #expect(step([0, 1], 5000)?.reason == .escalated)
        #expect(lifecycle.firing[key]?.severity == .critical && lifecycle.firing[key]?.rule == "unanswered")
        #expect(step([], 5100) == nil)
        #expect(step([], 5700)?.sinks == ["pager", "chat"])
    }

    @Test("No reminder at the old severity while a de-escalation's grace runs: the critical reminder due then waits, and the de-escalation comes instead")
    func noReminderInGrace() {
        var lifecycle = AlertLifecycle(repeatInterval: 3600, resolveAfter: 600, sinkNames: [])
        let key = PostKey(source: "s", id: "1")
        func step(_ holding: [RuleConfig], _ t: Double) -> AlertNotification.Reason? { lifecycle.change(key, holding: holding, time: t)?.reason }
        #expect(step([Self.viral], 0) == .started)
        #expect(step([Self.viral, Self.warm], 3400) == nil)
        // The reminder is due at 3600, but only the warning has held since 3400.
        #expect(step([Self.warm], 3700) == nil)
        #expect(step([Self.warm], 4000) == .deescalated)
        #expect(step([Self.warm], 4000 + 3600) == .repeated)
    }

    @Test("A rule with sinks of its own that starts to hold on a firing alert tells those sinks at once; reminders go to the rules holding now, the resolution to every sink told")
    func sinksOfRulesHoldingNow() {
        var viral = Self.viral, warm = Self.warm
        viral.sinks = ["pager"]
        warm.sinks = ["slack"]
        var lifecycle = AlertLifecycle(repeatInterval: 3600, resolveAfter: 600, sinkNames: ["pager", "slack", "mail"])
        let key = PostKey(source: "s", id: "1")
        func step(_ rules: [RuleConfig], _ t: Double) -> AlertLifecycle.Change? { lifecycle.change(key, holding: rules, time: t) }
        let first = step([viral], 0)
        #expect(first?.reason == .started && first?.sinks == ["pager"])
        let joined = step([viral, warm], 10)
        // Named after the rule that brings the sink, as that sink's routing is about it.
        #expect(joined?.reason == .started && joined?.sinks == ["slack"] && joined?.rule == "heating-up" && joined?.severity == .warning)
        #expect(step([viral, warm], 20) == nil)
        // Only the warning holds: every sink told hears the de-escalation, its reminders only
        // the warning's.
        let down = step([warm], 3600)
        #expect(down?.reason == .deescalated && down?.sinks == ["pager", "slack"])
        let reminder = step([warm], 7200)
        #expect(reminder?.reason == .repeated && reminder?.sinks == ["slack"])
        // A rule naming no sink sends to every one: the third sink hears of it now.
        let everyone = step([rule("any", .warning) { $0.minReshares = 1 }], 7210)
        #expect(everyone?.reason == .started && everyone?.sinks == ["mail"])
        #expect(step([], 7300) == nil)
        let resolved = step([], 7210 + 600)
        #expect(resolved?.reason == .resolved && resolved?.sinks == [])
    }

    @Test("A notification says which conditions held, with the post's values beside the rule's")
    func heldConditions() throws {
        let config = scoringConfig([rule("going-viral", .critical) { $0.predictedResharesAtLeast = 100; $0.minReshares = 5; $0.maxAge = 30 * 86400 }])
        var notes: [AlertNotification] = []
        let replay = Replay(config: config) { notes.append($0) }
        for observation in try cascadeObservations("seismic_tweet.csv", id: "t", start: 1_000_000, limit: 400) { replay.add(observation) }
        _ = replay.finish()
        let started = try #require(notes.first { $0.reason == .started })
        let held = try #require(started.held)
        // "predicted 1,932 ≥ 100; 15 reshares ≥ 5; age 2m22s ≤ 30d"
        let predicted = try #require(started.predicted)
        #expect(held.hasPrefix("predicted \(NumberText.grouped(predicted.rounded())) ≥ 100; \(started.reshares) reshares ≥ 5; age "), "\(held)")
        #expect(held.hasSuffix(" ≤ 30d"), "\(held)")
        #expect(started.silenceCommand == "foreshock silence add --post x:t --for 2h --comment 'on it'")
        #expect(started.jsonLine.contains("\"held\":\"predicted "))
    }

    @Test("Results are identical for 1, 2 and 7 shards")
    func shardIndependence() async throws {
        var observations = try cascadeObservations("tideh_RT1.txt", id: "big", start: 1_000_000, limit: 3000)
        for post in 0..<300 {
            let start = 1_000_000 + Double(post * 37)
            let key = PostKey(source: post % 2 == 0 ? "x" : "m", id: "p\(post)")
            observations.append(.post(key: key, time: start, createdAt: start, author: "u\(post)", followers: Double(50 + post), text: post % 5 == 0 ? "worst service, still waiting" : "hi", url: nil))
            for share in 0..<(post % 23) {
                observations.append(.reshare(key: key, time: start + Double(share * 11 + 5), user: nil, followers: Double(10 * share)))
            }
            observations.append(.counts(key: key, time: start + 600, reshares: nil, replies: post % 3, likes: post, quotes: nil))
        }
        observations.sort { $0.time < $1.time }
        var config = scoringConfig([Self.viral, Self.warm, rule("complaint", .warning) { $0.complaint = true; $0.unansweredForAtLeast = 300 }])
        config.scoring.evaluationInterval = 60
        let recording = observations, settings = config
        @Sendable func run(_ shards: Int) -> [String] {
            var lines: [String] = []
            let replay = Replay(config: settings, shards: shards) { lines.append($0.jsonLine) }
            for observation in recording { replay.add(observation) }
            _ = replay.finish()
            return lines
        }
        let (one, two, seven) = try await offCooperativePool { (run(1), run(2), run(7)) }
        #expect(one.count > 50)
        #expect(one.contains { $0.contains("\"rule\":\"going-viral\"") })
        #expect(one.contains { $0.contains("\"rule\":\"complaint\"") })
        #expect(two == one)
        #expect(seven == one)
    }

    @Test("A batch of thousands, looked up in runs, notifies and scores as the same observations one at a time")
    func batchAsOneAtATime() async throws {
        // Several runs of `ScoringShard.lookAhead` per shard, with posts first seen inside a run
        // and reshared in the next, and a cascade that pages.
        var observations = try cascadeObservations("tideh_RT1.txt", id: "big", start: 1_000_000, limit: 1500)
        var keys = [PostKey(source: "x", id: "big")]
        for post in 0..<600 {
            let start = 1_000_000 + Double(post * 3)
            let key = PostKey(source: post % 2 == 0 ? "x" : "m", id: "p\(post)")
            keys.append(key)
            observations.append(.post(key: key, time: start, createdAt: start, author: "u\(post)", followers: Double(50 + post), text: "hi", url: nil))
            for share in 0..<(post % 13) {
                observations.append(.reshare(key: key, time: start + Double(share * 7 + 1), user: nil, followers: Double(10 * share)))
            }
        }
        observations.sort { $0.time < $1.time }
        for shard in 0..<2 {
            #expect(observations.filter { ScoringEngine.shard(of: $0.key.stableHash, count: 2) == shard }.count > 4 * ScoringShard.lookAhead)
        }
        let config = scoringConfig([Self.viral, Self.warm]), recording = observations, asked = keys
        // Thousands of synchronous ingests: off Swift concurrency's few threads.
        let (together, alone, batchedFeatures, singleFeatures) = try await offCooperativePool {
            let batched = ScoringEngine(config: config, shards: 2)
            let single = ScoringEngine(config: config, shards: 1)
            let together = batched.ingest(recording).map(\.jsonLine)
            let alone = recording.flatMap { single.ingest([$0]) }.sorted(by: AlertNotification.ordered).map(\.jsonLine)
            let end = recording.last!.time
            return (together, alone, batched.features(asked, at: end), single.features(asked, at: end))
        }
        #expect(together.count > 20)
        #expect(together.contains { $0.contains("\"rule\":\"going-viral\"") })
        #expect(together == alone)
        #expect(batchedFeatures == singleFeatures)
        #expect(batchedFeatures.allSatisfy { $0 != nil })
    }

    @Test("Resharers fetched when the counter says 20 are the 20 it counted, not 20 more; a counter ahead of the reshares seen is spread until they come")
    func fetchedResharersAreCounted() throws {
        let key = PostKey(source: "m", id: "1")
        var observations: [Observation] = [.post(key: key, time: 0, createdAt: 0, author: "dana", followers: 300, text: nil, url: nil)]
        for (minute, count) in [8, 14, 20].enumerated() {
            observations.append(.counts(key: key, time: Double(minute + 1) * 60, reshares: count, replies: nil, likes: nil, quotes: nil))
        }
        // The resharer list fetched after the poll at 3 minutes: its 20, spread since the post.
        for index in 1...20 {
            observations.append(.reshare(key: key, time: 180 * Double(index) / 20, user: "r\(index)", followers: 5_000))
        }
        let engine = ScoringEngine(config: scoringConfig([]), shards: 1)
        _ = engine.ingest(observations)
        let fetched = try #require(engine.features(key, at: 181))
        #expect(fetched.reshares == 20, "\(fetched.reshares) reshares")
        // Their real audiences stand in for the 100 each assumed for a counter's reshares.
        #expect(fetched.reach > 300 + 20 * 4_000, "reach \(fetched.reach)")
        // The counter moves on to 25, and the next list names the 5 new ones: 25, not 30.
        _ = engine.ingest([.counts(key: key, time: 240, reshares: 25, replies: nil, likes: nil, quotes: nil)])
        #expect(try #require(engine.features(key, at: 241)).reshares == 25)
        _ = engine.ingest((21...25).map { .reshare(key: key, time: 180 + Double($0 - 20) * 12, user: "r\($0)", followers: 5_000) })
        #expect(try #require(engine.features(key, at: 242)).reshares == 25)
        // One more seen than any counter said is one more, once the counter says so too.
        _ = engine.ingest([.reshare(key: key, time: 250, user: "r26", followers: 5_000), .counts(key: key, time: 260, reshares: 26, replies: nil, likes: nil, quotes: nil)])
        #expect(try #require(engine.features(key, at: 261)).reshares == 26)
        // Retweets taken back: the counter falls, resharers fetched or not.
        _ = engine.ingest([.counts(key: key, time: 300, reshares: 3, replies: nil, likes: nil, quotes: nil)])
        #expect(try #require(engine.features(key, at: 301)).reshares == 3)
    }

    @Test("The why says how far past the author's followers the resharers reach, at twice or more and only where every resharer's followers are known")
    func resharersReach() throws {
        let engine = ScoringEngine(config: scoringConfig([]), shards: 1)
        func post(_ id: String, author: Double, resharers: [Double]) -> PostKey {
            let key = PostKey(source: "m", id: id)
            _ = engine.ingest([.post(key: key, time: 0, createdAt: 0, author: "a", followers: author, text: nil, url: nil)]
                + resharers.enumerated().map { .reshare(key: key, time: Double($0.offset + 1), user: "r\($0.offset)", followers: $0.element) })
            return key
        }
        let far = try #require(engine.features(post("far", author: 300, resharers: [5_000, 4_000, 3_000]), at: 10))
        #expect(far.resharersReach(authorFollowers: 300) == "its resharers reach 40× the author's audience")
        let near = try #require(engine.features(post("near", author: 1_000, resharers: [1_500, 1_200]), at: 10))
        #expect(near.resharersReach(authorFollowers: 1_000) == "its resharers reach 2.7× the author's audience")
        let under = try #require(engine.features(post("under", author: 1_000, resharers: [900, 900]), at: 10))
        #expect(under.resharersReach(authorFollowers: 1_000) == nil)
        #expect(far.resharersReach(authorFollowers: nil) == nil)
        // A counter's reshares, their audience assumed: no figure made up from it.
        let counted = PostKey(source: "m", id: "counted")
        _ = engine.ingest([.post(key: counted, time: 0, createdAt: 0, author: "a", followers: 10, text: nil, url: nil),
                           .counts(key: counted, time: 60, reshares: 30, replies: nil, likes: nil, quotes: nil)])
        let assumed = try #require(engine.features(counted, at: 61))
        #expect(assumed.reachAssumed == 30 && assumed.resharersReach(authorFollowers: 10) == nil)
    }

    @Test("A counter's reshares, with no follower counts, are in the reach at an assumed audience, and the alert says how many; resharers fetched take their places")
    func reachAssumed() throws {
        let key = PostKey(source: "r", id: "1")
        let engine = ScoringEngine(config: scoringConfig([rule("voted", .warning) { $0.minReshares = 10 }]), shards: 1)
        let notes = engine.ingest([.post(key: key, time: 0, createdAt: 0, author: "dana", followers: nil, text: nil, url: nil),
                                   .counts(key: key, time: 60, reshares: 12, replies: nil, likes: nil, quotes: nil)])
        let started = try #require(notes.first { $0.reason == .started }, "\(notes.map(\.jsonLine))")
        #expect(started.reachAssumed == 12 && started.reach > 0, "\(started.jsonLine)")
        #expect(started.reachNote == " (12 reshares at an assumed audience: their resharers' followers are not known)")
        #expect(started.jsonLine.contains(#""reach_assumed_reshares":12"#))
        // Five of them fetched with their followers: seven still assumed, and the five's 50 each
        // in the reach in place of their assumed audience, not on top of it.
        let assumedReach = try #require(engine.features(key, at: 70)).reach
        _ = engine.ingest((1...5).map { .reshare(key: key, time: 60 + Double($0), user: "u\($0)", followers: 50) })
        #expect(try #require(engine.features(key, at: 70)).reachAssumed == 7)
        let fetchedReach = try #require(engine.features(key, at: 70)).reach
        #expect(abs(fetchedReach - (assumedReach * 7 / 12 + 5 * 50)) < 1e-6, "\(assumedReach) then \(fetchedReach)")
        // Two more fetched without their followers (a look-up out of budget): they take their
        // places, but their audience stays assumed.
        let reach = try #require(engine.features(key, at: 70)).reach
        _ = engine.ingest((6...7).map { .reshare(key: key, time: 60 + Double($0), user: "u\($0)", followers: nil) })
        let after = try #require(engine.features(key, at: 70))
        #expect(after.reachAssumed == 7 && after.reach == reach && after.reshares == 12, "\(after.reachAssumed) \(after.reach) \(after.reshares)")
        // A post whose resharers come with their followers assumes nothing.
        let known = PostKey(source: "m", id: "2")
        let seen = engine.ingest([.post(key: known, time: 100, createdAt: 100, author: "sam", followers: 300, text: nil, url: nil)]
                                 + (1...10).map { .reshare(key: known, time: 100 + Double($0), user: "k\($0)", followers: 200) })
        let knownStart = try #require(seen.first { $0.reason == .started })
        #expect(knownStart.reachAssumed == 0 && knownStart.reachNote.isEmpty && knownStart.reach == 300 + 10 * 200, "\(knownStart.jsonLine)")
    }

    @Test("Reshares learned late (stamped minutes back, as fetched resharers are) change the alert when they are learned: no notification stamped in the past")
    func lateReshares() throws {
        let key = PostKey(source: "m", id: "1")
        let engine = ScoringEngine(config: scoringConfig([rule("warm", .warning) { $0.minReshares = 5 }, rule("hot", .critical) { $0.minReshares = 10 }]), shards: 1)
        _ = engine.ingest([.post(key: key, time: 0, createdAt: 0, author: "dana", followers: 300, text: nil, url: nil)]
                          + (1...5).map { .reshare(key: key, time: Double($0) * 10, user: "r\($0)", followers: 100) })
        _ = engine.tick(600)
        // Five more, made between 100 s and 150 s, learned after the tick at 600 s.
        let notes = engine.ingest((6...10).map { .reshare(key: key, time: 100 + Double($0 - 6) * 10, user: "r\($0)", followers: 100) })
        let escalated = try #require(notes.first { $0.reason == .escalated }, "\(notes.map(\.jsonLine))")
        #expect(escalated.time == 600, "\(escalated.jsonLine)")
    }

    @Test("Alerts passed over between their changes notify exactly as when every tick evaluates them")
    func quietAlertsMatchEveryTick() async throws {
        // Every kind of condition time alone can change: velocity, age, unanswered time, the
        // prediction, a source's volume; repeats and resolves; rules with their own sinks.
        var config = scoringConfig([
            rule("going-viral", .critical) { $0.predictedResharesAtLeast = 1000; $0.minReshares = 5; $0.maxAge = 3 * 86400 },
            rule("heating-up", .warning) { $0.velocityPerMinAtLeast = 1; $0.minReshares = 10; $0.maxAge = 6 * 3600 },
            // Critical: a counter's reshares ahead of those seen are spread as they come, so the
            // post heats up first, and big then escalates it.
            rule("big", .critical) { $0.minReshares = 300 },
            rule("unanswered", .warning) { $0.complaint = true; $0.unansweredForAtLeast = 1800 },
            rule("storm", .critical) { $0.volumeSpikeRatioAtLeast = 4 },
            rule("complaint-in-a-storm", .warning) { $0.complaint = true; $0.volumeSpikeRatioAtLeast = 3 },
        ])
        // `big` only on the other source, so that the big cascades' alerts end when going-viral's
        // age runs out, 30 minutes after the last tick at which it held.
        config.rules[2].sources = ["m"]
        config.rules[2].sinks = ["ops"]
        config.rules[3].sinks = ["ops", "oncall"]
        config.alerting.repeatInterval = 3 * 3600
        var recording = try cascadeObservations("tideh_RT1.txt", id: "big", start: 1_000_000, limit: 2000)
        recording += try cascadeObservations("seismic_tweet.csv", id: "tweet", start: 1_003_017, limit: 1500)
        for post in 0..<120 {
            let start = 1_000_000 + Double(post * 311)
            let key = PostKey(source: post % 2 == 0 ? "x" : "m", id: "p\(post)")
            recording.append(.post(key: key, time: start, createdAt: start, author: "u\(post)", followers: Double(40 + post * 7),
                                   text: post % 3 == 0 ? "worst service ever, still waiting" : "hello", url: nil))
            for share in 0..<(post % 29) { recording.append(.reshare(key: key, time: start + Double(share * share * 7 + 3), user: nil, followers: Double(5 * share))) }
            if post % 4 == 1 { recording.append(.counts(key: key, time: start + 900, reshares: post * 3, replies: 1, likes: post, quotes: nil)) }
            if post % 6 == 0 { recording.append(.answer(key: key, time: start + Double(600 + post * 40), author: "acme")) }
        }
        // Bursts that heat up and cool down: fifteen reshares in under three minutes, then none.
        for burst in 0..<8 {
            let start = 1_000_000 + 40_000 + Double(burst * 9000)
            let key = PostKey(source: "m", id: "burst\(burst)")
            recording.append(.post(key: key, time: start, createdAt: start, author: "b\(burst)", followers: 50, text: "hi", url: nil))
            for share in 1...15 { recording.append(.reshare(key: key, time: start + Double(share * 11), user: nil, followers: 20)) }
        }
        // A storm of small complaints on one source, an hour into the third day.
        for k in 0..<40 {
            let time = 1_000_000 + 2 * 86400 + 3600 + Double(k * 7)
            recording.append(.post(key: PostKey(source: "x", id: "storm\(k)"), time: time, createdAt: time, author: "s\(k)", followers: 10,
                                   text: "still waiting, worst service", url: nil))
        }
        recording.sort { $0.time < $1.time }
        let settings = config, observations = recording
        @Sendable func run(everyTick: Bool) -> [String] {
            let engine = ScoringEngine(config: settings, shards: 2, evaluatingEveryTick: everyTick)
            var lines: [String] = []
            var next = 0
            var tick = 1_000_000.0
            // Four days of minute ticks, the observations between them in batches.
            while tick < 1_000_000 + 4 * 86400 {
                var batch: [Observation] = []
                while next < observations.count, observations[next].time <= tick {
                    batch.append(observations[next])
                    next += 1
                }
                lines += engine.ingest(batch).map(\.jsonLine)
                lines += engine.tick(tick).map(\.jsonLine)
                tick += 60
            }
            return lines
        }
        let (quiet, everyTick) = try await offCooperativePool { (run(everyTick: false), run(everyTick: true)) }
        #expect(everyTick.count > 40)
        for name in ["going-viral", "heating-up", "big", "unanswered", "storm", "complaint-in-a-storm"] {
            #expect(everyTick.contains { $0.contains("\"rule\":\"\(name)\"") }, "\(name) never notified")
        }
        #expect(everyTick.contains { $0.contains("\"state\":\"resolved\"") && $0.contains("\"rule\":\"heating-up\"") })
        #expect(everyTick.contains { $0.contains("\"state\":\"resolved\"") && $0.contains("\"rule\":\"going-viral\"") })
        #expect(quiet == everyTick)
        if quiet != everyTick, let first = zip(quiet, everyTick).first(where: { $0 != $1 }) { Issue.record("first difference:\n\(first.0)\n\(first.1)") }
    }

    @Test("A post paged on its sustained spread that then goes quiet resolves as it would with every tick evaluated")
    func sustainedFloorThenQuiet() async throws {
        // The sustained spread is the prediction's floor here, and it falls with time alone:
        // a quiet tick may not take the alert as held until it is due to repeat.
        let config = scoringConfig([rule("going-viral", .critical) { $0.predictedResharesAtLeast = 1000; $0.minReshares = 5 }])
        let key = PostKey(source: "m", id: "even")
        var recording: [Observation] = [.post(key: key, time: 1_000_000, createdAt: 1_000_000, author: "dana", followers: 2000, text: nil, url: nil)]
        for share in 1...40 { recording.append(.reshare(key: key, time: 1_000_000 + Double(share * 15), user: nil, followers: 300)) }
        // Uneven, not yet read, then even a few seconds later with nothing new observed.
        let late = PostKey(source: "m", id: "late")
        recording.append(.post(key: late, time: 1_020_000, createdAt: 1_020_000, author: "eve", followers: 2000, text: nil, url: nil))
        for share in 1...10 { recording.append(.reshare(key: late, time: 1_020_000 + Double(share) * 0.1, user: nil, followers: 300)) }
        for share in 1...10 { recording.append(.reshare(key: late, time: 1_020_014 + Double(share) * 0.6, user: nil, followers: 300)) }
        let observations = recording
        @Sendable func run(everyTick: Bool) -> [String] {
            let engine = ScoringEngine(config: config, shards: 1, evaluatingEveryTick: everyTick)
            var lines: [String] = [], next = 0, tick = 1_000_000.0
            while tick < 1_000_000 + 86400 {
                var batch: [Observation] = []
                while next < observations.count, observations[next].time <= tick { batch.append(observations[next]); next += 1 }
                lines += engine.ingest(batch).map(\.jsonLine)
                lines += engine.tick(tick).map(\.jsonLine)
                tick += 5
            }
            return lines
        }
        let (quiet, everyTick) = try await offCooperativePool { (run(everyTick: false), run(everyTick: true)) }
        #expect(everyTick.contains { $0.contains("\"post\":\"even\"") && $0.contains("\"state\":\"resolved\"") }, "\(everyTick)")
        #expect(quiet == everyTick)
        if quiet != everyTick, let first = zip(quiet, everyTick).first(where: { $0 != $1 }) { Issue.record("first difference:\n\(first.0)\n\(first.1)") }
    }

    @Test("Replay leaves out ticks that cannot do anything, and notifies exactly as when it runs them all")
    func leftOutTicksChangeNothing() async throws {
        // Weeks of silence between bursts: a post seen again after it went cold, an unanswered
        // complaint, alerts that repeat and resolve, a trace that runs through the gaps.
        var config = scoringConfig([
            rule("going-viral", .critical) { $0.predictedResharesAtLeast = 1000; $0.minReshares = 5 },
            rule("big", .warning) { $0.minReshares = 20; $0.maxAge = 10 * 86400 },
            rule("heating-up", .warning) { $0.velocityPerMinAtLeast = 1; $0.minReshares = 10; $0.maxAge = 6 * 3600 },
            rule("unanswered", .warning) { $0.complaint = true; $0.unansweredForAtLeast = 7200 },
        ])
        config.rules[1].sources = ["m"]
        config.scoring.coldAfter = 2 * 86400
        var recording = try cascadeObservations("tideh_RT1.txt", id: "big", start: 1_000_017, limit: 1200)
        for week in 0..<6 {
            let start = 1_000_000 + Double(week) * (9 * 86400 + 1777) + 333
            for post in 0..<6 {
                let key = PostKey(source: "m", id: "w\(post)")
                let time = start + Double(post * 97)
                recording.append(.post(key: key, time: time, createdAt: time, author: "u\(post)", followers: 5000,
                                       text: post.isMultiple(of: 2) ? "still waiting, worst service" : "hi", url: nil))
                for share in 1...(5 + post * 4) { recording.append(.reshare(key: key, time: time + Double(share * 9), user: nil, followers: 300)) }
            }
            // A slow one: a reshare every ten minutes, big in the end but never heating up.
            let slow = PostKey(source: "m", id: "slow\(week)")
            recording.append(.post(key: slow, time: start + 50, createdAt: start + 50, author: "s", followers: 800, text: "hi", url: nil))
            for share in 1...24 { recording.append(.reshare(key: slow, time: start + 50 + Double(share * 600), user: nil, followers: 100)) }
            if week == 3 { recording.append(.answer(key: PostKey(source: "m", id: "w0"), time: start + 1000, author: "acme")) }
        }
        recording.sort { $0.time < $1.time }
        let settings = config, observations = recording
        @Sendable func run(leavingOut: Bool) -> [String] {
            var lines: [String] = []
            let replay = Replay(config: settings, shards: 2, trace: "w1", traceEvery: 3600, leavesOutQuietTicks: leavingOut,
                                traced: { lines.append(ReplayTrace.jsonLine($0)) }, notify: { lines.append($0.jsonLine) })
            for observation in observations { replay.add(observation) }
            let backtest = replay.finish()
            let rules = settings.rules.map { rule in
                let f = backtest.figures([rule])
                return "\(rule.name) \(f.alerted.count) \(f.pages) \(f.caughtBefore) \(f.stayedSmall)"
            }
            lines.append("posts \(backtest.posts), alerts \(rules)")
            return lines
        }
        let (leftOut, all) = try await offCooperativePool { (run(leavingOut: true), run(leavingOut: false)) }
        for name in ["going-viral", "heating-up", "big", "unanswered"] {
            #expect(all.contains { $0.contains("\"rule\":\"\(name)\"") }, "\(name) never notified")
        }
        #expect(all.contains { $0.contains("\"state\":\"resolved\"") && $0.contains("\"rule\":\"big\"") })
        #expect(all.contains { $0.contains("\"type\":\"trace\"") })
        #expect(leftOut == all)
        if leftOut != all, let first = zip(leftOut, all).first(where: { $0 != $1 }) { Issue.record("first difference:\n\(first.0)\n\(first.1)") }
    }

    @Test("Counts only: reshares between polls are spread evenly and the post is scored in counts mode")
    func countsMode() throws {
        let key = PostKey(source: "hn", id: "42")
        var observations: [Observation] = [.post(key: key, time: 0, createdAt: 0, author: "dana", followers: 2290, text: "Acme broke my guitar", url: nil)]
        let counts = [0, 12, 60, 150, 320]
        for (minute, reshares) in counts.enumerated() {
            observations.append(.counts(key: key, time: Double(minute * 60 + 60), reshares: reshares, replies: nil, likes: nil, quotes: nil))
        }
        let fast = rule("fast", .critical) { $0.velocityPerMinAtLeast = 30; $0.minReshares = 100 }
        let engine = ScoringEngine(config: scoringConfig([fast]), shards: 1)
        let notes = engine.ingest(observations)
        let features = try #require(engine.features(key, at: 300))
        // A silence that ends while the alert fires reminds with the post's numbers then, and
        // does not pass the conditions of the moment it crossed off as now's.
        let crossed = try #require(notes.first)
        let reminder = crossed.reminder(at: 300, features: features)
        #expect(reminder.reason == .repeated && reminder.time == 300 && reminder.reshares == 320 && crossed.reshares < 320)
        #expect(reminder.held == "held back by a silence until now" && crossed.held != reminder.held)
        #expect(reminder.velocityPerMin == features.velocityShort && reminder.alertKey == crossed.alertKey)
        #expect(features.mode == .counts)
        #expect(features.reshares == 320)
        // All 320 fell within the 5-minute short window.
        #expect(abs(features.velocityShort - 64) < 1e-9)
        // The 170 between the polls at 240 s and 300 s were spread evenly: half of them by 270 s.
        #expect(engine.features(key, at: 270)?.seismic.reshares == 150 + 85)
        // 150 reshares by 240 s: 37.5 a minute over the post's age, so the rule holds then.
        #expect(notes.map(\.rule) == ["fast"])
        #expect(notes.first?.time == 240)
        #expect(features.complaint)
    }

    @Test("Counts mode assumes the followers of the resharers a source has named, not of its authors")
    func typicalFollowersLearned() throws {
        let engine = ScoringEngine(config: scoringConfig([]), shards: 1)
        var observations: [Observation] = (0..<10).map {
            .post(key: PostKey(source: "s", id: "star\($0)"), time: 0, createdAt: 0, author: "star", followers: 5_000_000, text: nil, url: nil)
        }
        let first = PostKey(source: "s", id: "quiet")
        observations += [.post(key: first, time: 0, createdAt: 0, author: "q", followers: 100, text: nil, url: nil),
                         .counts(key: first, time: 60, reshares: 50, replies: nil, likes: nil, quotes: nil)]
        _ = engine.ingest(observations)
        // Ten celebrity authors say nothing about anonymous resharers: still n* = 100 each.
        let quiet = try #require(engine.features(first, at: 60)?.reach)
        #expect(abs(quiet - (100 + 50 * 100)) < 1e-6, "reach \(quiet)")
        let named = PostKey(source: "s", id: "named")
        _ = engine.ingest((1...10).map { .reshare(key: named, time: Double($0), user: "u\($0)", followers: 1000) })
        let second = PostKey(source: "s", id: "second")
        _ = engine.ingest([.post(key: second, time: 100, createdAt: 100, author: "q", followers: 100, text: nil, url: nil),
                           .counts(key: second, time: 160, reshares: 50, replies: nil, likes: nil, quotes: nil)])
        let reach = try #require(engine.features(second, at: 160)?.reach)
        #expect(abs(reach - (100 + 50 * 1000)) < 1e-6)
    }

    @Test("An unanswered rule added by a reload catches posts seen before it, but not answered ones")
    func unansweredAfterReload() {
        let open = PostKey(source: "m", id: "1"), answered = PostKey(source: "m", id: "2")
        let engine = ScoringEngine(config: scoringConfig([]), shards: 1)
        _ = engine.ingest([.post(key: open, time: 0, createdAt: 0, author: "a", followers: 10, text: "broken again", url: nil),
                           .post(key: answered, time: 0, createdAt: 0, author: "b", followers: 10, text: "broken too", url: nil),
                           .answer(key: answered, time: 60, author: "acme")])
        #expect(engine.tick(3600).isEmpty)
        engine.reconfigure(scoringConfig([rule("unanswered", .warning) { $0.unansweredForAtLeast = 3600 }]))
        #expect(engine.tick(3660).map(\.key) == [open])
    }

    @Test("Unanswered complaints fire on the tick, and resolve after the brand answers")
    func unanswered() {
        let key = PostKey(source: "m", id: "7")
        let config = scoringConfig([rule("unanswered", .warning) { $0.complaint = true; $0.unansweredForAtLeast = 3600 }])
        let engine = ScoringEngine(config: config, shards: 1)
        #expect(engine.ingest([.post(key: key, time: 0, createdAt: 0, author: "dana", followers: 10, text: "שירות הלקוחות שלכם מביך! לא עונים לטלפון", url: nil)]).isEmpty)
        #expect(engine.tick(1800).isEmpty)
        let fired = engine.tick(3600)
        #expect(fired.map(\.reason) == [.started])
        #expect(fired.first?.unansweredFor == 3600)
        #expect(engine.ingest([.answer(key: key, time: 4000, author: "acme")]).isEmpty)
        #expect(engine.tick(4000 + 1800).map(\.reason) == [.resolved])
    }

    @Test("Posts quiet for cold_after are evicted at the next sweep; a firing one stays")
    func coldEviction() {
        var config = scoringConfig([rule("busy", .warning) { $0.minReshares = 3 }])
        config.scoring.coldAfter = 4800
        let engine = ScoringEngine(config: config, shards: 2)
        let quiet = PostKey(source: "m", id: "quiet"), busy = PostKey(source: "m", id: "busy")
        var observations: [Observation] = [.post(key: quiet, time: 0, createdAt: 0, author: "a", followers: 10, text: "hi", url: nil),
                                           .post(key: busy, time: 0, createdAt: 0, author: "b", followers: 10, text: "hi", url: nil)]
        for k in 1...3 { observations.append(.reshare(key: busy, time: Double(k * 10), user: nil, followers: 5)) }
        #expect(engine.ingest(observations).map(\.key) == [busy])
        // Ticks every minute: the quiet post goes within one sweep period (cold_after / 48) of
        // going cold; the busy one is firing (its rule still holds) and is kept.
        var time = 60.0
        while time <= 4800 {
            _ = engine.tick(time)
            time += 60
        }
        #expect(engine.features(quiet, at: time) != nil)
        while time <= 4800 + 100 + 60 {
            _ = engine.tick(time)
            time += 60
        }
        #expect(engine.features(quiet, at: time) == nil)
        #expect(engine.features(busy, at: time) != nil)
        #expect(engine.footprint.posts == 1)
    }

    @Test("A post that only gets counters is compacted as its count passes each 64th: one whose count never lands on one kept every reshare exact")
    func countsCompacted() {
        let key = PostKey(source: "hn", id: "1")
        var observations: [Observation] = [.post(key: key, time: 0, createdAt: 0, author: "a", followers: 100, text: "hi", url: nil)]
        // 37 a minute for three hours: 37·k is a multiple of 64 only when k is.
        for minute in 1...180 where minute % 64 != 0 {
            observations.append(.counts(key: key, time: Double(minute * 60), reshares: 37 * minute, replies: nil, likes: nil, quotes: nil))
        }
        let bare = ScoringEngine(config: scoringConfig([]), shards: 1)
        _ = bare.ingest([observations[0]])
        let engine = ScoringEngine(config: scoringConfig([]), shards: 1)
        _ = engine.ingest(observations)
        let bytes = engine.footprint.bytes - bare.footprint.bytes
        // 6,660 reshares exact were 136 KB with the rest of the post; compacted, 71 KB (the
        // last half hour's, some bins, and the capacity the array keeps).
        #expect(bytes < 100_000, "\(bytes) bytes for the post's history")
        #expect(engine.features(key, at: 180 * 60)?.reshares == 37 * 180)
    }

    @Test("The hottest are the top N by reshares across shards, ties by key, as a full sort would give them")
    func hottest() {
        let engine = ScoringEngine(config: scoringConfig([]), shards: 3)
        var expected: [(reshares: Int, key: PostKey)] = []
        for index in 0..<300 {
            let key = PostKey(source: "m", id: "p\(index)")
            let reshares = (index * 37) % 23  // many ties
            var events: [Observation] = [.post(key: key, time: 10, createdAt: 0, author: nil, followers: 10, text: nil, url: nil)]
            events += (0..<reshares).map { .reshare(key: key, time: 20 + Double($0), user: "u\($0)", followers: 5) }
            _ = engine.ingest(events)
            expected.append((reshares, key))
        }
        expected.sort { ($0.reshares, $1.key) > ($1.reshares, $0.key) }
        for limit in [0, 1, 10, 300, 400] {
            let got = engine.snapshot(hottest: limit, at: 100).hottest.map(\.key)
            #expect(got == Array(expected.prefix(limit).map(\.key)), "limit \(limit)")
        }
    }

    @Test("Many posts' features at once come back in the order asked, nil for one not tracked, each as asked alone and as one shard gives it")
    func featuresOfMany() {
        let many = ScoringEngine(config: scoringConfig([]), shards: 3)
        let one = ScoringEngine(config: scoringConfig([]), shards: 1)
        var asked: [PostKey] = []
        for index in 0..<400 {
            let key = PostKey(source: index % 2 == 0 ? "m" : "x", id: "p\(index)")
            asked.append(key)
            if index % 5 == 0 { asked.append(PostKey(source: "m", id: "untracked\(index)")) }
            let events: [Observation] = [.post(key: key, time: 10, createdAt: 0, author: nil, followers: 10 + Double(index), text: nil, url: nil)]
                + (0..<(index % 17)).map { .reshare(key: key, time: 20 + Double($0), user: "u\($0)", followers: 5) }
            _ = many.ingest(events)
            _ = one.ingest(events)
        }
        asked.append(PostKey(source: "x", id: "p5"))  // asked twice
        let got = many.features(asked, at: 100)
        #expect(got.count == asked.count)
        #expect(got.map { $0?.key } == asked.map { $0.id.hasPrefix("untracked") ? nil : $0 })
        #expect(got.map { $0?.reshares } == asked.map { $0.id.hasPrefix("untracked") ? nil : Int($0.id.dropFirst())! % 17 })
        #expect(got == asked.map { many.features($0, at: 100) })
        #expect(got == one.features(asked, at: 100))
    }

    @Test("A later post line (an edit, a restart's carried line) replaces what it says of the author, link and text, and keeps what it leaves out")
    func quotedKeepsWhatIsLeftOut() throws {
        let engine = ScoringEngine(config: scoringConfig([]), shards: 1)
        let key = PostKey(source: "m", id: "1")
        let bare = PostKey(source: "m", id: "2")
        _ = engine.ingest([.post(key: key, time: 0, createdAt: 0, author: "dana", followers: 300, text: "my guitar", url: "https://example.org/1"),
                           .reshare(key: bare, time: 1, user: "u", followers: 5)])
        var got = try #require(engine.features(key, at: 10))
        #expect([got.author, got.url, got.excerpt] == ["dana", "https://example.org/1", "my guitar"])
        _ = engine.ingest([.post(key: key, time: 20, createdAt: 0, author: nil, followers: nil, text: "my broken guitar", url: nil)])
        got = try #require(engine.features(key, at: 30))
        #expect([got.author, got.url, got.excerpt] == ["dana", "https://example.org/1", "my broken guitar"])
        _ = engine.ingest([.post(key: key, time: 40, createdAt: 0, author: "dana2", followers: nil, text: nil, url: "https://example.org/2")])
        got = try #require(engine.features(key, at: 50))
        #expect([got.author, got.url, got.excerpt] == ["dana2", "https://example.org/2", "my broken guitar"])
        let seenOnlyReshared = try #require(engine.features(bare, at: 10))
        #expect([seenOnlyReshared.author, seenOnlyReshared.url, seenOnlyReshared.excerpt] == [nil, nil, nil])
    }

    @Test("A source read through an earlier time is shown as of then, in features and in the hottest; others at the time asked")
    func readThrough() throws {
        let engine = ScoringEngine(config: scoringConfig([]), shards: 2)
        // The same cascade on two sources, its reshares known through minute 20.
        for source in ["polled", "streamed"] {
            let observations = try cascadeObservations("seismic_tweet.csv", id: "t", start: 0).compactMap { observation -> Observation? in
                guard observation.time <= 1200 else { return nil }
                switch observation {
                case .post(_, let time, let created, let author, let followers, let text, let url):
                    return .post(key: PostKey(source: source, id: "t"), time: time, createdAt: created, author: author, followers: followers, text: text, url: url)
                case .reshare(_, let time, let user, let followers):
                    return .reshare(key: PostKey(source: source, id: "t"), time: time, user: user, followers: followers)
                default: return nil
                }
            }
            _ = engine.ingest(observations)
        }
        let polled = PostKey(source: "polled", id: "t"), streamed = PostKey(source: "streamed", id: "t")
        // Two minutes after the poll at 1200 s: the polled one as the poll saw it, the other two
        // minutes on (its rates lower: two minutes of no reshares are news for a stream).
        let got = engine.features([polled, streamed], at: 1320, readThrough: ["polled": 1200])
        let atPoll = try #require(engine.features(polled, at: 1200))
        let now = try #require(engine.features(streamed, at: 1320))
        #expect(got[0] == atPoll && got[0]?.age == 1200)
        #expect(got[1] == now && got[1]?.age == 1320)
        #expect(atPoll.velocityShort > now.velocityShort)
        // A poll's time past the time asked does not move it forward.
        #expect(engine.features([polled], at: 1100, readThrough: ["polled": 1200])[0]?.age == 1100)
        let hottest = engine.snapshot(hottest: 2, at: 1320, readThrough: ["polled": 1200]).hottest
        #expect(Set(hottest.map(\.age)) == [1200, 1320])
    }

    @Test("At most max_tracked_posts: the coldest go first")
    func capacityEviction() {
        var config = scoringConfig([])
        config.scoring.maxTrackedPosts = 200
        let engine = ScoringEngine(config: config, shards: 1)
        for batch in 0..<3 {
            _ = engine.ingest((0..<100).map { index in
                let time = Double(batch * 100 + index)
                return .post(key: PostKey(source: "m", id: "p\(batch * 100 + index)"), time: time, createdAt: time, author: nil, followers: 1, text: nil, url: nil)
            })
        }
        let footprint = engine.footprint
        #expect(footprint.posts <= 200 && footprint.posts >= 190)
        #expect(engine.features(PostKey(source: "m", id: "p0"), at: 300) == nil)
        #expect(engine.features(PostKey(source: "m", id: "p299"), at: 300) != nil)
    }

    @Test("Seen first through a reshare, a post counts as unanswered from its creation once its post line arrives")
    func unansweredFromCreation() {
        let key = PostKey(source: "m", id: "late")
        let engine = ScoringEngine(config: scoringConfig([rule("unanswered", .warning) { $0.unansweredForAtLeast = 3600 }]), shards: 2)
        _ = engine.ingest([.reshare(key: key, time: 1000, user: nil, followers: 5)])
        _ = engine.ingest([.post(key: key, time: 1010, createdAt: 0, author: "dana", followers: 10, text: "still waiting", url: nil)])
        #expect(engine.tick(3540).isEmpty)
        #expect(engine.tick(3600).map(\.key) == [key])
    }

    @Test("A storm of small posts trips a volume rule for the source")
    func volumeSpike() {
        var config = scoringConfig([rule("storm", .warning) { $0.volumeSpikeRatioAtLeast = 5 }])
        config.scoring.volumeWindow = 600
        let engine = ScoringEngine(config: config, shards: 2)
        var observations: [Observation] = []
        // Two mentions every ten minutes for five hours, then sixty in ten minutes.
        for window in 0..<30 {
            for k in 0..<2 { observations.append(.post(key: PostKey(source: "x", id: "q\(window)-\(k)"), time: Double(window * 600 + k * 60), createdAt: Double(window * 600), author: nil, followers: nil, text: nil, url: nil)) }
        }
        for k in 0..<60 { observations.append(.post(key: PostKey(source: "x", id: "s\(k)"), time: Double(30 * 600 + k * 9), createdAt: Double(30 * 600 + k * 9), author: nil, followers: nil, text: nil, url: nil)) }
        let notes = engine.ingest(observations)
        #expect(notes.count == 1)
        #expect(notes.first?.isVolume == true && notes.first?.rule == "storm")
        #expect(notes.first.map { $0.time >= 18000 } == true)
    }

    @Test("A volume rule on the z-score: the storm stands out in standard deviations, and the alert says by how many")
    func volumeZScore() {
        var config = scoringConfig([rule("storm", .warning) { $0.volumeSpikeZAtLeast = 6 }])
        config.scoring.volumeWindow = 600
        let engine = ScoringEngine(config: config, shards: 2)
        var observations: [Observation] = []
        // One to three mentions every ten minutes for five hours, then twenty in ten minutes.
        for window in 0..<30 {
            for k in 0..<(1 + window % 3) {
                observations.append(.post(key: PostKey(source: "x", id: "q\(window)-\(k)"), time: Double(window * 600 + k * 60), createdAt: Double(window * 600),
                                          author: nil, followers: nil, text: nil, url: nil))
            }
        }
        let quiet = engine.ingest(observations)
        #expect(quiet.isEmpty, "the ordinary ups and downs are not a storm")
        var burst: [Observation] = []
        for k in 0..<20 {
            let time = Double(30 * 600 + k * 20)
            burst.append(.post(key: PostKey(source: "x", id: "s\(k)"), time: time, createdAt: time, author: nil, followers: nil, text: nil, url: nil))
        }
        let storm = engine.ingest(burst)
        let note = storm.first
        #expect(note?.isVolume == true && note?.rule == "storm")
        #expect((note?.volumeZ ?? 0) >= 6)
        #expect(note?.jsonLine.contains("\"volume_z\":") == true)
    }

    @Test("The complaint lexicon reads English and Hebrew, with Hebrew's joined prefixes")
    func lexicon() {
        let lexicon = ComplaintLexicon()
        #expect(lexicon.score("Hi Dana, sorry you feel that way. Have a nice day") >= 1)
        #expect(lexicon.score("worst airline ever, they broke my guitar") >= 2)
        #expect(lexicon.score("lovely flight, thanks!") == 0)
        #expect(lexicon.score("וגועל נפש!") >= 1)
        #expect(lexicon.score("שירות הלקוחות שלכם מביך!") >= 1)
        #expect(lexicon.score("ובושה") >= 1)
        #expect(lexicon.score("תודה רבה") == 0)
        #expect(ComplaintLexicon(extra: ["kaput"], replaceBuiltin: true).score("it is kaput, worst") == 1)
    }

    @Test("A complaint that names the brand weighs double: by name, handle or hashtag, in Hebrew with its prefixes")
    func brandWeighting() {
        let lexicon = ComplaintLexicon(brand: ["Acme Air", "acmeair", "@acme_support@mastodon.social", "אקמה"])
        #expect(lexicon.score("they lost my bag") == 1)
        #expect(lexicon.score("Acme Air lost my bag") == 2)
        #expect(lexicon.score("@acme_support still waiting, worst service") == 4)
        #expect(lexicon.score("#AcmeAir terrible") == 2)
        #expect(lexicon.score("acme air's app is broken") == 2)
        #expect(lexicon.score("I love Acme Air") == 0, "naming the brand is not a complaint")
        #expect(lexicon.score("השירות של לאקמה מביך") == 2)
        #expect(lexicon.score("acmeairline is terrible") == 1, "a longer word is not the brand")
        #expect(ComplaintLexicon().score("Acme Air lost my bag") == 1, "no brand given, no weight")
        // A link names the brand by its host, but its path is nobody's complaint.
        let links = ComplaintLexicon(brand: ["acme"])
        #expect(links.score("Where do I send this?\n\nhttps://acme.com/help/complaint-form?refund=1") == 0)
        #expect(links.score("they lost my bag https://www.acme.com/orders") == 2)
        #expect(links.score("worst service http://x.y/refund") == 1 && links.score("refund please") == 1)
        #expect(links.score("https://acme.com/refund") == 0 && links.score("complaint:http") == 1)
        // A 10 MB text (a hostile source, a damaged recording) is read as far as any real post
        // goes, not to its end: it took half a minute.
        let padding = String(repeating: "word ", count: 2_000_000)
        #expect(lexicon.score("Acme Air lost my bag " + padding) == 2)
        #expect(lexicon.score(padding + " Acme Air lost my bag") == 0 && !lexicon.namesBrand(padding + " acmeair"))
    }

    @Test("The brand comes from the sources: names searched for, and the brand's accounts")
    func brandFromSources() {
        var named = SourceConfig(name: "hn", kind: .hackernews, query: "Acme Air")
        named.brandAccounts = ["@acme_support"]
        let search = SourceConfig(name: "x", kind: .x, query: "acme OR \"acme air\" -job")
        #expect(Config.brandTerms(sources: [named, search]) == ["Acme Air", "AcmeAir", "@acme_support"])
        // Each once, whatever its case: two sources on one search, an account spelt as the query.
        var account = SourceConfig(name: "m", kind: .mastodon, query: "acme air")
        account.brandAccounts = ["ACMEAIR"]
        #expect(Config.brandTerms(sources: [named, account, named]) == ["Acme Air", "AcmeAir", "@acme_support"])
        // Through the engine: a rule on the weighted score, with the brand from the config's sources.
        var config = scoringConfig([rule("brand-complaint", .warning) { $0.complaintScoreAtLeast = 2 }])
        config.sources = [named]
        let engine = ScoringEngine(config: config, shards: 1)
        let about = PostKey(source: "hn", id: "1"), elsewhere = PostKey(source: "hn", id: "2")
        let notes = engine.ingest([
            .post(key: about, time: 0, createdAt: 0, author: "a", followers: 1, text: "@acme_support lost my bag", url: nil),
            .post(key: elsewhere, time: 1, createdAt: 1, author: "b", followers: 1, text: "the weather is terrible", url: nil),
        ])
        #expect(notes.map(\.key) == [about])
    }

    @Test("An answer to a post not tracked yet is kept for it: the journal's compaction keeps its line (trackedKeys), and the post comes answered")
    func earlyAnswerKept() {
        let engine = ScoringEngine(config: scoringConfig([rule("unanswered", .critical) { $0.unansweredForAtLeast = 60 }]), shards: 2)
        let key = PostKey(source: "x", id: "t1")
        _ = engine.ingest([.answer(key: key, time: 1_000, author: "acme")])
        #expect(engine.trackedKeys.contains(key))
        _ = engine.ingest([.post(key: key, time: 2_000, createdAt: 500, author: "dana", followers: 300, text: "@acme lost my bag", url: nil)])
        #expect(engine.features(key, at: 2_000)?.unansweredFor == nil)
    }
}
