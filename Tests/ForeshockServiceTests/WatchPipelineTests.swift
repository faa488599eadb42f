import Foundation
import Synchronization
import Testing
@testable import ForeshockSupport
@testable import ForeshockTransport
@testable import ForeshockConfig
@testable import ForeshockFeeds
@testable import ForeshockCore
@testable import ForeshockService
@testable import ForeshockTestSupport

@Suite("The watch pipeline")
struct WatchPipelineTests {
    /// A customer's complaint about Acme on source "m", as a poll finds it.
    static func complaint(_ id: String, reshares: Int, createdAt: Date, text: String = "@acme lost my bag and nobody answers. Worst airline ever.") -> Mention {
        var post = Mention(source: "m", id: id)
        post.author = "dana"
        post.authorFollowers = 300
        post.text = text
        post.reshares = reshares
        post.createdAt = Timestamp.format(createdAt)
        return post
    }

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

    @Test("A cursor belongs to where it was read: a source whose query, mode or server changed starts afresh after a reload or a restart, and keeps its seen ids")
    func cursorFollowsWhereItWasRead() async throws {
        let source = testSource(.reddit, name: "r", query: "acme", base: "http://127.0.0.1:9")
        var moved = source
        moved.query = "acme OR acmecorp"
        #expect(source.readsFrom != moved.readsFrom)
        var renamed = source
        renamed.interval = 300
        renamed.brandAccounts = ["acme_support"]
        #expect(source.readsFrom == renamed.readsFrom) // how often and whose answers: still the same listing
        var json = testSource(.json, name: "j")
        json.url = .literal("https://feed.example/api?token=s3cret")
        #expect(!json.readsFrom.contains("s3cret") && json.readsFrom.count == 24)

        // A reload.
        let before = FeedPoller(feed: source.makeFeed())
        before.restore(cursor: "t3_b2", seen: ["b2"])
        func reloaded(_ source: SourceConfig) -> FeedPoller {
            var config = scoringConfig([])
            config.sources = [source]
            return WatchService.makePollers(config, client: HTTPClient(), previous: [before], clock: Date.init).pollers[0]
        }
        #expect(reloaded(renamed).cursor == "t3_b2")
        #expect(reloaded(moved).cursor == nil && reloaded(moved).recentlySeen == ["b2"])

        // A restart: the journal says where each cursor was read; one written before it did is taken as it is.
        func restored(_ readsFrom: String?) async -> (cursor: String?, left: [String]) {
            var config = scoringConfig([])
            config.sources = [moved]
            let poller = FeedPoller(feed: moved.makeFeed())
            let pipeline = WatchPipeline(config: config, pollers: [poller]) { _ in }
            let entries: [StateJournal.Entry] = [.polled(source: "r", cursor: "t3_b2", ids: ["b2"], readsFrom: readsFrom)]
            let left = await pipeline.restore(StateJournal.Loaded(entries: entries, lines: 1)).cursorsLeft
            #expect(poller.recentlySeen == ["b2"])
            return (poller.cursor, left)
        }
        #expect(await restored(source.readsFrom) == (nil, ["r"]))
        #expect(await restored(moved.readsFrom) == ("t3_b2", []))
        #expect(await restored(nil) == ("t3_b2", []))
    }

    @Test("A post whose counts request answers 404 (deleted, or made private) is asked after no more; the others still are, unless the server asked to be left alone")
    func deletedPostFollowedNoMore() async throws {
        let api = try await ScriptedAPI([
            "/api/v1/statuses": [["status": 404, "body": #"{"error":"Record not found"}"#]],
            "/api/v1/statuses/1": [["status": 404, "body": #"{"error":"Record not found"}"#]],
            "/api/v1/statuses/2": [["body": try mastodonStatus(id: "2", reblogs: 5)]],
        ])
        defer { api.stop() }
        let source = testSource(.mastodon, name: "m", base: api.base)
        var config = scoringConfig([])
        config.sources = [source]
        let poller = FeedPoller(feed: source.makeFeed())
        let pipeline = WatchPipeline(config: config, pollers: [poller]) { _ in }
        let now = Date()
        var outcome = PollOutcome(source: "m", observedAt: now)
        outcome.mentions = ["1", "2"].map { Self.complaint($0, reshares: 1, createdAt: now.addingTimeInterval(-60)) }
        await pipeline.handle(outcome)
        await pipeline.handle(PollOutcome(source: "m", observedAt: now.addingTimeInterval(60)))
        #expect(try await api.requests(to: "/api/v1/statuses/1").count == 1)
        #expect(try await api.requests(to: "/api/v1/statuses/2").count == 2)
        // A poll whose answer said the limit is nearly spent (the poller pauses till its reset)
        // spends no call on counts either.
        var limited = PollOutcome(source: "m", observedAt: now.addingTimeInterval(120))
        limited.notBefore = 300
        await pipeline.handle(limited)
        #expect(try await api.requests(to: "/api/v1/statuses/2").count == 2)
    }

    @Test("A 429's Retry-After past the interval counts as a rate-limit wait, as a rate limit's headers do; a failure's back-off does not")
    func rateLimitWaitsCounted() async throws {
        let tag = "/api/v1/timelines/tag/acme"
        let api = try await ScriptedAPI([tag: [
            ["status": 429, "headers": ["Retry-After": "30"], "body": #"{"error":"Too many requests"}"#],
            ["status": 500, "body": "down"],
            ["status": 500, "body": "down"],
        ]])
        defer { api.stop() }
        var source = testSource(.mastodon, name: "m", base: api.base)
        source.query = "acme"
        source.interval = 5
        var config = scoringConfig([])
        config.sources = [source]
        let poller = FeedPoller(feed: source.makeFeed(), jitter: { 1 })
        let pipeline = WatchPipeline(config: config, pollers: [poller]) { _ in }
        let limited = await poller.poll()
        #expect(limited.error != nil && limited.notBefore == 30, "\(limited)")
        await pipeline.handle(limited)
        #expect(await pipeline.health["m"]?.rateLimitWaits == 1)
        // Two server errors: the second backs off past the interval, and is no rate limit.
        await pipeline.handle(await poller.poll())
        let backedOff = await poller.poll()
        #expect(backedOff.nextPollAfter > 5, "\(backedOff.nextPollAfter)")
        await pipeline.handle(backedOff)
        #expect(await pipeline.health["m"]?.rateLimitWaits == 1)
    }

    /// A pipeline over one Mastodon source "m" at `api` whose brand is `acme_support`, with
    /// `rules`, and what it notified.
    static func brandPipeline(_ api: ScriptedAPI, rules: [RuleConfig], interval: Double? = nil) -> (WatchPipeline, Notified) {
        var source = testSource(.mastodon, name: "m", base: api.base)
        source.brandAccounts = ["acme_support"]
        if let interval { source.interval = interval }
        var config = scoringConfig(rules)
        config.sources = [source]
        let sent = Notified()
        let pipeline = WatchPipeline(config: config, pollers: [FeedPoller(feed: source.makeFeed())]) { notes in sent.withLock { $0 += notes } }
        return (pipeline, sent)
    }

    /// What a pipeline notified, shared with the closure it notifies through.
    final class Notified: Sendable {
        private let notes = Mutex<[AlertNotification]>([])
        func withLock<R>(_ body: (inout [AlertNotification]) -> R) -> R { notes.withLock { body(&$0) } }
    }

    @Test("The brand's answer that the mention stream does not carry is read from the post's thread: a spreading complaint answered there is answered, and a thread is read again only ten minutes later")
    func answerReadFromThread() async throws {
        let now = Date()
        let stamp = { (seconds: Double) in Timestamp.format(now.addingTimeInterval(seconds)) }
        let answer = try mastodonStatus(id: "11", createdAt: stamp(-300), author: "acme_support", inReplyTo: "1", content: "<p>@dana so sorry, a person is on it</p>")
        let bystander = try mastodonStatus(id: "12", createdAt: stamp(-300), author: "someone", inReplyTo: "2", content: "<p>same here</p>")
        let api = try await ScriptedAPI([
            "/api/v1/statuses/1/context": [["body": #"{"ancestors":[],"descendants":[\#(answer)]}"#]],
            "/api/v1/statuses/2/context": [["body": #"{"ancestors":[],"descendants":[\#(bystander)]}"#]],
            "/api/v1/statuses/3/context": [["body": #"{"ancestors":[],"descendants":[]}"#]],
            // A thread that cannot be read (the post deleted) is counted and does not keep the others waiting.
            "/api/v1/statuses/4/context": [["status": 404, "body": #"{"error":"Record not found"}"#]],
        ])
        defer { api.stop() }
        func pipeline(brand: [String]) -> WatchPipeline {
            var source = testSource(.mastodon, name: "m", base: api.base)
            source.brandAccounts = brand
            var config = scoringConfig([rule("unanswered", .critical) { $0.unansweredForAtLeast = 3600; $0.minReshares = 1 }])
            config.sources = [source]
            return WatchPipeline(config: config, pollers: [FeedPoller(feed: source.makeFeed())]) { _ in }
        }
        func post(_ id: String, reshares: Int, text: String? = nil) -> Mention {
            text.map { Self.complaint(id, reshares: reshares, createdAt: now.addingTimeInterval(-600), text: $0) }
                ?? Self.complaint(id, reshares: reshares, createdAt: now.addingTimeInterval(-600))
        }
        var outcome = PollOutcome(source: "m", observedAt: now)
        // Post 3 is no complaint and has not spread: its thread is not worth a call.
        outcome.mentions = [post("1", reshares: 5), post("2", reshares: 8), post("3", reshares: 0, text: "nice weather at the airport"), post("4", reshares: 20)]

        // Without the brand's accounts there is no answer to look for.
        let blind = pipeline(brand: [])
        await blind.handle(outcome)
        #expect(try await api.requests(to: "/api/v1/statuses/1/context").isEmpty)

        let watching = pipeline(brand: ["acme_support"])
        await watching.handle(outcome)
        let keys = ["1", "2", "3"].map { PostKey(source: "m", id: $0) }
        let features = await watching.features(keys, at: now.timeIntervalSince1970, exactly: true)
        #expect(features.map { $0?.unansweredFor == nil } == [true, false, false], "\(features.map { $0?.unansweredFor })")
        #expect(try await api.requests(to: "/api/v1/statuses/1/context").count == 1)
        #expect(try await api.requests(to: "/api/v1/statuses/2/context").count == 1)
        #expect(try await api.requests(to: "/api/v1/statuses/3/context").isEmpty)
        #expect(try await api.requests(to: "/api/v1/statuses/4/context").count == 1)
        // A minute later: not again. Eleven minutes later: the unanswered one is, the answered one not.
        await watching.handle(PollOutcome(source: "m", observedAt: now.addingTimeInterval(60)))
        #expect(try await api.requests(to: "/api/v1/statuses/2/context").count == 1)
        #expect(try await api.requests(to: "/api/v1/statuses/4/context").count == 1)
        await watching.handle(PollOutcome(source: "m", observedAt: now.addingTimeInterval(660)))
        #expect(try await api.requests(to: "/api/v1/statuses/2/context").count == 2)
        #expect(try await api.requests(to: "/api/v1/statuses/1/context").count == 1)
    }

    @Test("A recording replays as the watch scored it: the brand's answer read from a thread at a later poll, older than lines written before it, is written with when it was seen and played, not skipped as out of order")
    func recordingReplaysAnswersFromThreads() async throws {
        let now = Date()
        let answer = try mastodonStatus(id: "11", createdAt: Timestamp.format(now.addingTimeInterval(400)), author: "acme_support", inReplyTo: "1",
                                        content: "<p>@dana so sorry, a person is on it</p>")
        // Read at the first poll before the answer, and ten minutes on after it.
        let api = try await ScriptedAPI([
            "/api/v1/statuses/1/context": [["body": #"{"ancestors":[],"descendants":[]}"#], ["body": #"{"ancestors":[],"descendants":[\#(answer)]}"#]],
            "/api/v1/statuses/2/context": [["body": #"{"ancestors":[],"descendants":[]}"#]],
        ])
        defer { api.stop() }
        var source = testSource(.mastodon, name: "m", base: api.base)
        source.brandAccounts = ["acme_support"]
        var config = scoringConfig([rule("unanswered", .critical) { $0.unansweredForAtLeast = 1200; $0.minReshares = 1 }])
        config.sources = [source]
        let path = try makeTemporaryDirectory().appendingPathComponent("traffic.jsonl").path
        let recording = try RecordingFile(path: path)
        let sent = Notified()
        let clock = Mutex(now)
        let pipeline = WatchPipeline(config: config, pollers: [FeedPoller(feed: source.makeFeed())], clock: { clock.withLock { $0 } },
                                     record: { recording.write($0) }) { notes in sent.withLock { $0 += notes } }
        for (at, reshares) in [(0.0, 5), (660, 6), (1000, 7)] {
            clock.withLock { $0 = now.addingTimeInterval(at) }
            var outcome = PollOutcome(source: "m", observedAt: now.addingTimeInterval(at))
            outcome.mentions = ["1", "2"].map { Self.complaint($0, reshares: reshares, createdAt: now.addingTimeInterval(-300)) }
            await pipeline.handle(outcome)
        }
        recording.close()
        let live = sent.withLock { $0 }.filter { $0.reason != .resolved }.map(\.key.id)
        #expect(live == ["2"])
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let answerLine = try #require(text.split(separator: "\n").first { $0.contains(#""type":"answer""#) })
        #expect(answerLine.contains(#""seen":"\#(Timestamp.format(now.addingTimeInterval(660)))""#), "\(answerLine)")
        var replayed: [String] = []
        let replay = Replay(config: config) { note in if note.reason != .resolved { replayed.append(note.key.id) } }
        var said: [String] = []
        replay.play(Data(text.utf8), name: "traffic.jsonl") { said.append($0) }
        #expect(replay.finish().malformed == 0)
        #expect(said.isEmpty, "\(said)")
        #expect(replayed == live, "\(replayed)")
    }

    @Test("The resharers the journal names are known to the poller after a restart, and a reload's poller takes the old one's: a fetch after either adds only new accounts, not every one again")
    func resharersSurviveRestartAndReload() async throws {
        let source = testSource(.mastodon, name: "m", base: "http://127.0.0.1:9")
        var config = scoringConfig([])
        config.sources = [source]
        let poller = FeedPoller(feed: source.makeFeed())
        let pipeline = WatchPipeline(config: config, pollers: [poller]) { _ in }
        let key = PostKey(source: "m", id: "55")
        let entries: [StateJournal.Entry] = [.observations([
            .post(key: key, time: 100, createdAt: 100, author: "dana", followers: 300, text: nil, url: nil),
            .reshare(key: key, time: 160, user: "small", followers: 15), .reshare(key: key, time: 200, user: "big@example.social", followers: 120_000),
            .reshare(key: key, time: 210, user: nil, followers: nil),
        ])]
        _ = await pipeline.restore(StateJournal.Loaded(entries: entries, lines: 1))
        #expect(poller.knownResharers == ["55": KnownResharers(accounts: ["small", "big@example.social"], fetchedAt: Date(timeIntervalSince1970: 200))],
                "\(poller.knownResharers)")
        let next = WatchService.makePollers(config, client: HTTPClient(), previous: [poller], clock: Date.init).pollers[0]
        #expect(next.knownResharers == poller.knownResharers)
    }

    @Test("A complaint about to cross unanswered_for_at_least has its thread read within a poll of the crossing, not up to ten minutes before it: answered at 57 minutes, it does not page at the hour")
    func threadReadBeforeCrossing() async throws {
        let now = Date()
        let created = now.addingTimeInterval(-3100)
        let answer = try mastodonStatus(id: "31", createdAt: Timestamp.format(now.addingTimeInterval(300)), author: "acme_support", inReplyTo: "30", content: "<p>@dana sorted, sorry</p>")
        let api = try await ScriptedAPI([
            "/api/v1/statuses/30/context": [["body": #"{"ancestors":[],"descendants":[]}"#], ["body": #"{"ancestors":[],"descendants":[\#(answer)]}"#]],
            "/api/v1/statuses/33/context": [["body": #"{"ancestors":[],"descendants":[]}"#]],
        ])
        defer { api.stop() }
        let (pipeline, sent) = Self.brandPipeline(api, rules: [rule("unanswered", .critical) { $0.unansweredForAtLeast = 3600; $0.minReshares = 3 }], interval: 60)
        var outcome = PollOutcome(source: "m", observedAt: now)
        // 33, with 2 reshares, is read on the ten-minute round but is no post the rule could page for: not again before the hour.
        outcome.mentions = [Self.complaint("30", reshares: 5, createdAt: created), Self.complaint("33", reshares: 2, createdAt: created)]
        await pipeline.handle(outcome)
        #expect(try await api.requests(to: "/api/v1/statuses/30/context").count == 1)
        // Five minutes on, eight before the hour: not read again (it was, five minutes ago).
        await pipeline.handle(PollOutcome(source: "m", observedAt: now.addingTimeInterval(300)))
        #expect(try await api.requests(to: "/api/v1/statuses/30/context").count == 1)
        // Seven minutes on, within a poll and a minute of the hour: read, and answered.
        await pipeline.handle(PollOutcome(source: "m", observedAt: now.addingTimeInterval(420)))
        #expect(try await api.requests(to: "/api/v1/statuses/30/context").count == 2)
        #expect(try await api.requests(to: "/api/v1/statuses/33/context").count == 1)
        await pipeline.tick(now.addingTimeInterval(510))
        let paged = sent.withLock { $0.filter { $0.reason == .started }.map(\.key.id) }
        #expect(paged.isEmpty, "\(paged)")
        // Read once in that stretch: the next poll does not read it again.
        await pipeline.handle(PollOutcome(source: "m", observedAt: now.addingTimeInterval(480)))
        #expect(try await api.requests(to: "/api/v1/statuses/30/context").count == 2)
    }

    /// A complaint `age` seconds old with 5 reshares and no reply, under `rule`, whose brand
    /// answered it in a thread read a second time; `later` seconds on its fresh counts say
    /// `reblogs` and `replies`.
    /// - Returns: how often its thread was read by then, and what paged.
    /// - Parameters:
    ///   - listed: the new counts come with the poll's listing (a recount), not a refresh.
    ///   - again: seconds on, another poll with the same counts.
    func answeredBeforeCounts(age: Double, rule unanswered: RuleConfig, reblogs: Int, replies: Int, later: Double, listed: Bool = false,
                              again: Double? = nil) async throws -> (reads: Int, paged: [String]) {
        let now = Date()
        let created = Timestamp.format(now.addingTimeInterval(-age))
        let answer = try mastodonStatus(id: "41", createdAt: Timestamp.format(now.addingTimeInterval(later - 30)), author: "acme_support", inReplyTo: "40", content: "<p>@dana sorted, sorry</p>")
        let api = try await ScriptedAPI([
            "/api/v1/statuses/40/context": [["body": #"{"ancestors":[],"descendants":[]}"#], ["body": #"{"ancestors":[],"descendants":[\#(answer)]}"#]],
            "/api/v1/statuses": [["body": "[\(try mastodonStatus(id: "40", createdAt: created, reblogs: 5, replies: 0, author: "dana"))]"],
                                 ["body": "[\(try mastodonStatus(id: "40", createdAt: created, reblogs: reblogs, replies: replies, author: "dana"))]"]],
        ])
        defer { api.stop() }
        let (pipeline, sent) = Self.brandPipeline(api, rules: [unanswered], interval: 60)
        var outcome = PollOutcome(source: "m", observedAt: now)
        outcome.mentions = [Self.complaint("40", reshares: 5, createdAt: now.addingTimeInterval(-age))]
        await pipeline.handle(outcome)
        #expect(try await api.requests(to: "/api/v1/statuses/40/context").count == 1)
        var next = PollOutcome(source: "m", observedAt: now.addingTimeInterval(later))
        if listed { next.recounted = [Self.complaint("40", reshares: reblogs, createdAt: now.addingTimeInterval(-age))] }
        await pipeline.handle(next)
        await pipeline.tick(now.addingTimeInterval(later + 1))
        if let again { await pipeline.handle(PollOutcome(source: "m", observedAt: now.addingTimeInterval(again))) }
        return (try await api.requests(to: "/api/v1/statuses/40/context").count, sent.withLock { $0.filter { $0.reason == .started }.map(\.key.id) })
    }

    @Test("A complaint whose replies rose since last counted has its thread read before those counts are scored: the brand's answer is a reply, and it does not page as unanswered past it")
    func threadReadOnNewReply() async throws {
        // Two and a half minutes on (past a poll and a minute since its last read), 40 reshares
        // (short of the rule's 50) and one reply more: read again though ten minutes have not passed.
        let seen = try await answeredBeforeCounts(age: 600, rule: rule("unanswered", .critical) { $0.unansweredForAtLeast = 300; $0.minReshares = 50 },
                                                  reblogs: 40, replies: 1, later: 150)
        #expect(seen.reads == 2, "\(seen)")
        // A minute on, too soon after the last read: not read again.
        let soon = try await answeredBeforeCounts(age: 600, rule: rule("unanswered", .critical) { $0.unansweredForAtLeast = 300; $0.minReshares = 50 },
                                                  reblogs: 40, replies: 1, later: 60)
        #expect(soon.reads == 1, "\(soon)")
        // The rise is still pending at the next poll that may read it, with no reply more since.
        let pending = try await answeredBeforeCounts(age: 600, rule: rule("unanswered", .critical) { $0.unansweredForAtLeast = 300; $0.minReshares = 50 },
                                                     reblogs: 40, replies: 1, later: 60, again: 150)
        #expect(pending.reads == 2, "\(pending)")
    }

    @Test("A complaint long past unanswered_for_at_least whose reshares reach the rule's only now has its thread read first, when its last read is older than a poll and a minute: the page goes by a fresh read")
    func threadReadWhenReshareCountCrosses() async throws {
        // Two and a half minutes on, 60 reshares and no reply counted.
        let seen = try await answeredBeforeCounts(age: 3700, rule: rule("unanswered", .critical) { $0.unansweredForAtLeast = 3600; $0.minReshares = 50 },
                                                  reblogs: 60, replies: 0, later: 150)
        #expect(seen.reads == 2 && seen.paged.isEmpty, "\(seen)")
        // The same when the poll's listing brings the 60 before a refresh does.
        let listed = try await answeredBeforeCounts(age: 3700, rule: rule("unanswered", .critical) { $0.unansweredForAtLeast = 3600; $0.minReshares = 50 },
                                                    reblogs: 60, replies: 0, later: 150, listed: true)
        #expect(listed.reads == 2 && listed.paged.isEmpty, "\(listed)")
    }

    @Test("An alert calling a complaint unanswered says when its thread was last read for the brand's answer, when that is older than a poll and a minute, or not yet")
    func unansweredSaysWhenLooked() async throws {
        let now = Date()
        let api = try await ScriptedAPI(["/api/v1/statuses/40/context": [["body": #"{"ancestors":[],"descendants":[]}"#]]])
        defer { api.stop() }
        let (pipeline, sent) = Self.brandPipeline(api, rules: [rule("warm", .warning) { $0.minReshares = 5 }, rule("hot", .critical) { $0.minReshares = 20 },
                                    rule("unanswered", .critical) { $0.unansweredForAtLeast = 3600; $0.minReshares = 50 }], interval: 60)
        var first = PollOutcome(source: "m", observedAt: now)
        first.mentions = [Self.complaint("40", reshares: 8, createdAt: now.addingTimeInterval(-600))]
        await pipeline.handle(first)
        // Scored before its thread is read: it says so.
        let warm = try #require(sent.withLock { $0.first { $0.rule == "warm" } })
        #expect(warm.why?.contains("a complaint unanswered for 10m; its thread not read yet for the brand's answer") == true, "\(warm.why ?? "")")
        #expect(try await api.requests(to: "/api/v1/statuses/40/context").count == 1)
        // Seven minutes on it escalates, its thread read at the first poll.
        var later = PollOutcome(source: "m", observedAt: now.addingTimeInterval(420))
        later.mentions = [Self.complaint("40", reshares: 25, createdAt: now.addingTimeInterval(-600))]
        await pipeline.handle(later)
        let hot = try #require(sent.withLock { $0.first { $0.rule == "hot" } })
        #expect(hot.why?.contains("its thread last read for the brand's answer 7m ago") == true, "\(hot.why ?? "")")
    }

    @Test("A complaint first seen already older than unanswered_for_at_least (the first poll after a start) has its thread read before it is scored: answered there, even to the customer's follow-up, it never pages")
    func oldComplaintReadBeforeScoring() async throws {
        let now = Date()
        let answer = try mastodonStatus(id: "21", createdAt: Timestamp.format(now.addingTimeInterval(-6000)), author: "acme_support", inReplyTo: "20", content: "<p>@dana sorted, sorry</p>")
        // 27's customer followed up, and the brand answered that, not the complaint itself.
        let followUp = try mastodonStatus(id: "28", createdAt: Timestamp.format(now.addingTimeInterval(-6500)), author: "dana", inReplyTo: "27", content: "<p>@acme_support hello??</p>")
        let nested = try mastodonStatus(id: "29", createdAt: Timestamp.format(now.addingTimeInterval(-6000)), author: "acme_support", inReplyTo: "28", content: "<p>@dana sorry, DM us</p>")
        let api = try await ScriptedAPI([
            "/api/v1/statuses/20/context": [["body": #"{"ancestors":[],"descendants":[\#(answer)]}"#]],
            "/api/v1/statuses/27/context": [["body": #"{"ancestors":[],"descendants":[\#(followUp),\#(nested)]}"#]],
            "/api/v1/statuses/22/context": [["body": #"{"ancestors":[],"descendants":[]}"#]],
            "/api/v1/statuses/24/context": [["status": 500, "body": "down"]],
        ])
        defer { api.stop() }
        let (pipeline, sent) = Self.brandPipeline(api, rules: [rule("unanswered", .critical) { $0.unansweredForAtLeast = 3600; $0.minReshares = 10; $0.complaint = true }])
        var outcome = PollOutcome(source: "m", observedAt: now)
        // Three more reshared complaints come first: the answered one is still read, not crowded out.
        outcome.mentions = ["20", "22", "27"].map { Self.complaint($0, reshares: 12, createdAt: now.addingTimeInterval(-7200)) }
            + ["24", "25", "26"].map { Self.complaint($0, reshares: 30, createdAt: now.addingTimeInterval(-7200)) }
        await pipeline.handle(outcome)
        let paged = sent.withLock { $0.filter { $0.reason == .started }.map(\.key.id) }
        #expect(paged.sorted() == ["22", "24", "25", "26"], "\(paged)")
        #expect(try await api.requests(to: "/api/v1/statuses/20/context").count == 1)
        // A thread that could not be read (24's: a server error) pages all the same,
        // saying the answer was not checked; one read and empty (22's) does not say so.
        let why = sent.withLock { Dictionary($0.map { ($0.key.id, $0.why ?? "") }, uniquingKeysWith: { a, _ in a }) }
        #expect(why["24"]?.contains("the brand's answer was not checked: its thread could not be read (HTTP 500") == true, "\(why)")
        #expect(why["22"]?.contains("not checked") == false, "\(why)")
        // Read just before it was scored: its alert does not say its thread was not read.
        #expect(why["22"]?.contains("its thread") == false, "\(why)")
        // Answered, its thread is not read again; the unanswered ones' are, ten minutes on, the
        // most reshared first.
        await pipeline.handle(PollOutcome(source: "m", observedAt: now.addingTimeInterval(660)))
        #expect(try await api.requests(to: "/api/v1/statuses/20/context").count == 1)
        #expect(try await api.requests(to: "/api/v1/statuses/24/context").count == 2)
    }

    /// The embedded default config for "acme" answered by `acme_support`, its Hacker News source alone, on `api`.
    static func hackerNewsDefault(_ api: ScriptedAPI) throws -> Config {
        var config = try ConfigLoader.embeddedDefault(query: "acme", brand: "acme_support", environment: [:]).0
        config.sources = config.sources.filter { $0.kind == .hackernews }.map { source in
            var source = source
            source.baseURL = api.base
            return source
        }
        return config
    }

    @Test("On the embedded default config, a Hacker News story complaining about the brand, voted up and not answered in an hour, pages: upvotes are how a story spreads; one not voted up does not")
    func hackerNewsComplaintPages() async throws {
        let posted = Int(Date().timeIntervalSince1970) - 7200
        let hit = { (id: Int, points: Int) in
            #"{"objectID": "\#(id)", "title": "Acme lost my luggage and nobody answers", "story_text": "Three weeks, no refund. Worst airline ever.", "author": "dana", "points": \#(points), "num_comments": 3, "created_at_i": \#(posted)}"#
        }
        let api = try await ScriptedAPI([
            "/api/v1/search_by_date": [["body": #"{"hits": [\#(hit(41, 15)), \#(hit(42, 2))], "page": 0, "nbPages": 1, "hitsPerPage": 20}"#]],
            "/api/v1/items/41": [["body": #"{"id": 41, "points": 15, "children": []}"#]],
            "/api/v1/items/42": [["body": #"{"id": 42, "points": 2, "children": []}"#]],
        ])
        defer { api.stop() }
        let config = try Self.hackerNewsDefault(api)
        let sent = Mutex<[AlertNotification]>([])
        let poller = FeedPoller(feed: config.sources[0].makeFeed())
        let pipeline = WatchPipeline(config: config, pollers: [poller]) { notes in sent.withLock { $0 += notes } }
        await pipeline.handle(await poller.poll())
        let paged = sent.withLock { $0.filter { $0.reason == .started }.map { "\($0.key.id) \($0.rule)" } }
        #expect(paged == ["41 unanswered-complaint"], "\(paged)")
    }

    @Test("Hacker News: the brand's reply is read from the item each refresh asks for anyway, within a poll of it, not at the next thread read ten minutes on")
    func hackerNewsAnswerFromRefresh() async throws {
        let posted = Int(Date().timeIntervalSince1970) - 300
        let hit = #"{"objectID": "43", "title": "Acme lost my luggage and nobody answers", "author": "dana", "points": 9, "num_comments": 0, "created_at_i": \#(posted)}"#
        let item = { (children: String) in #"{"id": 43, "points": 9, "children": [\#(children)]}"# }
        let reply = #"{"id": 44, "author": "acme_support", "parent_id": 43, "text": "So sorry, Dana: DM us your booking", "created_at_i": \#(posted + 200), "children": []}"#
        let api = try await ScriptedAPI([
            "/api/v1/search_by_date": [["body": #"{"hits": [\#(hit)], "page": 0, "nbPages": 1, "hitsPerPage": 20}"#], ["body": #"{"hits": [], "page": 0, "nbPages": 1}"#]],
            // The brand replies between the second and the third look.
            "/api/v1/items/43": [["body": item("")], ["body": item("")], ["body": item(reply)]],
        ])
        defer { api.stop() }
        let config = try Self.hackerNewsDefault(api)
        let now = Date()
        let poller = FeedPoller(feed: config.sources[0].makeFeed())
        let pipeline = WatchPipeline(config: config, pollers: [poller]) { _ in }
        await pipeline.handle(await poller.poll())
        await pipeline.handle(PollOutcome(source: config.sources[0].name, observedAt: now.addingTimeInterval(60)))
        await pipeline.handle(PollOutcome(source: config.sources[0].name, observedAt: now.addingTimeInterval(120)))
        let key = PostKey(source: config.sources[0].name, id: "43")
        let features = try #require(await pipeline.features([key], at: now.timeIntervalSince1970 + 130).first ?? nil)
        #expect(features.unansweredFor == nil, "still unanswered after the reply was in the item")
        // Each look was the refresh's: the thread was not asked for again beside it.
        #expect(try await api.requests(to: "/api/v1/items/43").count == 3)
    }

    @Test("A reshare older than cold_after (a feed listing a retweet of 2019) is history: it starts no post and pages nobody; a recent one of the same unseen post does")
    func oldResharesAreHistory() async throws {
        let now = Date()
        var config = scoringConfig([rule("young", .critical) { $0.minReshares = 1; $0.maxAge = 3600 }])
        config.sources = [testSource(.json, name: "j")]
        let sent = Mutex<[AlertNotification]>([])
        let pipeline = WatchPipeline(config: config, pollers: [FeedPoller(feed: config.sources[0].makeFeed())]) { notes in sent.withLock { $0 += notes } }
        func reshare(_ id: String, of original: String, at date: Date) -> Mention {
            var mention = Mention(source: "j", id: id)
            mention.author = "someone"
            mention.reshareOf = original
            mention.createdAt = Timestamp.format(date)
            return mention
        }
        var outcome = PollOutcome(source: "j", observedAt: now)
        outcome.mentions = [reshare("r1", of: "old", at: Date(timeIntervalSince1970: 1_562_971_237)), reshare("r2", of: "new", at: now.addingTimeInterval(-600))]
        await pipeline.handle(outcome)
        let features = await pipeline.features([PostKey(source: "j", id: "old"), PostKey(source: "j", id: "new")], at: now.timeIntervalSince1970, exactly: true)
        #expect(features[0] == nil && features[1] != nil)
        #expect(sent.withLock { $0.map(\.key.id) } == ["new"], "\(sent.withLock { $0.map(\.key.id) })")
    }

    @Test("A reload hands on that a source's listing was empty, so its next burst is still followed back through its pages; a source that reads elsewhere now starts afresh")
    func reloadKeepsEmptyListing() async throws {
        let api = try await ScriptedAPI(["/api/v1/notifications": [["body": "[]"]]])
        defer { api.stop() }
        var source = testSource(.mastodon, name: "m", base: api.base)
        source.mode = .mentions
        let before = FeedPoller(feed: source.makeFeed())
        _ = await before.poll()
        #expect(before.listingEmpty)
        var config = scoringConfig([])
        config.sources = [source]
        #expect(WatchService.makePollers(config, client: HTTPClient(), previous: [before], clock: Date.init).pollers[0].listingEmpty)
        var moved = source
        moved.query = "other"
        config.sources = [moved]
        #expect(!WatchService.makePollers(config, client: HTTPClient(), previous: [before], clock: Date.init).pollers[0].listingEmpty)
    }

    @Test("A source removed from the config while down resolves its source-down alert, saying why")
    func removedWhileDown() async throws {
        let source = testSource(.mastodon, name: "toots", base: "http://127.0.0.1:9")
        var config = scoringConfig([rule("big", .critical) { $0.minReshares = 100 }])
        config.sources = [source]
        config.sourceDownAfter = 60
        let sent = Mutex<[AlertNotification]>([])
        let pipeline = WatchPipeline(config: config, pollers: [FeedPoller(feed: source.makeFeed())], clock: { Date(timeIntervalSince1970: 1_000_200) }) { notes in
            sent.withLock { $0 += notes }
        }
        var failed = PollOutcome(source: "toots", observedAt: Date(timeIntervalSince1970: 1_000_000))
        failed.error = FeedError(.transport, "connection refused")
        await pipeline.handle(failed)
        await pipeline.tick(Date(timeIntervalSince1970: 1_000_100))
        #expect(sent.withLock { $0.map(\.reason) } == [.started])
        config.sources = []
        await pipeline.reconfigure(config, pollers: [])
        let notes = sent.withLock { $0 }
        #expect(notes.map(\.reason) == [.started, .resolved] && notes.map(\.alertKey) == ["foreshock:source-down/toots", "foreshock:source-down/toots"])
        guard case .sourceDown(_, _, let message)? = notes.last?.subject else { Issue.record("\(notes)"); return }
        #expect(message == "Source toots was removed from the config after failing for 3 min.")
        // First fired when the alert did, not when the failure began (that is its first_seen).
        #expect(notes.map(\.firedAt) == [notes[0].time, notes[0].time] && notes.map(\.createdAt) == [1_000_000, 1_000_000], "\(notes.map(\.firedAt))")
        // The same between two runs: the journal says it was down and alerted, the config has it no more.
        let restarted = Mutex<[AlertNotification]>([])
        // Still configured at the restart: firing, for a silence that held it back to end on.
        var kept = config
        kept.sources = [source]
        let still = WatchPipeline(config: kept, pollers: [FeedPoller(feed: source.makeFeed())], clock: { Date(timeIntervalSince1970: 1_000_300) }) { _ in }
        _ = await still.restore(StateJournal.Loaded(entries: [.sourceHealth(source: "toots", downSince: 1_000_000, alerted: true)], lines: 1))
        let firing = await still.firingSourceDownAlerts()
        #expect(firing.map { "\($0.alertKey) \($0.reason) \($0.time)" } == ["foreshock:source-down/toots started 1000060.0"])
        #expect(await pipeline.firingSourceDownAlerts().isEmpty, "resolved when removed")
        let next = WatchPipeline(config: config, pollers: [], clock: { Date(timeIntervalSince1970: 1_000_300) }) { notes in restarted.withLock { $0 += notes } }
        _ = await next.restore(StateJournal.Loaded(entries: [.sourceHealth(source: "toots", downSince: 1_000_000, alerted: true)], lines: 1))
        #expect(restarted.withLock { $0.map { "\($0.alertKey) \($0.reason)" } } == ["foreshock:source-down/toots resolved"])
        #expect(restarted.withLock { $0.map(\.firedAt) } == [1_000_060], "after a restart: source_down_after into the failure")
    }

    @Test("A post an answer names again with other counts (a JSON feed lists the same posts each poll) is scored with its counts now")
    func recountedPosts() async throws {
        // A JSON feed on a loopback server: the same post, its reshares growing.
        let item = { (shares: Int) in #"{"posts": [{"id": "p1", "ts": "\#(Timestamp.format(Date().addingTimeInterval(-300)))", "by": "dana", "shares": \#(shares)}]}"# }
        let api = try await ScriptedAPI(["/feed": [["body": item(2)], ["body": item(12)]]])
        defer { api.stop() }
        var source = testSource(.json, name: "j")
        source.url = .literal(api.base + "/feed")
        source.items = "posts"
        source.fields = ["id": "id", "created_at": "ts", "author": "by", "reshares": "shares"]
        var config = scoringConfig([])
        config.sources = [source]
        let poller = FeedPoller(feed: source.makeFeed())
        let pipeline = WatchPipeline(config: config, pollers: [poller]) { _ in }
        let key = PostKey(source: "j", id: "p1")
        let first = await poller.poll()
        await pipeline.handle(first)
        #expect(await pipeline.features([key], at: Date().timeIntervalSince1970, exactly: true)[0]?.reshares == 2)
        let second = await poller.poll()
        #expect(second.mentions.isEmpty && second.recounted.map(\.reshares) == [12])
        await pipeline.handle(second)
        #expect(await pipeline.features([key], at: Date().timeIntervalSince1970, exactly: true)[0]?.reshares == 12)
    }

    @Test("A listing that names a post again with fewer reshares than its fresh counts said is behind them, not news, where the API answers fresh counts")
    func staleListingCounts() async throws {
        let created = Timestamp.format(Date().addingTimeInterval(-120))
        let status = { (count: Int) in
            #"{"id": "p1", "created_at": "\#(created)", "content": "<p>acme</p>", "account": {"id": "7", "acct": "dana", "followers_count": 300}, "reblogs_count": \#(count)}"#
        }
        // The tag timeline keeps the post's count of two minutes ago; fresh counts say 500, then fail.
        let api = try await ScriptedAPI([
            "/api/v1/timelines/tag/acme": [["body": "[\(status(5))]"]],
            "/api/v1/statuses": [["body": "[\(status(500))]"], ["status": 500, "body": "oops"]],
        ])
        defer { api.stop() }
        var source = testSource(.mastodon, name: "m")
        source.query = "acme"
        source.baseURL = api.base
        var config = scoringConfig([])
        config.sources = [source]
        let poller = FeedPoller(feed: source.makeFeed())
        let pipeline = WatchPipeline(config: config, pollers: [poller]) { _ in }
        let key = PostKey(source: "m", id: "p1")
        await pipeline.handle(await poller.poll())
        #expect(await pipeline.features([key], at: Date().timeIntervalSince1970)[0]?.reshares == 500)
        let again = await poller.poll()
        #expect(again.recounted.map(\.reshares) == [5])
        await pipeline.handle(again)
        #expect(await pipeline.features([key], at: Date().timeIntervalSince1970)[0]?.reshares == 500)
    }

    @Test("Items a JSON feed's mapping cannot read are counted on the first poll that has them, not every poll, and again after a clean one")
    func unreadableItems() async throws {
        let bad = #"{"posts": [{"id": "a"}, {"postid": "b"}, {"postid": "c"}]}"#, good = #"{"posts": [{"id": "a"}]}"#, empty = #"{"posts": []}"#
        // An empty answer says nothing about the mapping: the run goes on through it.
        let api = try await ScriptedAPI(["/feed": [["body": bad], ["body": empty], ["body": bad], ["body": good], ["body": bad]]])
        defer { api.stop() }
        var source = testSource(.json, name: "j")
        source.url = .literal(api.base + "/feed")
        source.items = "posts"
        source.fields = ["id": "id"]
        let poller = FeedPoller(feed: source.makeFeed())
        var said: [Int] = []
        for _ in 0..<5 { said.append(await poller.poll().unreadable) }
        #expect(said == [2, 0, 0, 0, 2])
        // A field holding what it cannot be, the same way: a time no format reads.
        let misread = #"{"posts": [{"id": "a", "at": "last Tuesday"}]}"#, fine = #"{"posts": [{"id": "a", "at": "2024-11-24T07:19:04Z"}]}"#
        let times = try await ScriptedAPI(["/feed": [["body": misread], ["body": misread], ["body": fine], ["body": misread]]])
        defer { times.stop() }
        source.url = .literal(times.base + "/feed")
        source.fields = ["id": "id", "created_at": "at"]
        let timed = FeedPoller(feed: source.makeFeed())
        var misreadSaid: [Int] = []
        for _ in 0..<4 { misreadSaid.append(await timed.poll().misread["created_at"]?.count ?? 0) }
        #expect(misreadSaid == [1, 0, 0, 1])
        // A second field going wrong while the first still is: said at once, on its own.
        let worse = #"{"posts": [{"id": "a", "at": "last Tuesday", "by": {"name": "dana"}}]}"#
        let nobody = #"{"posts": [{"id": "a", "at": "last Tuesday", "by": null}]}"#
        let both = try await ScriptedAPI(["/feed": [["body": nobody], ["body": worse]]])
        defer { both.stop() }
        source.url = .literal(both.base + "/feed")
        source.fields = ["id": "id", "created_at": "at", "author": "by"]
        let two = FeedPoller(feed: source.makeFeed())
        #expect(await two.poll().misread.keys.sorted() == ["created_at"])
        #expect(await two.poll().misread.keys.sorted() == ["author"])
        // A path that names nothing in any item, the same way: said with the path, then not
        // again while it stays wrong.
        let unshared = try await ScriptedAPI(["/feed": [["body": fine], ["body": fine]]])
        defer { unshared.stop() }
        source.url = .literal(unshared.base + "/feed")
        source.fields = ["id": "id", "created_at": "at", "reshares": "shares"]
        let missing = FeedPoller(feed: source.makeFeed())
        #expect(await missing.poll().misread["reshares"]?.absentPath == "shares")
        #expect(await missing.poll().misread.isEmpty)
    }

    @Test("Posts named again are carried on only as far as max_items_per_poll, as new ones are")
    func recountedPostsCapped() async throws {
        let page = #"{"posts": ["# + (1...5).map { #"{"id": "p\#($0)", "shares": \#($0)}"# }.joined(separator: ",") + "]}"
        let api = try await ScriptedAPI(["/feed": [["body": page]]])
        defer { api.stop() }
        var source = testSource(.json, name: "j")
        source.url = .literal(api.base + "/feed")
        source.items = "posts"
        source.fields = ["id": "id", "reshares": "shares"]
        source.maxItemsPerPoll = 2
        let poller = FeedPoller(feed: source.makeFeed())
        let first = await poller.poll()
        #expect(first.mentions.map(\.id) == ["p1", "p2"] && first.skippedIDs == ["p3", "p4", "p5"] && first.recounted.isEmpty)
        let second = await poller.poll()
        #expect(second.mentions.isEmpty && second.recounted.map(\.id) == ["p1", "p2"], "\(second.recounted.map(\.id))")
    }

    @Test("The journal is compacted once enough lines are written past what the last compaction kept: a failed compaction (a full disk) is tried again that many lines on, not on every tick, and posts whose lines fill the journal are not rewritten on every tick")
    func journalCompactionPace() async throws {
        let journal = StateJournal(directory: try makeTemporaryDirectory().path)
        let errors = Mutex<[String]>([])
        let logger = Logger(handler: StreamLogHandler(level: .error, format: .logfmt) { line in errors.withLock { $0.append(line) } })
        let source = testSource(.mastodon, name: "m", base: "http://127.0.0.1:9")
        var config = scoringConfig([])
        config.sources = [source]
        let pipeline = WatchPipeline(config: config, pollers: [FeedPoller(feed: source.makeFeed())], journal: journal, logger: logger, compactEvery: 5) { _ in }
        func tick(_ seconds: ClosedRange<Int>) async {
            for second in seconds { await pipeline.tick(Date(timeIntervalSince1970: 1_000_000 + Double(second))) }
        }
        func inode() throws -> Int { try #require(FileManager.default.attributesOfItem(atPath: journal.path)[.systemFileNumber] as? Int) }
        // The rewrite's temporary file cannot be made: a directory holds its name.
        try FileManager.default.createDirectory(atPath: journal.path + ".tmp/x", withIntermediateDirectories: true)
        await tick(1...20)
        let failed = errors.withLock { $0.filter { $0.contains("cannot compact the state journal") } }
        #expect(failed.count == 4, "\(failed)")  // at 5, 10, 15 and 20 lines, not on 16 ticks
        try FileManager.default.removeItem(atPath: journal.path + ".tmp")
        var outcome = PollOutcome(source: "m", observedAt: Date(timeIntervalSince1970: 1_000_021))
        outcome.mentions = (0..<10).map { Self.complaint("p\($0)", reshares: 12, createdAt: Date(timeIntervalSince1970: 1_000_000)) }
        await pipeline.handle(outcome)
        await tick(21...21)
        let compacted = try inode(), kept = try String(contentsOfFile: journal.path, encoding: .utf8).split(separator: "\n").count
        #expect(kept >= 10, "\(kept)")
        // The posts' lines alone are past compactEvery: not rewritten again until as many more come.
        await tick(22...(21 + kept - 1))
        #expect(try inode() == compacted)
        await tick((21 + kept)...(21 + kept + 5))
        #expect(try inode() != compacted)
        #expect(errors.withLock { $0.count } == 4, "\(errors.withLock { $0 })")
    }
}
