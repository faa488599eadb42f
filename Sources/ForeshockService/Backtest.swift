import ForeshockConfig
import ForeshockCore
import ForeshockSupport
import Foundation

/// What became of each post by the end of a recording: the outcome a replay's alerts are
/// judged against. It comes from the recording itself (the reshares each post reached, and
/// when it reached the target), so it needs no labels and works on anyone's own traffic.
package struct PostOutcomes: Sendable {
    package struct Post: Sendable, PostKeyed {
        package var key: PostKey
        /// When the recording first mentioned it, and when it was posted (if a post line said).
        package var firstSeen: Double
        package var createdAt: Double?
        package var author: String?
        package var followers: Double?
        /// The post's text, cut to 500 characters: a post is hostile input, and a 100 KB one
        /// need not be carried whole into a report.
        package var text: String?
        package var url: String?
        /// Reshares by the end of the recording: the largest counter polled, or the reshares
        /// counted one by one where they are more.
        package var reshares = 0
        /// The reshare lines: never added to the counter, since a list of resharers fetched at
        /// 20 lists 20 the counter counts already.
        var listed = 0
        /// When it reached the target, if it did, and when the recording last had news of it.
        package var reachedTarget: Double?
        package var lastSeen: Double
        /// First seen in lines carried into a file's start (a rotation, a restart:
        /// `RecordingFile`): how fast it grew before is not in the recording.
        package var carriedIn = false
        /// Whether a line of its own (not carried) has come: carried lines after one repeat it.
        var heardFirsthand = false
        /// At or past the target when the recording first had news of it (a recording that
        /// starts mid-cascade): no alert could have come before, so it is not counted either way.
        package var seenPastTarget = false

        package init(key: PostKey, firstSeen: Double, createdAt: Double? = nil, author: String? = nil, followers: Double? = nil,
                     text: String? = nil, url: String? = nil, reshares: Int = 0, reachedTarget: Double? = nil, lastSeen: Double? = nil) {
            self.key = key
            self.firstSeen = firstSeen
            self.createdAt = createdAt
            self.author = author
            self.followers = followers
            self.text = text
            self.url = url
            self.reshares = reshares
            self.reachedTarget = reachedTarget
            self.lastSeen = lastSeen ?? firstSeen
        }
    }

    /// The size that matters: "how long before it got there did it fire".
    package let target: Int
    /// By key, in the order first seen: every line of a recording is looked up here, and the
    /// table probes on the key's one-word hash where a `Dictionary` would SipHash both strings.
    private var table = KeyedTable<Post>()
    /// The recording's first and last time.
    package private(set) var start: Double?
    package private(set) var end: Double?

    package init(target: Int) {
        self.target = target
    }

    /// Outcomes known already (an evaluation's cascades).
    package init(target: Int, posts: [Post], start: Double, end: Double) {
        self.target = target
        for post in posts where table.slot(of: post.key, hash: post.key.stableHash) == nil {
            _ = table.insert(post, hash: post.key.stableHash)
        }
        self.start = start
        self.end = end
    }

    /// Takes one observation, in the order the watch learned of them.
    /// - Parameters:
    ///   - seen: when it did (its time when nil): the recording's start and end are the
    ///     watch's, not those of a reshare or an answer dated before it began.
    ///   - carried: a line carried into a file's start (`RecordingFile`): taken only for a post
    ///     not known yet (files replayed alone), since it repeats what the file before holds;
    ///     not part of the recording's span.
    /// - Returns: whether it was taken.
    @discardableResult
    package mutating func add(_ observation: Observation, seen: Double? = nil, carried: Bool = false) -> Bool {
        let time = observation.time, clock = max(seen ?? time, time)
        // The recording's own span: carried lines replay the time before it (`RecordingDecoder`).
        if !carried {
            if start == nil { start = clock }
            end = max(end ?? clock, clock)
        }
        // One lookup, the post changed in place: every line of a recording passes here.
        let key = observation.key, hash = key.stableHash
        if let slot = table.slot(of: key, hash: hash) {
            // A carried block's own lines are taken together; carried again later, they repeat.
            guard !carried || !table[slot].heardFirsthand else { return false }
            Self.update(&table[slot], with: observation, target: target, carried: carried)
        } else {
            var post = Post(key: key, firstSeen: time)
            post.carriedIn = carried
            Self.update(&post, with: observation, target: target, carried: carried)
            _ = table.insert(post, hash: hash)
        }
        return true
    }

    /// Whether a post counts for the target: it reached it while the recording watched.
    package func reachedWhileWatched(_ post: Post) -> Bool {
        post.reachedTarget != nil && !post.seenPastTarget
    }

    private static func update(_ post: inout Post, with observation: Observation, target: Int, carried: Bool) {
        let time = observation.time
        if !carried { post.heardFirsthand = true }
        // A line dated before those ahead of it (an answer, a post line carried into a rotated file).
        post.lastSeen = max(post.lastSeen, time)
        switch observation {
        case .post(_, _, let createdAt, let author, let followers, let text, let url):
            post.createdAt = createdAt
            post.author = author
            post.followers = followers
            post.text = text.map { SafeText.cut($0, 500) }
            post.url = url
            return
        case .reshare:
            post.listed += 1
            post.reshares = max(post.reshares, post.listed)
        case .counts(_, _, let polled?, _, _, _):
            post.reshares = max(post.reshares, polled)
        default:
            return
        }
        if post.reachedTarget == nil, post.reshares >= target {
            post.reachedTarget = time
            // Or past it in a counter carried in: no alert in this recording could have come before.
            post.seenPastTarget = time == post.firstSeen || carried
        }
    }

    package subscript(key: PostKey) -> Post? { table.slot(of: key, hash: key.stableHash).map { table[$0] } }

    /// Every post, in the order the recording first mentioned them.
    package var posts: LazyMapSequence<Range<Int>, Post> {
        let table = self.table
        return table.slots.lazy.map { table[$0] }
    }

    /// Seconds from the recording's first observation to its last (0 for none or one).
    package var span: Double { max(0, (end ?? 0) - (start ?? 0)) }
    /// Days the recording spans (at least a minute's worth, so a rate is never infinite).
    package var days: Double { max(60, span) / 86400 }
    /// The shortest recording a rate a day is given for: a page in a two-line recording is not
    /// 1,440 a day.
    package static let shortestForRate: Double = 3600
}

/// A replay's notifications against what became of the posts: per rule, how many pages, how
/// early for the posts that reached the target, how many for posts that stayed small. What
/// `replay`'s summary, `--report` and `--sweep` print.
package struct Backtest: Sendable {
    /// One notification, as much of it as the figures need.
    package struct Note: Sendable {
        package var key: PostKey
        package var rule: String
        package var severity: Severity
        package var reason: AlertNotification.Reason
        package var time: Double
        package var reshares: Int
        package var isPost: Bool

        package init(_ note: AlertNotification) {
            self.init(key: note.key, rule: note.rule, severity: note.severity, reason: note.reason, time: note.time, reshares: note.reshares,
                      isPost: note.post != nil)
        }

        package init(key: PostKey, rule: String, severity: Severity, reason: AlertNotification.Reason, time: Double, reshares: Int, isPost: Bool = true) {
            self.key = key
            self.rule = rule
            self.severity = severity
            self.reason = reason
            self.time = time
            self.reshares = reshares
            self.isPost = isPost
        }

        /// Started, escalated, de-escalated or repeated: what someone on call receives (resolutions are not pages).
        package var pages: Bool { reason != .resolved }
    }

    /// One post a rule alerted on.
    package struct Alerted: Sendable {
        package var key: PostKey
        /// When the rule first notified about it, and the reshares then.
        package var time: Double
        package var reshares: Int
        /// Reshares by the end of the recording.
        package var final: Int
        /// Seconds from the alert to the post reaching the target: negative when it came after.
        package var lead: Double?
    }

    /// A rule's figures over the recording.
    package struct Figures: Sendable {
        package var rules: [String]
        /// Every notification naming the rule, and those that page (not resolutions).
        package var notifications = 0
        package var pages = 0
        /// Nil when the recording is too short to tell (`PostOutcomes.shortestForRate`).
        package var pagesPerDay: Double?
        /// The posts it alerted on, in the order of their first alert.
        package var alerted: [Alerted] = []
        /// Posts in the recording that reached the target, and those it alerted on before they did.
        package var reachedTarget = 0
        package var caughtBefore = 0
        package var medianLead: Double?
        package var medianResharesAtAlert: Double?
        /// Alerted posts that ended under a tenth of the target.
        package var stayedSmall = 0
    }

    package var outcomes: PostOutcomes
    package var notes: [Note]
    package var observations = 0
    package var malformed = 0
    /// The sources the rules about the brand's answer were off for (`Config.answersUnseen`):
    /// their posts do not count for those rules' figures.
    package var answersUnseen: Set<String> = []

    package init(outcomes: PostOutcomes, notes: [Note], observations: Int = 0, malformed: Int = 0, answersUnseen: Set<String> = []) {
        self.outcomes = outcomes
        self.notes = notes
        self.observations = observations
        self.malformed = malformed
        self.answersUnseen = answersUnseen
    }

    package var target: Int { outcomes.target }
    /// Posts the recording had a `post` line for (reshares seen of posts it never showed are
    /// counted among their outcomes, not here).
    package var posts: Int { outcomes.posts.reduce(0) { $0 + ($1.createdAt == nil ? 0 : 1) } }
    /// Posts with reshares in the recording but no `post` line (scored all the same, from their
    /// first reshare): said beside `posts`, not dropped without a word.
    package var postsWithoutLine: Int { outcomes.posts.reduce(0) { $0 + ($1.createdAt == nil && $1.reshares > 0 ? 1 : 0) } }
    /// Posts that began before the recording (`Post.carriedIn`, with a post line: one of
    /// `posts`): said beside `posts`, since a
    /// rule on how fast they grow sees them only from the recording's start.
    package var postsCarriedIn: Int { outcomes.posts.reduce(0) { $0 + ($1.carriedIn && $1.createdAt != nil ? 1 : 0) } }

    /// The figures of one rule, or of several taken together (a sweep of two rules' conditions).
    /// The posts that count for the target are those the rules apply to (their `sources`, less
    /// `answersUnseen` for a rule about the brand's answer) that reached it while the recording
    /// watched; an alert is early when it came while the post was still under the target.
    package func figures(_ rules: [RuleConfig]) -> Figures {
        let names = rules.map(\.name)
        var figures = Figures(rules: names)
        var first = Set<PostKey>()
        for note in notes where names.contains(note.rule) {
            figures.notifications += 1
            // Pages in the recording's own span (not those its carried lines replay), which the
            // rate a day divides by.
            if note.pages, note.time >= outcomes.start ?? -.infinity { figures.pages += 1 }
            guard note.isPost, note.reason == .started || note.reason == .escalated, first.insert(note.key).inserted else { continue }
            let outcome = outcomes[note.key]
            let counted = outcome.map(outcomes.reachedWhileWatched) ?? false
            figures.alerted.append(Alerted(key: note.key, time: note.time, reshares: note.reshares, final: max(outcome?.reshares ?? 0, note.reshares),
                                           lead: counted ? outcome?.reachedTarget.map { $0 - note.time } : nil))
        }
        figures.pagesPerDay = outcomes.span >= PostOutcomes.shortestForRate ? Double(figures.pages) / outcomes.days : nil
        func applies(_ rule: RuleConfig, _ source: String) -> Bool {
            (rule.sources?.contains(source) ?? true) && !(rule.when.readsAnswer && answersUnseen.contains(source))
        }
        figures.reachedTarget = outcomes.posts.reduce(0) { count, post in
            count + (outcomes.reachedWhileWatched(post) && rules.contains { applies($0, post.key.source) } ? 1 : 0)
        }
        let caught = figures.alerted.filter { ($0.lead ?? -1) >= 0 && $0.reshares < target }
        figures.caughtBefore = caught.count
        figures.medianLead = Self.median(caught.compactMap(\.lead))
        figures.medianResharesAtAlert = Self.median(figures.alerted.map { Double($0.reshares) })
        figures.stayedSmall = figures.alerted.filter { $0.final * 10 < target }.count
        return figures
    }

    /// Posts in the recording that reached the target while it watched.
    package var reachedTarget: Int { outcomes.posts.reduce(0) { $0 + (outcomes.reachedWhileWatched($1) ? 1 : 0) } }

    /// The posts that alerted under no rule at all, largest first.
    package func largestNotAlerted(_ count: Int) -> [PostOutcomes.Post] {
        let alerted = Set(notes.filter(\.isPost).map(\.key))
        return outcomes.posts.filter { !alerted.contains($0.key) && $0.reshares > 0 }
            .sorted { ($0.reshares, $1.key) > ($1.reshares, $0.key) }.prefix(count).map { $0 }
    }

    /// The middle value, or of an even count the mean of the middle two: what `eval` and
    /// `replay` both print (the upper one made {5, 16} read 16).
    package static func median(_ values: [Double]) -> Double? {
        let sorted = values.sorted(), n = sorted.count
        guard n > 0 else { return nil }
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
    }
}
