import ForeshockConfig
import ForeshockSupport
import ForeshockTransport
import Foundation
import Synchronization

/// Polls one source: keeps its cursor, drops what it has already seen, obeys the API's rate
/// limits and backs off when it fails. One poll runs at a time per poller (the scheduler sees
/// to that); a failing poller never touches another source.
package final class FeedPoller: Sendable {
    /// The most pages read in one poll when a burst of mentions arrived since the last one.
    package static let maxPages = 5
    /// The longest back-off after repeated failures.
    package static let maxBackoff: Double = 900
    /// An answer this large leaves its parse's memory in the allocator's per-thread arenas;
    /// each thread that parses one would keep as much again.
    static let largeBody = 1 << 20

    /// The most mention ids a poller remembers, however large the answers it gets.
    static let maxSeen = 1_000_000

    package let feed: any MentionFeed
    package var source: SourceConfig { feed.source }
    private let client: HTTPClient
    private let credentials: FeedCredentials
    private let clock: @Sendable () -> Date
    /// The time by the poller's clock: what everything it and its stream see is stamped with.
    package var now: Date { clock() }
    private let jitter: @Sendable () -> Double
    private let state: Mutex<State>
    private let redactor: Redactor

    struct State {
        var cursor: String?
        /// Earlier cursors, newest last: where to fall back when the cursor's post vanished.
        var cursorHistory: [String] = []
        /// Whether the cursor was made from a time (`MentionFeed.cursor(at:)`), not read.
        var cursorFromTime = false
        /// The last poll with no cursor found the listing empty, and none since found anything:
        /// all it lists now is new, so a full latest page is followed back (`olderPage`).
        var listingEmpty = false
        var seen = RecentIDs(capacity: 20_000)
        /// Recent posts' authors and threads, for their thread reads (`remember`).
        var posts: [String: PostRef] = [:]
        var postOrder: [(id: String, at: Date)] = []
        var postOrderStart = 0
        var etags: [String: String] = [:]
        var failures = 0
        var batchedCounts = true
        var budget: CallBudget
        /// Per post, the accounts known to have reshared it (fetched, or seen resharing in a
        /// listing or the stream) and when its resharers were last fetched: a fetch adds only
        /// accounts not among them, or each reload and restart would count them all again.
        var resharers: [String: KnownResharers] = [:]
        /// Follower counts looked up (`followers(of:)`), and when: an author posts again.
        var followersKnown: [String: (count: Int, at: Date)] = [:]
        var stats = FeedStats()
        /// Polls whose answers held items that could not be read, in a row.
        var unreadable = FailureNotice()
        /// Per field, polls whose answers held values it cannot be, in a row: a second field
        /// going wrong is said at once, not with the first's hundredth.
        var misread: [String: FailureNotice] = [:]
        /// Later pages that failed, with none read whole between.
        var pageErrors = FailureNotice()
        /// Look-ups after the poll (counts, resharers, followers, replies) that failed, with
        /// none answering between, and the failures to say, one per kind, whose run's first (or
        /// hundredth) has not been said yet.
        var lookups: [Lookup: FailureNotice] = [:]
        var lookupsToSay: [Lookup: (what: String, error: FeedError)] = [:]
    }

    /// - Parameters:
    ///   - feed: the adapter for the source's API.
    ///   - client: the HTTP client (shared by all pollers).
    ///   - clock: the time now; tests replace it.
    ///   - jitter: a factor around 1 applied to back-off delays so sources do not retry in lockstep.
    package init(feed: any MentionFeed, client: HTTPClient = HTTPClient(), clock: @escaping @Sendable () -> Date = Date.init,
                jitter: @escaping @Sendable () -> Double = { Double.random(in: 0.8...1.2) }) {
        self.feed = feed
        self.client = client
        self.credentials = FeedCredentials(source: feed.source, authentication: feed.needs.authentication, client: client)
        self.redactor = feed.source.redactor
        self.clock = clock
        self.jitter = jitter
        self.state = Mutex(State(budget: CallBudget(perMinute: feed.source.callsPerMinute)))
    }

    /// Whether the source is also streamed: what it shows is then as of now, not of its last poll.
    package var streams: Bool { feed.streamRequest() != nil }

    /// Whether the API answers fresh counts of posts seen (`refresh`), beside what its listing says.
    package var refreshesCounts: Bool { !feed.countsRequests(for: ["0"], batched: true).isEmpty }

    /// The counters since start.
    package var stats: FeedStats { state.withLock { $0.stats } }

    /// The forward cursor.
    package var cursor: String? {
        get { state.withLock { $0.cursor } }
        set { state.withLock { $0.cursor = newValue } }
    }

    /// The cursor as persisted across restarts and reloads: one read from an answer, never one
    /// made from a time, which a restored poller could not tell from a read one (and so would
    /// never drop where a server misreads it).
    package var savedCursor: String? { state.withLock { $0.cursorFromTime ? nil : $0.cursor } }

    /// Whether the listing was empty at the last poll without a cursor and nothing came since
    /// (a reload hands it on, so the next burst is still followed back through its pages).
    package var listingEmpty: Bool { state.withLock { $0.listingEmpty } }

    /// Picks up where an earlier run left off: its cursor and the mentions it already took.
    /// - Parameters:
    ///   - stats: the counters of the poller this one replaces (a reload), which keep
    ///     counting: `status` and the metrics' counters must not drop to zero on SIGHUP.
    ///   - listingEmpty: that poller's `listingEmpty`.
    package func restore(cursor: String?, seen ids: [String], stats: FeedStats? = nil, listingEmpty: Bool = false,
                         resharers: [String: KnownResharers] = [:]) {
        state.withLock { state in
            for (id, known) in resharers { state.resharers[id, default: KnownResharers()].add(known.accounts, fetchedAt: known.fetchedAt) }
            if let cursor { state.cursor = cursor }
            state.listingEmpty = listingEmpty
            if let stats { state.stats = stats }
            state.seen.reserve(atLeast: min(Self.maxSeen, ids.count))
            for id in ids { _ = state.seen.insert(id) }
        }
    }

    /// The accounts known to have reshared each post, for the poller that takes over at a reload.
    package var knownResharers: [String: KnownResharers] { state.withLock { $0.resharers } }

    /// The mention ids taken recently, oldest first (what a journal compaction keeps).
    package var recentlySeen: [String] { state.withLock { $0.seen.ordered } }

    /// Polls once: every new mention since the last poll, and when to poll next.
    package func poll() async -> PollOutcome {
        let started = clock()
        let (cursor, listingEmpty) = state.withLock { ($0.cursor, $0.listingEmpty) }
        var outcome = PollOutcome(source: source.name, observedAt: started, nextPollAfter: source.interval)
        var collected: [Mention] = []
        var newest: String?
        var page: String?
        var pages = 0
        var pauseForLimit: Double?
        // A later page that fails ends the paging, not the poll: the pages before it are taken
        // (else a burst whose second page is refused, as logged-out Bluesky refuses `cursor`,
        // would fail every poll, its cursor never moving).
        var pageError: FeedError?
        // A page more was on offer when the last one this poll reads was read.
        var pagesLeft = false
        // A latest page's older cursors (`MentionPage.olderCursors`).
        var stepBack: [String] = []
        while pages < Self.maxPages {
            pages += 1
            var request = feed.mentionsRequest(after: cursor, page: page)
            let etag = page == nil ? state.withLock { $0.etags[request.url] } : nil
            if let etag { request.headers.set("If-None-Match", etag) }
            let response: HTTPResponse
            let parsed: MentionPage
            do throws(FeedError) {
                response = try await send(request, &outcome)
                if let limit = RateLimit.from(response.headers, now: clock()), let pause = limit.pause(now: clock()) {
                    pauseForLimit = max(pauseForLimit ?? 0, pause)
                }
                if response.status == 304 {
                    outcome.notModified = true
                    break
                }
                if page == nil, cursor != nil, feed.refusesCursor(response) {
                    // Polling again with a cursor the API refuses would fail for ever.
                    state.withLock { $0.cursorHistory = [] }
                    var again = await pollFromLatest(after: outcome)
                    again.cursorRefused = true
                    return again
                }
                if let failure = Self.statusError(response, now: clock()) { throw failure }
                parsed = try feed.parseMentions(response.body)
            } catch {
                // The first page failing fails the poll; a later one ends the paging (above).
                if page == nil { return failed(outcome, error) }
                pageError = error
                break
            }
            if response.body.count >= Self.largeBody { Memory.returnFreed() }
            if page == nil, let tag = response.headers["etag"] {
                state.withLock { $0.etags = [request.url: tag] }
            }
            collected += parsed.mentions
            outcome.unreadable += parsed.unreadable
            outcome.misread.merge(parsed.allMisread) { a, b in
                var merged = a
                merged.count += b.count
                return merged
            }
            if cursor == nil, page == nil { stepBack = parsed.olderCursors }
            if cursor != nil, parsed.moreThanGiven { outcome.truncated = true }
            if let found = parsed.newestCursor {
                newest = newest.map { Self.newer(found, than: $0) ? found : $0 } ?? found
            }
            // The first poll takes only the latest page: history before the watch started is not
            // news. After an empty one, all there is came since, however many pages it fills.
            let continued = cursor != nil ? parsed.nextPage : listingEmpty ? parsed.olderPage : nil
            guard let next = continued, next != page else { break }
            if pages == Self.maxPages {
                pagesLeft = true
                break
            }
            page = next
        }
        // A later page going back from the newest that failed for now leaves the cursor where
        // it was: the next poll reads this burst again (the seen set drops what was taken) and
        // what lay below the failed page too. A lasting refusal, or pages going forward, move it.
        let goingBack = cursor == nil || feed.needs.pagesGoBack
        let keepCursor = pageError.map { $0.isTransient && goingBack } ?? false
        if keepCursor { newest = nil }
        if let failure = pageError {
            let pageError = count(failure)
            if let wait = pageError.retryAfter { pauseForLimit = max(pauseForLimit ?? 0, wait) }
            // Said at the first of a run and every hundredth after, as other failures are: a
            // page that stays refused (logged-out Bluesky's `cursor`) fails at every burst.
            let say = state.withLock { $0.pageErrors.failed() }
            // What may be missed is said every time; a page asked again later, once a run.
            if say || (goingBack && !keepCursor) {
                outcome.pageError = pageError
                outcome.pageErrorMissesRest = goingBack && !keepCursor
            }
        } else {
            // A later page read whole ends a run of them.
            if pages > 1 { state.withLock { _ = $0.pageErrors.succeeded() } }
            if pagesLeft { outcome.truncated = true }
        }
        if feed.needs.olderCursorWhenEmpty, collected.isEmpty, !outcome.notModified, pauseForLimit == nil, let cursor,
           state.withLock({ $0.cursorHistory.isEmpty && $0.cursor == cursor }) {
            // Nothing after the cursor and no older one to step back to (a first poll's, or after
            // a restart): its post was removed, has left the listing or is not in a changed
            // query's, or the listing is quiet. Reading the latest page now, not on the next
            // poll, tells them apart without cutting a burst that lands meanwhile to its newest
            // page, as PRAW's streams do; the seen set drops what came before.
            var again = await pollFromLatest(after: outcome)
            again.cursorFellBack = true
            return again
        }
        // Before anything is taken: a lookup cut short by a stop (a reload, SIGTERM) must leave
        // the cursor and the seen ids as they were, or the next poller would skip these.
        let unseen = state.withLock { state in collected.filter { !state.seen.contains($0.id) } }
        await completeAuthors(of: &collected, among: unseen, &outcome)
        if Task.isCancelled { return failed(outcome, FeedError(.transport, "cancelled")) }
        state.withLock { state in
            // The seen set holds every id of an answer, however large, or the ids it forgot
            // would be new again on the next poll.
            state.seen.reserve(atLeast: min(Self.maxSeen, collected.count * 2))
            var fresh: [Mention] = []
            let cap = source.maxItemsPerPoll
            for mention in collected {
                guard state.seen.insert(mention.id) else {
                    // Named again with its counts now (a JSON feed lists the same posts each poll),
                    // as far as the cap, as new ones are: an answer of 100,000 seen posts must not
                    // be carried on to the pipeline whole.
                    if mention.reshares != nil, outcome.recounted.count < cap { outcome.recounted.append(mention) }
                    continue
                }
                // Past the cap a mention is skipped but counted as seen: no answer, however
                // large, costs more than one poll's cap, and none comes back as new.
                if fresh.count < cap { fresh.append(mention) } else { outcome.skippedIDs.append(mention.id) }
            }
            outcome.mentions = fresh
            Self.remember(fresh, in: &state, now: clock())
            // A mapping that reads nothing stays wrong every poll: said once, then once a hundred.
            // Only an answer that lists items and reads them all ends the run (an empty one or
            // a 304 says nothing about the mapping).
            if outcome.unreadable > 0 {
                if !state.unreadable.failed() { outcome.unreadable = 0 }
            } else if !collected.isEmpty {
                _ = state.unreadable.succeeded()
            }
            let misreadNow = Set(outcome.misread.keys)
            for field in misreadNow where !state.misread[field, default: FailureNotice()].failed() { outcome.misread[field] = nil }
            if !collected.isEmpty {
                for field in state.misread.keys where !misreadNow.contains(field) { _ = state.misread[field]?.succeeded() }
            }
            if cursor == nil, !outcome.notModified, !keepCursor { state.listingEmpty = collected.isEmpty }
            // Forward only: an answer that holds only older posts (a JSON feed that lists what it
            // likes, a re-read window after a deletion) must not take the cursor back. One made
            // from a time is a guess, which any read one replaces.
            if let newest, newest != state.cursor, state.cursorFromTime || !(state.cursor.map { Self.newer($0, than: newest) } ?? false) {
                if let old = state.cursor, !state.cursorFromTime { state.cursorHistory = Array((state.cursorHistory + [old]).suffix(8)) }
                state.cursor = newest
                state.cursorFromTime = false
                state.listingEmpty = false
                // Older posts of a latest page to step back to when this one vanishes: without
                // them a quiet listing read the latest page at every poll after a restart.
                if cursor == nil, feed.needs.olderCursorWhenEmpty, state.cursorHistory.isEmpty { state.cursorHistory = stepBack.reversed() }
            } else if cursor == nil, state.cursor == nil, collected.isEmpty {
                // Nothing yet: from now on (a minute early, for the server's clock), where the
                // API can be asked so, rather than the latest page of whatever comes first.
                state.cursor = feed.cursor(at: started.addingTimeInterval(-60))
                state.cursorFromTime = state.cursor != nil
            } else if state.cursorFromTime, collected.isEmpty, feed.needs.timeCursorMayBeMisread {
                // A time-made cursor that found nothing goes where a server may read it otherwise
                // (GoToSocial's ids are not snowflakes): it would answer nothing to it for ever.
                // The next poll reads the latest page, and a new one is made after it if need be.
                state.cursor = nil
                state.cursorFromTime = false
            } else if feed.needs.olderCursorWhenEmpty, collected.isEmpty, cursor != nil, !outcome.notModified {
                // An empty answer to `before` also happens when that post was deleted (or has left
                // the listing): step back to the next newest post seen; the seen set drops
                // whatever comes again. A quiet listing costs the same one call a poll.
                state.cursor = state.cursorHistory.popLast()
                outcome.cursorFellBack = true
            }
            state.failures = 0
            state.stats.polls += 1
            state.stats.mentions += fresh.count
            state.stats.lastSuccess = clock()
        }
        outcome.answers = brandReplies(in: outcome.mentions)
        if let pauseForLimit {
            outcome.nextPollAfter = max(source.interval, pauseForLimit)
            outcome.notBefore = pauseForLimit
        }
        return outcome
    }

    /// Polls again at once from the latest page, as a first poll does, after `outcome`'s
    /// requests (which the answer counts too).
    private func pollFromLatest(after outcome: PollOutcome) async -> PollOutcome {
        state.withLock { $0.cursor = nil }
        var again = await poll()
        again.requests += outcome.requests
        return again
    }

    /// Takes mentions that arrived another way (a stream) through the seen set.
    /// - Returns: the ones not seen before.
    package func accept(_ mentions: [Mention]) -> [Mention] {
        state.withLock { state in
            let fresh = mentions.filter { state.seen.insert($0.id) }
            state.stats.mentions += fresh.count
            Self.remember(fresh, in: &state, now: clock())
            return fresh
        }
    }

    /// How long a post's author and thread are kept for its thread reads: the pipeline follows a
    /// post for 6 hours.
    static let rememberFor: TimeInterval = 7 * 3600
    /// The most kept at once, whatever their age: a firehose must not grow it without bound.
    static let rememberAtMost = 100_000

    /// Keeps the authors and threads of new posts, forgetting those older than `rememberFor`,
    /// and the oldest past `rememberAtMost`; called under the state's lock.
    static func remember(_ mentions: [Mention], in state: inout State, now: Date) {
        for mention in mentions {
            // A reshare seen in the listing or the stream is one a fetch of the post's resharers
            // lists again: known, it is not counted twice.
            if let original = mention.reshareOf, let author = mention.author {
                state.resharers[original, default: KnownResharers()].accounts.insert(author)
            }
            if state.posts.updateValue(PostRef(author: mention.author, thread: mention.thread), forKey: mention.id) == nil {
                state.postOrder.append((mention.id, now))
            }
        }
        var start = state.postOrderStart
        while start < state.postOrder.count,
              state.postOrder.count - start > rememberAtMost || now.timeIntervalSince(state.postOrder[start].at) > rememberFor {
            state.posts[state.postOrder[start].id] = nil
            start += 1
        }
        // Compacted when half is forgotten: removing from the front each time would be quadratic.
        if start > 1_000, start * 2 > state.postOrder.count {
            state.postOrder.removeFirst(start)
            start = 0
        }
        state.postOrderStart = start
    }

    /// Replies by the brand's own accounts among mentions: the posts they answer, and when.
    package func brandReplies(in mentions: [Mention]) -> [BrandReply] {
        let brand = Set(source.brandAccounts.map(feed.accountKey))
        guard !brand.isEmpty else { return [] }
        return mentions.compactMap { mention in
            guard let parent = mention.replyTo, let author = mention.author,
                  brand.contains(feed.accountKey(author)) || mention.authorID.map({ brand.contains(feed.accountKey($0)) }) == true else { return nil }
            return BrandReply(postID: parent, replyID: mention.id, by: author, at: mention.createdDate ?? clock())
        }
    }

    /// Whether cursor `a` is past `b`: numbers by value, times by time, and ids of one length
    /// otherwise (GoToSocial's ULIDs) as text, which is how they sort.
    static func newer(_ a: String, than b: String) -> Bool {
        if a.allSatisfy(\.isNumber), b.allSatisfy(\.isNumber) { return NumericID.newer(a, than: b) }
        if let x = Timestamp.parse(a), let y = Timestamp.parse(b) { return x > y }
        if a.utf8.count == b.utf8.count { return a > b }
        return false
    }

    /// Fresh counts of posts already seen, within the call budget.
    /// - Returns: the posts as mentions with their current counts (posts the budget did not
    ///   cover are left out), the posts the API says are gone, the round's last error, and
    ///   where a counts answer is the post's thread (`FeedNeeds.countsCarryReplies`), the
    ///   posts whose threads were read so and the brand's replies in them.
    package func refresh(_ ids: [String]) async -> Refreshed {
        let batched = state.withLock { $0.batchedCounts }
        let asked = Set(ids)
        var requests = feed.countsRequests(for: ids, batched: batched)
        // A request a post (Hacker News, Mastodon before 4.3): one answered 404 or 410 names a
        // post deleted or made private, and the others are still worth asking about.
        let onePerPost = !batched || feed.needs.countsRequestPerPost
        let allowed = state.withLock { state in
            (0..<requests.count).prefix { _ in state.budget.spend(now: clock()) }.count
        }
        requests = Array(requests.prefix(allowed))
        var refreshed = Refreshed()
        // The request before this one failed.
        var failedJustBefore = false
        var outcome = PollOutcome(source: source.name, observedAt: clock())
        for (index, request) in requests.enumerated() {
            do throws(FeedError) {
                let response = try await send(request, &outcome)
                if batched, [404, 410].contains(response.status), feed.needs.countsOneByOneWhenBatchMissing {
                    // The server has no batched endpoint (Mastodon before 4.3): one by one from now on.
                    state.withLock { $0.batchedCounts = false }
                    return await refresh(ids)
                }
                if onePerPost, [404, 410].contains(response.status) {
                    refreshed.gone.append(ids[index])
                    continue
                }
                if let failure = Self.statusError(response, now: clock()) { throw failure }
                // Only the posts asked about: an answer that carries others (a server's bug, or
                // a hostile one) must not create posts with no author and no link.
                let counted = try feed.parseCounts(response.body).filter { asked.contains($0.id) }
                refreshed.mentions += counted
                // A post followed from before a restart is not in `posts`: its fresh counts name
                // its author and thread (an X reply's conversation), which its thread reads need.
                state.withLock { state in Self.remember(counted.filter { state.posts[$0.id] == nil }, in: &state, now: clock()) }
                if feed.needs.countsCarryReplies, counted.count == 1, let replies = try? feed.parseReplies(response.body) {
                    refreshed.threadsRead.append(counted[0].id)
                    refreshed.answers += answers(to: counted[0].id, in: replies)
                }
            } catch {
                lookupFailed(error, .counts, asking: "fresh counts")
                // One post's answer failing (a 500 on that status, a body not as expected) is
                // that post's: the others are still asked, or it would hold every post after it
                // for as long as it fails. A server out of reach, asking to wait, refusing us or
                // behind a failing proxy ends the round, and so do two failures in a row.
                let serverWide = [.transport, .rateLimited, .authentication].contains(error.code) || error.retryAfter != nil
                    || [401, 403, 502, 503, 504].contains(error.status ?? 0)
                refreshed.error = error
                if onePerPost, !serverWide, !failedJustBefore {
                    failedJustBefore = true
                    continue
                }
                return refreshed
            }
            failedJustBefore = false
            lookupAnswered(.counts)
        }
        return refreshed
    }

    /// What a round of fresh counts brought (see `refresh`).
    package struct Refreshed: Sendable {
        package var mentions: [Mention] = []
        package var gone: [String] = []
        package var error: FeedError?
        package var threadsRead: [String] = []
        package var answers: [BrandReply] = []
    }

    /// The accounts that reshared a post since the last look, each with a time spread evenly
    /// over the interval since then (the APIs give accounts, not times), oldest first. Spends
    /// one call.
    /// - Returns: the new resharers, or nil when the API has no such endpoint or the budget is spent.
    package func resharers(of id: String, postedAt: Date?) async -> [ResharerSighting]? {
        guard let request = feed.resharersRequest(for: id) else { return nil }
        let now = clock()
        guard state.withLock({ $0.budget.spend(now: now) }) else { return nil }
        var outcome = PollOutcome(source: source.name, observedAt: now)
        var accounts: [Resharer]
        do throws(FeedError) {
            accounts = try feed.parseResharers(try await fetch(request, &outcome))
        } catch {
            lookupFailed(error, .resharers, asking: "the resharers of \(id)")
            return nil
        }
        lookupAnswered(.resharers)
        // Some APIs name the accounts without their followers (Bluesky's getRepostedBy); those
        // that cannot be looked up stay unknown, the resharers are still taken.
        let known = await followers(of: accounts.filter { $0.followers == nil }.map(\.account), &outcome)
        accounts = accounts.map { Resharer(account: $0.account, followers: $0.followers ?? known[$0.account]) }
        return state.withLock { state in
            let previous = state.resharers[id]
            let since = previous?.fetchedAt ?? postedAt ?? now
            // Every network lists the newest resharer first (Mastodon's reblogged_by by reblog
            // id, X's retweeted_by, Bluesky's getRepostedBy): the last listed reshared first.
            let new = accounts.reversed().filter { !(previous?.accounts.contains($0.account) ?? false) }
            state.resharers[id] = KnownResharers(accounts: (previous?.accounts ?? []).union(accounts.map(\.account)), fetchedAt: now)
            let span = max(0, now.timeIntervalSince(since))
            return new.enumerated().map { index, resharer in
                // Evenly over (since, now]: the i-th of n at since + span·(i+1)/n.
                ResharerSighting(postID: id, account: resharer.account, followers: resharer.followers,
                                 at: since.addingTimeInterval(span * Double(index + 1) / Double(new.count)))
            }
        }
    }

    /// The most calls one look-up of followers makes: the rest of the accounts stay unknown
    /// (the counts refresh and the resharers need the budget too).
    static let followersCalls = 2
    /// How long a follower count looked up is taken as it was.
    static let followersFresh: Double = 3600
    /// The most follower counts remembered; past it the memory starts again.
    static let followersRemembered = 20_000

    /// The follower counts of accounts an answer named without them: remembered for an hour,
    /// otherwise from the feed's `followersRequests`, as far as the call budget,
    /// `followersCalls` calls and the API's rate limit go. An account left over stays unknown,
    /// which the scorer takes for a typical account. A call that fails ends the look-up, and is
    /// counted and said as the followers' look-up's (not as what asked for it).
    private func followers(of accounts: [String], _ outcome: inout PollOutcome) async -> [String: Int] {
        let now = clock()
        var known: [String: Int] = [:]
        let asking = state.withLock { state in
            accounts.filter { account in
                guard let remembered = state.followersKnown[account], now.timeIntervalSince(remembered.at) < Self.followersFresh else { return true }
                known[account] = remembered.count
                return false
            }
        }
        guard !asking.isEmpty else { return known }
        for request in feed.followersRequests(for: asking).prefix(Self.followersCalls) {
            guard state.withLock({ $0.budget.spend(now: clock()) }) else { break }
            let found: [(String, Int)], response: HTTPResponse
            do throws(FeedError) {
                response = try await send(request, &outcome)
                if let failure = Self.statusError(response, now: clock()) { throw failure }
                found = try feed.parseFollowers(response.body).compactMap { account in account.followers.map { (account.account, $0) } }
            } catch {
                lookupFailed(error, .followers, asking: "the followers of \(asking.count == 1 ? asking[0] : "\(asking.count) accounts")")
                break
            }
            lookupAnswered(.followers)
            state.withLock { state in
                if state.followersKnown.count + found.count > Self.followersRemembered { state.followersKnown.removeAll(keepingCapacity: true) }
                for (account, count) in found { state.followersKnown[account] = (count, now) }
            }
            for (account, count) in found where known[account] == nil { known[account] = count }
            // Near the end of the API's window: the rest can wait for another poll.
            if let limit = RateLimit.from(response.headers, now: clock()), limit.pause(now: clock()) != nil { break }
        }
        return known
    }

    /// Authors named without their followers (Bluesky's search results) get them, where the
    /// feed can ask: those of `unseen`, filled in wherever they appear in `mentions`. A lookup
    /// that fails leaves them unknown: the mentions are not lost for it.
    private func completeAuthors(of mentions: inout [Mention], among unseen: [Mention], _ outcome: inout PollOutcome) async {
        var seen = Set<String>()
        let unknown = unseen.compactMap { $0.authorFollowers == nil ? $0.author : nil }.filter { seen.insert($0).inserted }
        let known = await followers(of: unknown, &outcome)
        guard !known.isEmpty else { return }
        for index in mentions.indices where mentions[index].authorFollowers == nil {
            mentions[index].authorFollowers = mentions[index].author.flatMap { known[$0] }
        }
    }

    /// Whether the brand's answers can be read from posts' threads: the source names the brand's
    /// accounts and its API has a thread to read.
    package var readsThreads: Bool { !source.brandAccounts.isEmpty && feed.repliesRequest(for: "0", thread: nil) != nil }

    /// What reading a post's thread gave.
    package enum ThreadRead: Sendable, Equatable {
        /// The brand's replies in it to the post or, below it, to its author (none, if it has not
        /// answered there).
        case read([BrandReply])
        /// The thread could not be read (a deleted post, a server error): counted, and said once a
        /// run; why, as logs may show it.
        case failed(String)
        /// Not asked: the call budget is spent for now, or the feed has no thread to read.
        case notNow
    }

    /// The brand's replies to a post, read from its thread where the mention stream does not
    /// carry them: to the post itself or, anywhere below it, to its author, as an answer to
    /// the customer's follow-up is one to the complaint (a reply to someone else in the thread
    /// is not; with the author not known, it is).
    /// - Parameters:
    ///   - id: the post.
    ///   - author: who wrote it, where this poller may not have seen it (after a restart).
    /// - Returns: what the thread read gave; it spends one call.
    package func brandReplies(to id: String, author: String? = nil) async -> ThreadRead {
        let post = state.withLock { $0.posts[id] }
        let thread = post?.thread
        let customer = post?.author ?? author
        // Just the brand's replies to the author, where the API can search for those.
        let answersOnly = customer.flatMap { feed.answersRequest(for: id, thread: thread, author: $0) }
        guard !source.brandAccounts.isEmpty, let request = answersOnly ?? feed.repliesRequest(for: id, thread: thread) else { return .notNow }
        guard state.withLock({ $0.budget.spend(now: clock()) }) else { return .notNow }
        var outcome = PollOutcome(source: source.name, observedAt: clock())
        do throws(FeedError) {
            let replies = try feed.parseReplies(try await fetch(request, &outcome))
            lookupAnswered(.thread)
            if answersOnly != nil {
                return .read(brandReplies(in: replies.map { reply in
                    var reply = reply
                    reply.replyTo = id
                    return reply
                }))
            }
            return .read(answers(to: id, by: author, in: replies))
        } catch {
            // Cut short by a stop: not asked, rather than unreadable.
            if Task.isCancelled { return .notNow }
            return .failed(lookupFailed(error, .thread, asking: "the replies to \(id)").message)
        }
    }

    /// The brand's answers to post `id` in a thread read: its replies to the post, and below it
    /// to the post's author (the customer's follow-up), each as an answer to the post.
    private func answers(to id: String, by author: String? = nil, in replies: [Mention]) -> [BrandReply] {
        let post = state.withLock { $0.posts[id] }
        let below = Self.below(id, in: replies, thread: post?.thread)
        let customer = (post?.author ?? author).map(feed.accountKey)
        var authors: [String: String] = [:]
        for reply in below { authors[reply.id] = reply.author.map(feed.accountKey) }
        let toCustomer = below.filter { reply in reply.replyTo == id || customer == nil || reply.replyTo.flatMap { authors[$0] } == customer }
        return brandReplies(in: toCustomer).map { reply in
            var reply = reply
            reply.postID = id
            return reply
        }
    }

    /// The replies in a thread read that are below post `id`, however deep: those whose chain
    /// of `replyTo` leads to it. One that names no parent is taken as a direct reply (an API
    /// that lists only a post's own replies), unless it is the thread's first post, which an
    /// X conversation lists and which is above the post, never below.
    static func below(_ id: String, in replies: [Mention], thread: String?) -> [Mention] {
        var children: [String: [Int]] = [:]
        for (index, reply) in replies.enumerated() where reply.id != id && reply.id != thread {
            children[reply.replyTo ?? id, default: []].append(index)
        }
        var found: [Int] = []
        var reached: Set<String> = [id]
        var queue = [id]
        while let parent = queue.popLast() {
            for index in children[parent] ?? [] where reached.insert(replies[index].id).inserted {
                found.append(index)
                queue.append(replies[index].id)
            }
        }
        return found.sorted().map { index in
            var reply = replies[index]
            reply.replyTo = reply.replyTo ?? id
            return reply
        }
    }

    /// Sends one request with the source's credentials and User-Agent, logging in again once if
    /// the token was refused.
    private func send(_ request: HTTPRequest, _ outcome: inout PollOutcome) async throws(FeedError) -> HTTPResponse {
        var request = request
        if let agent = source.userAgent { request.headers.set("User-Agent", agent) }
        for attempt in 0..<2 {
            try await credentials.authorize(&request, now: clock())
            outcome.requests += 1
            state.withLock { $0.stats.requests += 1 }
            let response: HTTPResponse
            do {
                response = try await client.send(request)
            } catch {
                throw FeedError(.transport, error.description)
            }
            let expired = response.status == 401 || (response.status == 400 && String(decoding: response.body.prefix(200), as: UTF8.self).contains("ExpiredToken"))
            if expired, credentials.needed, attempt == 0 {
                credentials.invalidate()
                continue
            }
            return response
        }
        throw FeedError(.authentication, "the API refused the credentials")
    }

    /// Sends a request and returns the body of a successful answer.
    /// - Throws: `FeedError` for a transport failure or an error status.
    private func fetch(_ request: HTTPRequest, _ outcome: inout PollOutcome) async throws(FeedError) -> Data {
        let response = try await send(request, &outcome)
        if let failure = Self.statusError(response, now: clock()) { throw failure }
        return response.body
    }

    /// An error for a response that is not a success, or nil.
    static func statusError(_ response: HTTPResponse, now: Date) -> FeedError? {
        switch response.status {
        case 200..<300, 304:
            return nil
        case 429:
            let wait = RateLimit.retryAfter(response.headers, now: now)
                ?? RateLimit.from(response.headers, now: now)?.resetAt.flatMap { RateLimit.wait($0.timeIntervalSince(now)) }
            return FeedError(.rateLimited, "rate limited (429)" + (wait.map { ", retry after \(Int($0.rounded(.up))) s" } ?? ""), status: 429, retryAfter: wait)
        case 401, 403:
            return FeedError(.authentication, "access refused (\(response.status))\(snippet(response))", status: response.status)
        default:
            let wait = response.status == 503 ? RateLimit.retryAfter(response.headers, now: now) : nil
            return FeedError(.httpStatus, "HTTP \(response.status)\(snippet(response))", status: response.status, retryAfter: wait)
        }
    }

    /// A few words of an error body, when it says something readable.
    private static func snippet(_ response: HTTPResponse) -> String {
        if let body = try? JSONValue.parse(response.body),
           let message = body["error_description"]?.text ?? body["message"]?.text ?? body["error"]?.text ?? body["detail"]?.text ?? body["title"]?.text {
            return ": " + String(message.prefix(120))
        }
        return ""
    }

    /// Text fit to log or keep: what a server said may quote the credentials it was sent.
    package func redact(_ text: String) -> String {
        redactor.merged(with: Redactor(secrets: credentials.tokens)).scrub(text)
    }

    /// A failure, of a poll or of a call that does not fail it (a later page, counts,
    /// resharers): counted in the source's errors (`status`'s ERRORS), and kept as its last one.
    /// - Returns: the error with its message as logs may show it (terminal-safe, secrets out).
    @discardableResult
    private func count(_ error: FeedError) -> FeedError {
        var error = error
        error.message = redact(SafeText.terminal(error.message))
        state.withLock { state in
            state.stats.errors += 1
            state.stats.lastError = error.message
            state.stats.lastErrorAt = clock()
        }
        return error
    }

    /// A look-up after the poll failed: counted, and kept to be said at the first of a run of
    /// its kind and every hundredth after (`lookupFailuresToSay`), since nothing else tells of
    /// it: the poll itself went well, and the source is not down.
    /// - Returns: the error, as logs may show it.
    @discardableResult
    private func lookupFailed(_ error: FeedError, _ lookup: Lookup, asking what: String) -> FeedError {
        // Cut short by a stop (SIGTERM, a reload): not the server's failure.
        guard !Task.isCancelled else { return error }
        let error = count(error)
        state.withLock { state in
            if state.lookups[lookup, default: FailureNotice()].failed() { state.lookupsToSay[lookup] = (what, error) }
        }
        return error
    }

    /// A look-up of this kind worked: a run of its failures ends (another kind's does not, or
    /// a thread that always fails beside counts that work would be said every poll).
    private func lookupAnswered(_ lookup: Lookup) {
        state.withLock { _ = $0.lookups[lookup]?.succeeded() }
    }

    /// The kinds of look-up after a poll, each with its own run of failures.
    enum Lookup: Hashable, CaseIterable { case counts, resharers, followers, thread }

    /// The look-up failures not said yet that are due, one per kind (see `lookupFailed`), in a
    /// fixed order; taking them clears them.
    /// - Returns: what was asked for, and the failure.
    package func lookupFailuresToSay() -> [(what: String, error: FeedError)] {
        state.withLock { state in
            defer { state.lookupsToSay = [:] }
            return Lookup.allCases.compactMap { state.lookupsToSay[$0] }
        }
    }

    /// Records a failed poll and decides when to try again: the server's word for 429 and 503,
    /// else exponential back-off with jitter.
    private func failed(_ outcome: PollOutcome, _ error: FeedError) -> PollOutcome {
        var outcome = outcome
        // Everything that reads a failure (logs, status, the source-down alert) reads it here:
        // counted, and its message made fit to show.
        let error = count(error)
        outcome.error = error
        let failures = state.withLock { state in
            state.failures += 1
            return state.failures
        }
        let backoff = min(Self.maxBackoff, max(source.interval, 5) * pow(2, Double(min(failures, 10) - 1))) * jitter()
        if let wait = error.retryAfter {
            outcome.nextPollAfter = max(wait, source.interval)
            outcome.notBefore = wait
        } else {
            outcome.nextPollAfter = failures == 1 ? source.interval : backoff
        }
        return outcome
    }
}

/// What one poll brought.
package struct PollOutcome: Sendable {
    package var source: String
    /// When the poll started: the time every observation in it is stamped with.
    package var observedAt: Date
    /// Mentions not seen before, in the order the API gave them.
    package var mentions: [Mention] = []
    /// Replies by the brand's accounts found among them.
    package var answers: [BrandReply] = []
    /// Why the poll failed, if it did; mentions are then empty.
    package var error: FeedError?
    /// The server said nothing changed (304).
    package var notModified = false
    /// More pages were waiting than one poll reads; the rest come next time (forward cursors)
    /// or were skipped (backward ones).
    package var truncated = false
    /// A page after the first failed: the poll took the pages before it. Set at the first
    /// such poll of a run and every hundredth after (what to say, not how often it happened).
    package var pageError: FeedError?
    /// What lay below the failed page may be missed, as with `truncated` (a lasting refusal of a
    /// page going back moved the cursor past it); else the next poll asks for it again.
    package var pageErrorMissesRest = false
    /// New mentions past the source's `max_items_per_poll`, left out (and counted as seen, so
    /// the journal keeps their ids too: a restart must not take them as new).
    package var skippedIDs: [String] = []
    /// Mentions seen before that the answer named again, with their counts as it gave them:
    /// for an API with no other way to ask (a JSON feed), how a post's counts move.
    package var recounted: [Mention] = []
    /// Items the answer listed that could not be read as posts (`MentionPage.unreadable`), set
    /// on the first poll that has them and every hundredth in a row after (0 on the others):
    /// what to say, not how often it happened.
    package var unreadable = 0
    /// Fields of the mapping that held values they cannot be (`MentionPage.misread`), said as
    /// `unreadable` is.
    package var misread: [String: MentionPage.Misread] = [:]
    /// The cursor stepped back to an older post because the newest one vanished.
    package var cursorFellBack = false
    /// The API refused the cursor, so this poll started again from the latest page.
    package var cursorRefused = false
    /// HTTP requests made.
    package var requests = 0
    /// Seconds until this source should be polled again.
    package var nextPollAfter: Double = 60
    /// Seconds the server asked to be left alone (Retry-After, a rate limit's reset): the
    /// scheduler's jitter may come after this wait, never bring the next poll before it.
    package var notBefore: Double?

    package init(source: String, observedAt: Date, nextPollAfter: Double = 60) {
        self.source = source
        self.observedAt = observedAt
        self.nextPollAfter = nextPollAfter
    }
}

/// A reply by one of the brand's accounts to a post.
package struct BrandReply: Sendable, Equatable {
    package var postID: String
    package var replyID: String
    package var by: String
    package var at: Date
}

/// The accounts known to have reshared a post, and when its resharers were last fetched (nil:
/// never, only seen resharing it).
package struct KnownResharers: Sendable, Equatable {
    package var accounts: Set<String> = []
    package var fetchedAt: Date?

    package init(accounts: Set<String> = [], fetchedAt: Date? = nil) {
        self.accounts = accounts
        self.fetchedAt = fetchedAt
    }

    /// Takes in more accounts known to have reshared the post, and the later fetch time.
    package mutating func add(_ more: some Sequence<String>, fetchedAt at: Date?) {
        accounts.formUnion(more)
        if let at { fetchedAt = max(fetchedAt ?? at, at) }
    }
}

/// What a thread read needs of a post seen: who wrote it, and the thread it goes under.
struct PostRef: Sendable {
    var author: String?
    var thread: String?
}

/// An account seen resharing a post, with the time assigned to it.
package struct ResharerSighting: Sendable, Equatable {
    package var postID: String
    package var account: String
    package var followers: Int?
    package var at: Date
}

/// A source's counters, for `status` and metrics.
package struct FeedStats: Sendable, Equatable {
    package var polls = 0
    package var requests = 0
    package var mentions = 0
    package var errors = 0
    /// The last failure of any call (a poll, a later page, a look-up), and when.
    package var lastError: String?
    package var lastErrorAt: Date?
    package var lastSuccess: Date?
}
