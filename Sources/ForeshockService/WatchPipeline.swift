import ForeshockConfig
import ForeshockCore
import ForeshockFeeds
import ForeshockSupport
import Foundation

/// Feed → observation → scoring → notification, for the live watch: one actor so the scoring
/// core sees one batch at a time, whichever source's poll finished first. Everything it feeds
/// the core goes to the state journal first, so a restart rebuilds the same state.
///
/// The pipeline is the scoring core's one owner: nothing else holds the engine. Every call into
/// it runs on `engineQueue`, a serial Dispatch queue, and is awaited with a continuation, so
/// the shards' waits never block Swift concurrency's threads and calls reach the engine in the
/// order they were made (the journal's order: each call is queued before the actor suspends).
package actor WatchPipeline {
    /// One source's health as the watchdog sees it.
    package struct SourceHealth: Sendable {
        package var lastPoll: Double?
        package var lastError: String?
        package var downSince: Double?
        package var alerted = false
        /// When its source-down alert fired, in this run (the journal keeps only that it did).
        package var alertedAt: Double?
        package var rateLimitWaits = 0

        /// When its source-down alert fired: in this run, or after a restart `sourceDownAfter`
        /// into the failure. Nil when it is not down.
        package func firedAt(sourceDownAfter: Double) -> Double? { alertedAt ?? downSince.map { $0 + sourceDownAfter } }
    }

    /// Counters for the metrics file.
    package struct Counters: Sendable {
        package var scoringSeconds = 0.0
        package var scoringBatches = 0
        /// New alerts and escalations, by rule and severity.
        package var alerts: [String: Int] = [:]
        package var journalErrors = 0
    }

    private let engine: ScoringEngine
    private let engineQueue = DispatchQueue(label: "foreshock.pipeline.engine")
    private var config: Config
    private var pollers: [String: FeedPoller]
    private let journal: StateJournal?
    /// Hands notifications to the notifier; called on the actor, so they reach it in the
    /// order the core produced them (the notification log's checks depend on that order).
    private let deliver: @Sendable ([AlertNotification]) -> Void
    /// Set while a compaction waits for the engine's tracked keys: the posts written meanwhile,
    /// whose lines the rewrite must keep although the keys it got do not name them.
    private var writtenWhileCompacting: Set<PostKey>?
    private let record: (@Sendable (RecordedLines) -> Void)?
    private let clock: @Sendable () -> Date
    private let logger: Logger
    /// A recent post, followed for its counters and the brand's answer.
    struct Followed {
        var createdAt: Double
        var reshares = 0
        var resharersFetched = false
        /// The brand answered it (seen in the stream or its thread).
        var answered = false
        /// When its thread was last read for the brand's answer.
        var threadReadAt: Double?
        /// Its replies as last counted: one more may be the brand's answer.
        var replies: Int?
        /// Its replies as counted when its thread was last read: a rise since is pending until
        /// the thread is read again, however many polls that takes.
        var repliesAtRead: Int?
    }

    /// Recent posts per source, to re-poll their counters and read their threads.
    private var recent: [String: [String: Followed]] = [:]
    /// Posts whose thread could not be read when last asked, and why: an alert on them about
    /// the brand's answer says the answer was not checked. Kept while the post is followed.
    private var unreadThreads: [PostKey: String] = [:]
    /// Threads read before this poll's findings were scored, while they are: a post new in the
    /// poll is followed only once ingested, and its alert must not say its thread was not read.
    private var readBeforeScoring: [PostKey: Double] = [:]
    /// Per polled source, when its last successful poll started: what it shows is as of then.
    private var readThrough: [String: Double] = [:]
    package private(set) var health: [String: SourceHealth] = [:]
    package private(set) var counters = Counters()
    /// When to say that journal writes fail (the count is `counters.journalErrors`).
    private var journalNotice = FailureNotice()
    private var journalLines = 0
    /// The journal's lines at which it is compacted next: `compactEvery` lines past what the last
    /// compaction kept, or twice that, if more (a watch whose tracked posts alone fill the journal
    /// must not rewrite it on every tick); after a failed compaction (a full disk), `compactEvery`
    /// lines past the failure, not on every tick.
    private var compactAt: Int
    private let compactEvery: Int
    static let followFor: Double = 6 * 3600
    static let followAtMost = 200
    /// Journal lines written between compactions, at least.
    static let compactEvery = 200_000

    /// - Parameters:
    ///   - journal: where observations are written before they are scored; nil keeps nothing.
    ///   - clock: the time now (the demo runs a faster one).
    ///   - compactEvery: journal lines written between compactions, at least (fewer in tests).
    package init(config: Config, pollers: [FeedPoller], journal: StateJournal? = nil, logger: Logger = Logger(handler: StreamLogHandler(level: .critical)),
                clock: @escaping @Sendable () -> Date = Date.init, record: (@Sendable (RecordedLines) -> Void)? = nil, compactEvery: Int = WatchPipeline.compactEvery,
                deliver: @escaping @Sendable ([AlertNotification]) -> Void) {
        self.compactEvery = compactEvery
        compactAt = compactEvery
        engine = ScoringEngine(config: config)
        self.config = config
        self.pollers = Dictionary(pollers.map { ($0.source.name, $0) }, uniquingKeysWith: { a, _ in a })
        self.journal = journal
        self.logger = logger
        self.clock = clock
        self.record = record
        self.deliver = deliver
    }

    /// Rebuilds posts, alerts, cursors and source health from the journal of an earlier run.
    /// - Returns: every notification the replay produced, and the time the journal ends: the
    ///   caller sends the last few its notification log has not seen (a crash between scoring
    ///   and the outbox), and renders from them what an outbox cut short lost; and the sources
    ///   that read from somewhere else now (`SourceConfig.readsFrom`), whose cursors were left.
    package func restore(_ loaded: StateJournal.Loaded) async -> (notes: [AlertNotification], end: Double, cursorsLeft: [String]) {
        let entries = loaded.entries
        let notes = await onEngine { engine in
            var notes: [AlertNotification] = []
            for entry in entries {
                switch entry {
                case .observations(let observations): notes += engine.ingest(observations)
                case .tick(let time): notes += engine.tick(time)
                case .polled, .sourceHealth: continue
                }
            }
            return notes
        }
        var seen: [String: [String]] = [:]
        var cursors: [String: (cursor: String, readsFrom: String?)] = [:]
        // The resharers the journal names, so that the next fetch of a post's resharers adds
        // only new ones: before, every restart counted them all again.
        var resharers: [String: [String: KnownResharers]] = [:]
        var last = -Double.infinity
        for entry in loaded.entries {
            switch entry {
            case .observations(let observations):
                follow(observations)
                last = max(last, observations.last?.time ?? last)
                for case .reshare(let key, let time, let user?, _) in observations {
                    resharers[key.source, default: [:]][key.id, default: KnownResharers()].add([user], fetchedAt: Date(timeIntervalSince1970: time))
                }
            case .tick(let time):
                last = max(last, time)
            case .polled(let source, let cursor, let ids, let readsFrom):
                if let cursor { cursors[source] = (cursor, readsFrom) }
                seen[source, default: []] += ids
            case .sourceHealth(let source, let since, let alerted):
                health[source, default: SourceHealth()].downSince = since
                health[source, default: SourceHealth()].alerted = alerted
            }
        }
        forgetRemovedSources()
        var left: [String] = []
        for (name, poller) in pollers {
            var cursor = cursors[name]
            if let readsFrom = cursor?.readsFrom, readsFrom != poller.source.readsFrom {
                cursor = nil
                left.append(name)
            }
            poller.restore(cursor: cursor?.cursor, seen: seen[name] ?? [], resharers: resharers[name] ?? [:])
        }
        journalLines = loaded.lines
        await recordRestoredPosts(entries)
        return (notes, last, left.sorted())
    }

    /// A recording begun (or continued) at a restart starts with the carried lines
    /// (`CarriedPost`) of each post the journal restored, marked `seen` now, as a rotated file
    /// starts (`RecordingFile`): otherwise their counts and reshares come with no post line,
    /// and the recording replayed alone scores them as posts of age 0. Unlike a rotation, the
    /// journal's counters from before the post line count too: the journal holds the post.
    private func recordRestoredPosts(_ entries: [StateJournal.Entry]) async {
        guard let record else { return }
        let tracked = await onEngine { $0.trackedKeys }
        var posts: [PostKey: (lines: CarriedPost, last: Double)] = [:]
        // When the watch learned of each line, as near as the journal knows (its `rewrite`):
        // the latest time of the lines and ticks before it.
        var clock = -Double.infinity
        for entry in entries {
            switch entry {
            case .tick(let time):
                clock = max(clock, time)
            case .observations(let observations):
                for observation in observations {
                    clock = max(clock, observation.time)
                    guard tracked.contains(observation.key) else { continue }
                    posts[observation.key, default: (CarriedPost(), observation.time)].lines.add(observation, seen: clock)
                    posts[observation.key]!.last = max(posts[observation.key]!.last, observation.time)
                }
            default:
                continue
            }
        }
        // The latest active first, as a rotation carries them: a bounded file keeps those.
        // (Posts without a post line the recording leaves out, as a rotation does.)
        let carried = posts.sorted { ($0.value.last, $0.key) > ($1.value.last, $1.key) }.map(\.value.lines)
        guard !carried.isEmpty else { return }
        record(.carried(carried))
    }

    /// Scores one poll's findings, then spends the source's call budget on the posts that need
    /// it: resharers of posts heating up, fresh counters of recent ones.
    package func handle(_ outcome: PollOutcome) async {
        guard let poller = pollers[outcome.source] else { return }
        var outcome = outcome
        let readFirst = outcome.error == nil && outcome.notBefore == nil ? await threadsBeforeScoring(outcome, poller: poller) : [:]
        outcome.answers += readFirst.values.flatMap(\.replies)
        for (id, read) in readFirst { unreadThreads[PostKey(source: outcome.source, id: id)] = read.failure }
        let taken = outcome.mentions.map(\.id) + outcome.skippedIDs
        let bookkeeping: [StateJournal.Entry] = taken.isEmpty ? [] : [.polled(source: outcome.source, cursor: poller.savedCursor, ids: taken, readsFrom: poller.source.readsFrom)]
        for id in readFirst.keys { readBeforeScoring[PostKey(source: outcome.source, id: id)] = outcome.observedAt.timeIntervalSince1970 }
        await ingest(Self.recent(MentionObservations.from(outcome), at: outcome.observedAt.timeIntervalSince1970, coldAfter: config.scoring.coldAfter), then: bookkeeping)
        for id in readFirst.keys {
            recent[outcome.source]?[id]?.threadReadAt = outcome.observedAt.timeIntervalSince1970
            // Its own only: another source's poll may be scoring across the await above.
            readBeforeScoring[PostKey(source: outcome.source, id: id)] = nil
        }
        await checkHealth(outcome)
        guard outcome.error == nil else { return }
        let source = outcome.source
        // The server asked to be left alone until its limit resets: no resharers or counts now.
        let extraCalls = outcome.notBefore == nil
        let now = outcome.observedAt.timeIntervalSince1970
        // A polled source's data is known through its last poll; a streamed one's through now.
        if !poller.streams { readThrough[source] = max(readThrough[source] ?? now, now) }
        // New posts joined `recent` as they were ingested; keep the newest, young enough.
        var follow = (recent[source] ?? [:]).filter { now - $0.value.createdAt < Self.followFor }
        if follow.count > Self.followAtMost {
            follow = Dictionary(uniqueKeysWithValues: follow.sorted { $0.value.createdAt > $1.value.createdAt }.prefix(Self.followAtMost).map { ($0.key, $0.value) })
        }
        recent[source] = follow
        unreadThreads = unreadThreads.filter { key, _ in key.source != source || follow[key.id] != nil }
        // Posts the answer named again with other reshare counts than last seen: scored as a
        // refresh's counts are (for a JSON feed, the only way its counts move). Fewer than seen,
        // where the API also answers fresh counts, is a listing behind them (a search index, a
        // page read again), not a post that lost reshares: the refresh says that. Taken, it
        // pulled a post's 500 back to the listing's 5 between two refreshes.
        let freshCounts = poller.refreshesCounts
        let recounted = outcome.recounted.filter { mention in
            follow[mention.id].map { freshCounts ? (mention.reshares ?? 0) > $0.reshares : $0.reshares != mention.reshares } ?? false
        }
        if extraCalls { await readThreads(before: recounted, skipping: [], of: source, poller: poller, at: now) }
        await ingest(recounted.map { .counts(key: PostKey(source: source, id: $0.id), time: now, reshares: $0.reshares, replies: $0.replies, likes: $0.likes, quotes: $0.quotes) })
        let threshold = extraCalls ? poller.source.fetchResharersAt : nil
        for (id, post) in follow.sorted(by: { $0.value.reshares > $1.value.reshares }) {
            guard let threshold, post.reshares >= threshold else { break }
            guard let sightings = await poller.resharers(of: id, postedAt: Date(timeIntervalSince1970: post.createdAt)) else { break }
            recent[source]?[id]?.resharersFetched = true
            await ingest(sightings.map { .reshare(key: PostKey(source: source, id: $0.postID), time: $0.at.timeIntervalSince1970, user: $0.account, followers: MentionObservations.followers($0.followers)) })
        }
        let stale = follow.filter { $0.value.reshares > 0 || now - $0.value.createdAt < 3600 }.map(\.key).sorted()
        if !stale.isEmpty, extraCalls {
            let refreshed = await poller.refresh(stale)
            // A deleted (or now private) post is followed no more: asking after it again would
            // cost a call each time until it aged out.
            for id in refreshed.gone { recent[source]?[id] = nil }
            let time = clock().timeIntervalSince1970
            await readThreads(before: refreshed.mentions, skipping: Set(refreshed.threadsRead), of: source, poller: poller, at: now)
            // Only what moved is scored (and journaled); `ingest` brings `recent` up to date.
            let changed = refreshed.mentions.filter { mention in
                (mention.reshares != nil && mention.reshares != recent[source]?[mention.id]?.reshares) || mention.replies != nil || mention.likes != nil
            }
            await ingest(changed.map { .counts(key: PostKey(source: source, id: $0.id), time: time, reshares: $0.reshares, replies: $0.replies, likes: $0.likes, quotes: $0.quotes) })
            // Where the counts answer is the thread too (Hacker News), it was read just now.
            for id in refreshed.threadsRead {
                recent[source]?[id]?.threadReadAt = time
                unreadThreads[PostKey(source: source, id: id)] = nil
            }
            if !refreshed.answers.isEmpty {
                await ingest(refreshed.answers.map { MentionObservations.answer($0, source: source, seenAt: time) })
            }
            // The counts came after the poll: what they say is known through then.
            if !poller.streams, refreshed.error == nil { readThrough[source] = max(readThrough[source] ?? time, time) }
        }
        if extraCalls { await readThreads(of: source, poller: poller, now: now) }
        for failure in poller.lookupFailuresToSay() {
            logger.warning("a look-up after the poll failed; the poll's posts were taken, \(failure.what) were not brought up to date (status counts it in ERRORS): \(failure.error.message)",
                           [("source", source)])
        }
    }

    /// Reshares older than `cold_after` are history, not spread: a feed that lists old items (a
    /// JSON feed's first answer, a retweet of 2019) would otherwise start a post at that time,
    /// as new then, and page for it now. A post's own line says when it was made and is kept.
    static func recent(_ observations: [Observation], at now: Double, coldAfter: Double) -> [Observation] {
        observations.filter { observation in
            guard case .reshare = observation else { return true }
            return observation.time >= now - coldAfter
        }
    }

    /// New posts already older than a rule's `unanswered_for_at_least` (the first poll after a
    /// start, a listing that found them late) would page the moment they are scored: their
    /// threads are read first, complaints first, then the most reshared of those with the
    /// reshares such a rule asks for, up to ten a poll.
    /// - Returns: per post whose thread was asked for, the brand's replies in it, or why it
    ///   could not be read.
    private func threadsBeforeScoring(_ outcome: PollOutcome, poller: FeedPoller) async -> [String: ThreadAnswer] {
        let rules = unansweredRules(of: outcome.source)
        guard poller.readsThreads, let threshold = rules.compactMap(\.when.unansweredForAtLeast).min() else { return [:] }
        let fewest = rules.map { $0.when.minReshares ?? 0 }.min() ?? 0
        let leastScore = rules.map(\.when.leastComplaintScore).min() ?? 0
        let now = outcome.observedAt.timeIntervalSince1970
        let answered = Set(outcome.answers.map(\.postID))
        let candidates = outcome.mentions.filter { mention in
            !answered.contains(mention.id) && (mention.reshares ?? 0) >= fewest
                && mention.createdDate.map({ now - $0.timeIntervalSince1970 >= threshold }) ?? false
        }
        // Most polls find no post that old: the lexicon is built only for those that do.
        guard !candidates.isEmpty else { return [:] }
        let lexicon = ComplaintLexicon.of(config)
        // Those such a rule could page for, complaints first, then the most reshared.
        let old = candidates.compactMap { mention -> (mention: Mention, score: Int)? in
            let score = lexicon.score(mention.text ?? "")
            return score >= leastScore ? (mention, score) : nil
        }.sorted { ($0.score, $0.mention.reshares ?? 0) > ($1.score, $1.mention.reshares ?? 0) }.map(\.mention)
        let read = await Self.threads(of: old.prefix(Self.threadsBeforeScoringPerPoll).map { ($0.id, $0.author) }, poller: poller)
        return Dictionary(read.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The rules about an unanswered post that apply to `source`: what its thread reads are for.
    private func unansweredRules(of source: String) -> [RuleConfig] {
        config.rules.filter { rule in rule.when.unansweredForAtLeast != nil && (rule.sources?.contains(source) ?? true) }
    }

    /// What a post's thread gave: the brand's replies in it, none when it could not be read
    /// (then `failure` says why).
    struct ThreadAnswer {
        var id: String
        var replies: [BrandReply]
        var failure: String?
    }

    /// Reads the threads of `posts` (by their authors), in order, until the call budget is spent.
    /// - Returns: each post whose thread was asked for, with the brand's replies in it (none
    ///   when it could not be read: it is counted, and asked again later like the others).
    private static func threads(of posts: [(id: String, author: String?)], poller: FeedPoller) async -> [ThreadAnswer] {
        var read: [ThreadAnswer] = []
        for (id, author) in posts {
            switch await poller.brandReplies(to: id, author: author) {
            case .notNow: return read
            case .failed(let why): read.append(ThreadAnswer(id: id, replies: [], failure: why))
            case .read(let replies): read.append(ThreadAnswer(id: id, replies: replies))
            }
        }
        return read
    }

    /// How long before a spreading post's thread is read again for the brand's answer.
    static let threadReadEvery: Double = 600
    /// How long past a poll interval before an unanswered threshold a post's thread is read
    /// again, so the answer its page goes by is at most that old, not `threadReadEvery`: a
    /// brand that answered nine minutes before the hour was paged as "unanswered for 1h".
    static let beforeCrossing: Double = 60

    /// Whether a followed post crosses `threshold` (its age) within `within` of `now` and its
    /// thread was last read before that stretch began.
    static func crosses(_ threshold: Double, within: Double, _ post: Followed, now: Double) -> Bool {
        let age = now - post.createdAt
        return age < threshold && age >= threshold - within && (post.threadReadAt ?? -.infinity) < post.createdAt + threshold - within
    }
    /// The most threads one poll reads.
    static let threadsPerPoll = 3
    /// The most threads one poll reads before scoring: each is a complaint that would page at
    /// once, worth more calls (the source's `calls_per_minute` still bounds them).
    static let threadsBeforeScoringPerPoll = 10

    /// Reads the threads of complaints and spreading posts the brand has not answered, for an
    /// answer the mention stream does not carry (a Reddit comment, a reply without the query's
    /// words): without it every such complaint would look unanswered and page. Complaints first,
    /// then the most reshared, each again every `threadReadEvery` (one that cannot be read too,
    /// so it does not keep the others waiting), a few a poll, within the call budget.
    private func readThreads(of source: String, poller: FeedPoller, now: Double) async {
        guard poller.readsThreads, config.rules.contains(where: \.when.readsAnswer) else { return }
        let unanswered = unansweredRules(of: source)
        let within = poller.source.interval + Self.beforeCrossing
        func stale(_ post: Followed) -> Bool { now - (post.threadReadAt ?? -.infinity) >= Self.threadReadEvery }
        func crossing(_ post: Followed, _ features: PostFeatures? = nil) -> Bool {
            unanswered.contains { rule in
                // With its numbers, only where the rule could page it: its complaint and reshares enough.
                Self.crosses(rule.when.unansweredForAtLeast ?? 0, within: within, post, now: now)
                    && features.map { $0.complaintScore >= rule.when.leastComplaintScore && $0.reshares >= (rule.when.minReshares ?? 0) } ?? true
            }
        }
        let due = (recent[source] ?? [:]).filter { _, post in !post.answered && (stale(post) || crossing(post)) }
        guard !due.isEmpty else { return }
        let keys = due.keys.sorted().map { PostKey(source: source, id: $0) }
        let features = await onEngine { $0.features(keys, at: now) }
        // A complaint is worth a look however little it has spread (a Reddit comment, a Hacker
        // News comment, have no votes to count). One about to cross an unanswered threshold
        // comes first: what its thread said then is what the page will say.
        let order = zip(keys, features).compactMap { key, features -> (id: String, author: String?, soon: Bool, complaint: Int, reshares: Int)? in
            guard let features, features.unansweredFor != nil, let post = due[key.id] else { return nil }
            let soon = crossing(post, features)
            guard soon || (stale(post) && (features.complaintScore > 0 || features.reshares > 0)) else { return nil }
            return (key.id, features.author, soon, features.complaintScore, features.reshares)
        }.sorted { ($0.soon ? 1 : 0, $0.complaint, $0.reshares, $1.id) > ($1.soon ? 1 : 0, $1.complaint, $1.reshares, $0.id) }
        // Those about to cross are worth the calls a poll's new old complaints get.
        let soon = order.prefix { $0.soon }.prefix(Self.threadsBeforeScoringPerPoll).count
        await take(await Self.threads(of: order.prefix(max(soon, Self.threadsPerPoll)).map { ($0.id, $0.author) }, poller: poller), source: source, at: now)
    }

    /// Reads, before their counts are scored, the threads of posts not answered yet that these
    /// counts may page as unanswered with an older read: those past a rule's
    /// `unanswered_for_at_least` whose reshares reach its `min_reshares` only now (read at the
    /// crossing, their thread may be minutes old by then), up to `threadsBeforeScoringPerPoll`;
    /// then, up to `threadsPerPoll`, complaints first, those whose replies rose since last
    /// counted (the brand's answer is a reply; its page would otherwise say "unanswered" until
    /// the thread's next read, up to `threadReadEvery` later). Each only with its thread read
    /// longer than a poll and a minute ago, so a post gaining comments every poll (Reddit)
    /// costs a call every other poll at most.
    /// - Parameters:
    ///   - mentions: the posts with their fresh counts.
    ///   - skipping: those whose thread came with their counts (Hacker News).
    private func readThreads(before mentions: [Mention], skipping: Set<String>, of source: String, poller: FeedPoller, at time: Double) async {
        guard poller.readsThreads, config.rules.contains(where: \.when.readsAnswer) else { return }
        let unanswered = unansweredRules(of: source)
        let fresh = poller.source.interval + Self.beforeCrossing
        var crossing: [Mention] = [], rose: [Mention] = []
        for mention in mentions {
            guard !skipping.contains(mention.id), let post = recent[source]?[mention.id], !post.answered,
                  time - (post.threadReadAt ?? -.infinity) > fresh else { continue }
            let reshares = mention.reshares ?? post.reshares
            if unanswered.contains(where: { rule in
                let least = rule.when.minReshares ?? 0
                return time - post.createdAt >= (rule.when.unansweredForAtLeast ?? 0) && post.reshares < least && reshares >= least
            }) {
                crossing.append(mention)
            } else if let replies = mention.replies, let before = post.repliesAtRead ?? post.replies, replies > before {
                rose.append(mention)
            }
        }
        guard !crossing.isEmpty || !rose.isEmpty else { return }
        let keys = (crossing + rose).map { PostKey(source: source, id: $0.id) }
        let features = Dictionary(zip(keys.map(\.id), await onEngine { $0.features(keys, at: time) }).compactMap { id, f in f.map { (id, $0) } },
                                  uniquingKeysWith: { first, _ in first })
        // Not answered as the core knows it, and worth a look: a complaint, or spreading.
        func worth(_ mention: Mention) -> PostFeatures? {
            features[mention.id].flatMap { $0.unansweredFor != nil && ($0.complaintScore > 0 || $0.reshares > 0) ? $0 : nil }
        }
        func first(_ posts: [Mention]) -> [Mention] {
            posts.compactMap { mention in worth(mention).map { (mention, $0) } }
                .sorted { ($0.1.complaintScore, $0.1.reshares, $1.0.id) > ($1.1.complaintScore, $1.1.reshares, $0.0.id) }.map(\.0)
        }
        let due = first(crossing).prefix(Self.threadsBeforeScoringPerPoll) + first(rose).prefix(Self.threadsPerPoll)
        guard !due.isEmpty else { return }
        let counted = Dictionary(due.compactMap { mention in mention.replies.map { (mention.id, $0) } }, uniquingKeysWith: { first, _ in first })
        await take(await Self.threads(of: due.map { ($0.id, $0.author) }, poller: poller), source: source, at: time, replies: counted)
    }

    /// Takes what threads read at `time` gave: when each was read, whether it could be, and
    /// the brand's answers in them.
    /// - Parameter replies: the replies counted just before each was read, where newer than
    ///   those ingested.
    private func take(_ reads: [ThreadAnswer], source: String, at time: Double, replies: [String: Int] = [:]) async {
        for read in reads {
            recent[source]?[read.id]?.threadReadAt = time
            if read.failure == nil, let post = recent[source]?[read.id] {
                recent[source]?[read.id]?.repliesAtRead = replies[read.id] ?? post.replies
            }
            unreadThreads[PostKey(source: source, id: read.id)] = read.failure
            if !read.replies.isEmpty {
                await ingest(read.replies.map { MentionObservations.answer($0, source: source, seenAt: time) })
            }
        }
    }

    /// The sources' read-through times worth clamping to at `time`: a source whose last good
    /// poll is more than three intervals old is failing, and is shown at `time` rather than
    /// frozen at its last poll.
    private func freshReadThrough(at time: Double) -> [String: Double] {
        readThrough.filter { source, through in
            guard let poller = pollers[source] else { return false }
            return time - through <= max(3 * poller.source.interval, 60)
        }
    }

    /// Evaluates every post at `time`, so time-based rules fire when nothing arrives, and
    /// raises or resolves the alert of a source that has been failing too long.
    package func tick(_ time: Date) async {
        let at = StateJournal.tickTime(time.timeIntervalSince1970)
        write([], then: [.tick(at)])
        let (notes, seconds) = await onEngine { engine in Self.timed { engine.tick(at) } }
        counters.scoringSeconds += seconds
        count(notes)
        if !notes.isEmpty { deliver(annotated(notes)) }
        for name in pollers.keys.sorted() { await checkDown(name, now: time.timeIntervalSince1970) }
        if journalLines >= compactAt { await compactJournal(nil) }
    }

    /// Takes a reloaded config: new rules and scoring settings for the same posts, pollers for
    /// the sources now configured (those kept keep their cursors and seen ids).
    package func reconfigure(_ config: Config, pollers: [FeedPoller]) async {
        self.config = config
        await onEngine { $0.reconfigure(config) }
        self.pollers = Dictionary(pollers.map { ($0.source.name, $0) }, uniquingKeysWith: { a, _ in a })
        // A source gone, or streamed now, is no longer read as of its last poll.
        readThrough = readThrough.filter { self.pollers[$0.key].map { !$0.streams } ?? false }
        forgetRemovedSources()
    }

    /// Sources the config no longer has: forgotten, and one that was down resolves its alert
    /// (nothing else ever would, and receivers would hold it open for good), whether it left
    /// at a reload or between two runs.
    private func forgetRemovedSources() {
        let now = clock().timeIntervalSince1970
        for name in health.keys.sorted() where pollers[name] == nil {
            if let h = health[name], let since = h.downSince {
                write([], then: [.sourceHealth(source: name, downSince: nil, alerted: false)])
                if h.alerted {
                    logger.info("source removed while down; its alert resolves", [("source", name)])
                    deliver([sourceDownNote(name, since: since, now: now, error: nil, removed: true, firedAt: h.firedAt(sourceDownAfter: config.sourceDownAfter))])
                }
            }
            health[name] = nil
        }
    }

    /// Rewrites the journal with only what the tracked posts were built from, the ticks since
    /// the oldest of it, and each source's latest cursor and recent ids.
    /// - Parameter loaded: the journal as just read (at start), so it is not read twice.
    package func compactJournal(_ loaded: StateJournal.Loaded? = nil) async {
        guard let journal, writtenWhileCompacting == nil else { return }
        // Other sources' polls are handled while this waits for the engine; the journal is read
        // only after the wait, and what was written meanwhile is kept whatever the keys say.
        writtenWhileCompacting = []
        var tracked = await onEngine { $0.trackedKeys }
        tracked.formUnion(writtenWhileCompacting ?? [])
        writtenWhileCompacting = nil
        let loaded = loaded ?? journal.load()
        var oldest = Double.infinity
        for case .observations(let observations) in loaded.entries {
            if let first = observations.first(where: { tracked.contains($0.key) }) { oldest = min(oldest, first.time) }
        }
        var ordered: [StateJournal.Entry] = []
        for entry in loaded.entries {
            switch entry {
            case .observations(let observations):
                let mine = observations.filter { tracked.contains($0.key) }
                if !mine.isEmpty { ordered.append(.observations(mine)) }
            case .tick(let time):
                if time >= oldest { ordered.append(entry) }
            case .polled, .sourceHealth:
                continue
            }
        }
        for (name, poller) in pollers.sorted(by: { $0.key < $1.key }) {
            ordered.append(.polled(source: name, cursor: poller.savedCursor, ids: poller.recentlySeen, readsFrom: poller.source.readsFrom))
            if let h = health[name], h.downSince != nil { ordered.append(.sourceHealth(source: name, downSince: h.downSince, alerted: h.alerted)) }
        }
        do {
            journalLines = try journal.rewrite(ordered)
            compactAt = journalLines + max(compactEvery, journalLines)
        } catch {
            compactAt = journalLines + compactEvery
            logger.error("cannot compact the state journal; trying again after \(compactEvery) more lines", [("path", journal.path), ("error", SystemReason.of(error))])
        }
    }

    /// What `status` shows of the core: the hottest posts (each as of its source's last poll)
    /// and every alert firing.
    package func snapshot(hottest limit: Int, at time: Double) async -> (hottest: [PostFeatures], firing: [(key: PostKey, isVolume: Bool, alert: AlertLifecycle.Firing)]) {
        let readThrough = freshReadThrough(at: time)
        return await onEngine { $0.snapshot(hottest: limit, at: time, readThrough: readThrough) }
    }

    /// Posts tracked (without the bytes, which cost a visit to every post).
    package func postCount() async -> Int {
        await onEngine { $0.postCount }
    }

    /// The features of posts at `time`, each as of its source's last poll unless `exactly`
    /// (the caller knows what the sources have read), nil for one not tracked.
    package func features(_ keys: [PostKey], at time: Double, exactly: Bool = false) async -> [PostFeatures?] {
        let readThrough = exactly ? [:] : freshReadThrough(at: time)
        return await onEngine { $0.features(keys, at: time, readThrough: readThrough) }
    }

    /// One post's features at several earlier times (`ScoringEngine.features(_:at:)`).
    package func features(of key: PostKey, at times: [Double]) async -> [PostFeatures] {
        await onEngine { $0.features(key, at: times) }
    }

    /// Runs `body` with the engine on the engine's queue, and awaits it.
    private func onEngine<T: Sendable>(_ body: @escaping @Sendable (ScoringEngine) -> T) async -> T {
        let engine = engine
        return await onDispatchThread(engineQueue) { body(engine) }
    }

    /// What `body` returns, and the seconds it took.
    private static func timed<T>(_ body: () -> T) -> (T, Double) {
        let started = DispatchTime.now().uptimeNanoseconds
        let value = body()
        return (value, Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
    }

    /// The sources with their health and counters.
    package func sourceHealth() -> [(name: String, health: SourceHealth, stats: FeedStats, kind: String)] {
        pollers.keys.sorted().map { name in (name, health[name] ?? SourceHealth(), pollers[name]!.stats, pollers[name]!.source.kind.rawValue) }
    }

    /// Keeps `recent` (the posts whose counters are re-polled) in step with what the core is fed,
    /// live and when the journal is replayed alike.
    private func follow(_ observations: [Observation]) {
        for observation in observations {
            switch observation {
            case .post(let key, let time, let createdAt, _, _, _, _):
                if time - createdAt < Self.followFor, recent[key.source]?[key.id] == nil {
                    recent[key.source, default: [:]][key.id] = Followed(createdAt: createdAt)
                }
            case .counts(let key, _, let reshares, let replies, _, _):
                if let reshares { recent[key.source]?[key.id]?.reshares = reshares }
                if let replies { recent[key.source]?[key.id]?.replies = replies }
            default:
                continue
            }
        }
        // After the posts: an answer written before the poll that found its post sorts first.
        for observation in observations {
            if case .answer(let key, _, _) = observation { recent[key.source]?[key.id]?.answered = true }
        }
    }

    private func ingest(_ observations: [Observation], then entries: [StateJournal.Entry] = []) async {
        // When the watch learned of them: one time for the journal and the recording alike.
        let seen = clock().timeIntervalSince1970
        let normalized = write(observations, then: entries, seen: seen)
        guard !normalized.isEmpty else { return }
        follow(normalized)
        record?(.observed(normalized, seen: seen))
        let (notes, seconds) = await onEngine { engine in Self.timed { engine.ingest(normalized) } }
        counters.scoringSeconds += seconds
        counters.scoringBatches += 1
        count(notes)
        if !notes.isEmpty { deliver(annotated(notes)) }
    }

    /// An alert that a post has not been answered, on a post whose thread could not be read,
    /// says so: the answer may be there unseen, and whoever is paged should look first. (It
    /// is not held back: the thread may stay unreadable, and the complaint keeps spreading.)
    /// One whose why calls a complaint unanswered says when its thread was last read for the
    /// answer, if longer ago than a poll and a minute (or not yet): a warning between two reads
    /// said "unanswered for 9m" of a complaint the brand had answered five minutes before.
    private func annotated(_ notes: [AlertNotification]) -> [AlertNotification] {
        // Built only when some thread could not be read: most batches have none.
        let caveats = unreadThreads.isEmpty ? [:] : threadCaveats()
        return notes.map { note in
            guard note.reason != .resolved, case .post(let key, let post) = note.subject else { return note }
            var note = note
            if caveats[key] != nil {
                note.why = Self.why(note.why, rule: note.rule, key: key, caveats: caveats, config: config)
            } else if post.complaint, (post.unansweredFor ?? 0) >= 60, let looked = answerLookedFor(key, at: note.time) {
                note.why = [note.why, looked].compactMap { $0 }.joined(separator: "; ")
            }
            return note
        }
    }

    /// When the brand's answer to `key` was last looked for in its thread, if that is stale at
    /// `time`; nil where threads are not read, or were just read.
    private func answerLookedFor(_ key: PostKey, at time: Double) -> String? {
        guard let poller = pollers[key.source], poller.readsThreads, config.rules.contains(where: \.when.readsAnswer),
              let followed = recent[key.source]?[key.id], !followed.answered else { return nil }
        guard let read = followed.threadReadAt ?? readBeforeScoring[key] else { return "its thread not read yet for the brand's answer" }
        let age = time - read
        guard age > poller.source.interval + Self.beforeCrossing else { return nil }
        return "its thread last read for the brand's answer \(DurationText.format(age)) ago"
    }

    /// An alert's why, and after it the post's caveat when the alert's rule is about an
    /// unanswered post: one spelling for the notification and for `status` and the live page.
    package static func why(_ why: String?, rule: String, key: PostKey, caveats: [PostKey: String], config: Config) -> String? {
        guard let caveat = caveats[key], config.rules.first(where: { $0.name == rule })?.when.unansweredForAtLeast != nil else { return why }
        return [why, caveat].compactMap { $0 }.joined(separator: "; ")
    }

    /// What an alert about the brand's answer says when the post's thread could not be read.
    static func notChecked(_ failure: String) -> String {
        "the brand's answer was not checked: its thread could not be read (\(failure))"
    }

    /// Per post whose thread could not be read when last asked, what its alerts about the
    /// brand's answer say of it (`status` and the live page show it too).
    package func threadCaveats() -> [PostKey: String] {
        unreadThreads.mapValues(Self.notChecked)
    }

    /// Journals, then returns what the core is to see (as read back from the journal lines).
    /// - Parameter seen: when the watch learned of the observations (`StateJournal.append`).
    @discardableResult
    private func write(_ observations: [Observation], then entries: [StateJournal.Entry], seen: Double? = nil) -> [Observation] {
        guard let journal, !(observations.isEmpty && entries.isEmpty) else { return observations }
        if writtenWhileCompacting != nil { writtenWhileCompacting?.formUnion(observations.map(\.key)) }
        do {
            let normalized = try journal.append(observations, then: entries, seen: seen)
            journalLines += observations.count + entries.count
            // A later run of failures is said at its first, as the first run was.
            if journalNotice.failures > 0 { _ = journalNotice.succeeded() }
            return normalized
        } catch {
            // Scoring goes on: an alert now is worth more than a journal line.
            counters.journalErrors += 1
            if journalNotice.failed(count: counters.journalErrors) {
                logger.error("cannot write the state journal; a restart will not remember this", [("path", journal.path), ("error", SystemReason.of(error))])
            }
            return observations
        }
    }

    private func count(_ notes: [AlertNotification]) {
        for note in notes where note.reason == .started || note.reason == .escalated {
            counters.alerts["\(note.rule)\u{0}\(note.severity.rawValue)", default: 0] += 1
        }
    }

    private func checkHealth(_ outcome: PollOutcome) async {
        let name = outcome.source
        let now = outcome.observedAt.timeIntervalSince1970
        var h = health[name] ?? SourceHealth()
        h.lastPoll = now
        // A wait the server asked for: a rate limit's headers on a poll that worked, or a 429's
        // (or 503's) Retry-After on one that did not. Back-off after other failures is not one.
        if let source = pollers[name]?.source, outcome.error == nil || outcome.notBefore != nil,
           outcome.nextPollAfter > source.interval * 1.01 { h.rateLimitWaits += 1 }
        if let error = outcome.error {
            h.lastError = error.message
            if h.downSince == nil {
                h.downSince = now
                write([], then: [.sourceHealth(source: name, downSince: now, alerted: false)])
            }
            health[name] = h
            await checkDown(name, now: clock().timeIntervalSince1970)
            return
        }
        let wasAlerted = h.alerted, firedAt = h.firedAt(sourceDownAfter: config.sourceDownAfter)
        let wasDown = h.downSince
        h.lastError = nil
        h.downSince = nil
        h.alerted = false
        h.alertedAt = nil
        health[name] = h
        if let wasDown {
            write([], then: [.sourceHealth(source: name, downSince: nil, alerted: false)])
            if wasAlerted {
                logger.info("source recovered", [("source", name)])
                deliver([sourceDownNote(name, since: wasDown, now: now, error: nil, firedAt: firedAt)])
            }
        }
    }

    /// Silence must never look like "all quiet": a source failing longer than
    /// `source_down_after` raises its own critical alert.
    private func checkDown(_ name: String, now: Double) async {
        guard let h = health[name], let since = h.downSince, !h.alerted, now - since >= config.sourceDownAfter else { return }
        health[name]?.alerted = true
        health[name]?.alertedAt = now
        logger.error("source down", [("source", name), ("since", Timestamp.format(Date(timeIntervalSince1970: since))), ("error", h.lastError ?? "")])
        deliver([sourceDownNote(name, since: since, now: now, error: h.lastError ?? "unknown error")])
        write([], then: [.sourceHealth(source: name, downSince: since, alerted: true)])
    }

    /// The source-down alerts that fire, as the notifications that started them: a restart hands
    /// them to the notifier with the engine's firing alerts (`Notifier.rememberSilenced`), so
    /// one a silence held back is told when the silence ends, as a post's alert is.
    package func firingSourceDownAlerts() -> [AlertNotification] {
        health.keys.sorted().compactMap { name in
            guard let h = health[name], h.alerted, let since = h.downSince, let fired = h.firedAt(sourceDownAfter: config.sourceDownAfter) else { return nil }
            return sourceDownNote(name, since: since, now: fired, error: h.lastError ?? "its error before the restart is not known")
        }
    }

    /// Where a source-down alert goes: to the critical rules' sinks.
    static func sourceDownSinks(_ config: Config) -> [String] {
        AlertLifecycle.union(config.rules.filter { $0.severity == .critical }.map(\.sinks))
    }

    /// - Parameter firedAt: when the alert fired, for a resolution (`SourceHealth.firedAt`).
    private func sourceDownNote(_ name: String, since: Double, now: Double, error: String?, removed: Bool = false, firedAt: Double? = nil) -> AlertNotification {
        let minutes = Int(((now - since) / 60).rounded())
        let text = error.map { "Source \(name) has failed for \(minutes) min: \($0). Nothing from it is scored until it recovers." }
            ?? (removed ? "Source \(name) was removed from the config after failing for \(minutes) min." : "Source \(name) recovered after \(minutes) min.")
        return AlertNotification(.sourceDown(source: name, since: since, message: text), time: now, rule: "source-down", severity: .critical,
                                 reason: error == nil ? .resolved : .started, sinks: Self.sourceDownSinks(config),
                                 // When it fired (`first_seen` is when the failure began).
                                 firedAt: error == nil ? firedAt.map { min(now, $0) } ?? now : now,
                                 held: error == nil ? nil : "failing for \(DurationText.short(now - since)) ≥ \(DurationText.short(config.sourceDownAfter)) (source_down_after)",
                                 watching: config.source(named: name)?.watching)
    }
}
