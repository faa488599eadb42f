import ForeshockCore
import ForeshockSupport
import Foundation

/// What `foreshock status` shows, as the watch process writes it to `status.json` in the state
/// directory every 15 seconds and when it stops.
package struct WatchStatus: Codable, Sendable {
    package struct Source: Codable, Sendable {
        package var name: String
        package var kind: String
        package var lastPoll: String?
        package var lastSuccess: String?
        /// Why the last poll failed; nil once one works.
        package var lastError: String?
        package var downSince: String?
        /// The last failure of any call (a later page, a look-up after the poll, a poll), and
        /// when: a source can be up while its counts fail.
        package var lastProblem: String? = nil
        package var lastProblemAt: String? = nil
        package var polls: Int
        package var errors: Int
        package var mentions: Int

        /// The source's last failure if it is up and the failure came within the last hour, and
        /// how long ago: what an "ok" should not hide.
        package func recentProblem(now: Date) -> (message: String, secondsAgo: Double)? {
            guard downSince == nil, lastError == nil, let lastProblem, let at = lastProblemAt.flatMap(Timestamp.parse) else { return nil }
            let ago = max(0, now.timeIntervalSince(at))
            return ago <= WatchStatus.problemShownFor ? (lastProblem, ago) : nil
        }
    }

    /// How long a failure of a source that is up is still shown beside its "ok".
    package static let problemShownFor: Double = 3600

    package struct Post: Codable, Sendable {
        package var source: String
        package var id: String
        package var author: String?
        package var url: String?
        package var text: String?
        package var ageSeconds: Double
        package var mode: String
        package var reshares: Int
        package var velocityPerMin: Double
        package var reach: Double
        /// Of the reshares, those counted in `reach` at an assumed audience (optional: a watch
        /// before it wrote none).
        package var reachAssumed: Int?
        package var predicted: Double?
        package var supercritical: Bool
        package var complaint: Bool
        package var answered: Bool
        /// The polled counters over time, oldest first (none when the API gives no counters).
        package var counters: [Counters]? = nil
    }

    package struct Counters: Codable, Sendable {
        package var time: String
        package var reshares: Int?
        package var replies: Int?
        package var likes: Int?
        package var quotes: Int?
    }

    package struct Alert: Codable, Sendable {
        package var key: String
        package var rule: String
        package var severity: String
        package var since: String
        package var lastNotified: String
        /// Why its notifications are held, when a silence matches.
        package var silencedBy: String?
        /// The severity each sink was last told the alert fires at (from the notification
        /// log); a sink never told, or told it resolved, is not in it (nil: a watch before it).
        package var sentTo: [String: String]? = nil
        /// What receivers were told, in words: `status`'s and the live page's last column.
        package var notifications: String? = nil
        /// For an alert about a post: the post and its numbers now, and why the prediction is high.
        package var source: String? = nil
        package var post: String? = nil
        package var author: String? = nil
        package var text: String? = nil
        package var url: String? = nil
        package var reshares: Int? = nil
        package var predicted: Double? = nil
        package var why: String? = nil
        /// What `POST /api/v1/silences` takes to hold back exactly this alert.
        package var silenceMatchers: [String]? = nil
    }

    package struct OutboxEntry: Codable, Sendable {
        package var sink: String
        package var id: String
        package var alerts: [String]
        package var queuedAt: String
    }

    package var writtenAt: String
    package var pid: Int32
    package var startedAt: String
    package var running: Bool
    package var sources: [Source]
    /// The names of the rules in effect, so that `silence add` can check a name against the
    /// watch that runs (nil in a file written before they were kept).
    package var rules: [String]? = nil
    package var hottest: [Post]
    package var alerts: [Alert]
    package var outbox: [OutboxEntry]
    package var delivered: [String: Int]
    package var dead: [String: Int]
    /// Per sink, the alerts whose last message to it was given up (optional: a watch before it
    /// wrote none).
    package var givenUp: [String: [String]]?

    package static func path(stateDir: String) -> String { (stateDir as NSString).appendingPathComponent("status.json") }

    /// As `status.json` and `GET /api/v1/status` give it: snake_case keys, sorted.
    package var json: Data {
        do {
            return try JSONText.encoder(pretty: true).encode(self)
        } catch {
            // Only a bug gets here (every figure encodes); say which rather than write nothing.
            return Data("{\"error\":\(JSONText.quote("status could not be written as JSON: \(error)"))}".utf8)
        }
    }

    package static func read(stateDir: String) throws -> WatchStatus {
        try decode(Data(contentsOf: URL(fileURLWithPath: path(stateDir: stateDir))))
    }

    /// Reads `json` back (from the file, or from a remote watch's API).
    package static func decode(_ data: Data) throws -> WatchStatus {
        try JSONText.decoder().decode(WatchStatus.self, from: data)
    }
}

extension WatchStatus.Alert {
    /// What receivers were told of an alert, as `status` and the live page say it: which sinks
    /// have it (at another severity, if they were told one), which wait for it in the outbox
    /// or gave it up, and which were not told, with the silence that holds it back. Says what
    /// the notification log knows: a page delivered before a silence began is not "held".
    /// - Parameters:
    ///   - severity: the alert's severity now.
    ///   - sinks: the sinks the alert is routed to.
    ///   - told: `sentTo`.
    ///   - grouping: sinks whose group window holds a notification about it.
    ///   - waiting: sinks with a message about it in the outbox.
    ///   - givenUp: sinks whose last message about it was given up.
    package static func notifications(severity: String, sinks: [String], told: [String: String], grouping: Set<String> = [], waiting: Set<String>,
                                      givenUp: Set<String>, silencedBy: String?) -> String {
        var parts: [String] = []
        // A sink with a message in the outbox and another in its window is said once, as waiting.
        let window = grouping.subtracting(waiting), unsettled = waiting.union(grouping).union(givenUp)
        let sent = told.keys.filter { !unsettled.contains($0) }.sorted()
        if !sent.isEmpty { parts.append("sent to " + sent.map { told[$0] == severity ? $0 : "\($0) (as \(told[$0] ?? "?"))" }.joined(separator: ", ")) }
        if !window.isEmpty { parts.append("held in the group window for " + window.sorted().joined(separator: ", ")) }
        if !waiting.isEmpty { parts.append("waiting in the outbox for " + waiting.sorted().joined(separator: ", ")) }
        if !givenUp.isEmpty { parts.append("GIVEN UP by \(givenUp.sorted().joined(separator: ", ")) (a dead letter)") }
        let untold = sinks.filter { told[$0] == nil && !unsettled.contains($0) }
        if let silencedBy {
            if parts.isEmpty {
                parts.append("held by \(silencedBy)")
            } else {
                parts.append((untold.isEmpty ? "" : "held from \(untold.joined(separator: ", ")) by \(silencedBy), and ") + "what follows held by \(silencedBy)")
            }
        } else if !untold.isEmpty {
            parts.append("not sent to " + untold.joined(separator: ", "))
        }
        return parts.isEmpty ? "no sink configured" : parts.joined(separator: "; ")
    }
}

extension WatchStatus.Post {
    /// A post as `status` and the web page show it.
    package init(_ f: PostFeatures) {
        self.init(source: f.key.source, id: f.key.id, author: f.author.map { SafeText.clean($0, keepLineBreaks: false) }, url: f.url, text: f.excerpt.map { SafeText.cut(SafeText.clean($0, keepLineBreaks: false), 140) },
                  ageSeconds: f.age.rounded(), mode: f.mode.rawValue, reshares: f.reshares, velocityPerMin: (f.velocityShort * 10).rounded() / 10,
                  reach: f.reach, reachAssumed: f.reachAssumed, predicted: f.predicted.map { $0.rounded() }, supercritical: f.supercritical, complaint: f.complaint,
                  answered: f.unansweredFor == nil && f.answerWatched,
                  counters: f.counters.samples.isEmpty ? nil : f.counters.samples.map {
                      WatchStatus.Counters(time: Timestamp.format(Date(timeIntervalSince1970: $0.time)), reshares: $0.reshares,
                                           replies: $0.replies, likes: $0.likes, quotes: $0.quotes)
                  })
    }
}
