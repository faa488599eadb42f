import Foundation
import Testing
@testable import ForeshockCLI
@testable import ForeshockService
@testable import ForeshockSupport

/// What `foreshock status` says of a source and an alert, from the status the watch wrote.
@Suite("status: what the tables say")
struct StatusRenderTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static func at(_ secondsAgo: Double) -> String { Timestamp.format(now.addingTimeInterval(-secondsAgo)) }

    static func status(sources: [WatchStatus.Source], alerts: [WatchStatus.Alert] = [], outbox: [WatchStatus.OutboxEntry] = []) -> WatchStatus {
        WatchStatus(writtenAt: at(5), pid: 1, startedAt: at(7200), running: true, sources: sources, hottest: [], alerts: alerts, outbox: outbox, delivered: [:], dead: [:])
    }

    static func source(_ name: String, lastError: String? = nil, problem: String? = nil, problemAgo: Double = 0) -> WatchStatus.Source {
        WatchStatus.Source(name: name, kind: "hackernews", lastPoll: at(10), lastSuccess: at(10), lastError: lastError, downSince: nil,
                           lastProblem: problem, lastProblemAt: problem == nil ? nil : at(problemAgo), polls: 10, errors: problem == nil ? 0 : 1, mentions: 3)
    }

    static func line(_ text: String, starting prefix: String) -> String? {
        text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.first { $0.hasPrefix(prefix) }
    }

    @Test("A post's replies read as last polled, with what they were when first seen, not a bare 'from'")
    func repliesColumn() {
        func sample(_ replies: Int?) -> WatchStatus.Counters { WatchStatus.Counters(time: "t", reshares: nil, replies: replies, likes: nil, quotes: nil) }
        #expect(StatusCommand.replies([sample(0), sample(nil), sample(189)]) == "189 (0 when first seen)")
        #expect(StatusCommand.replies([sample(4), sample(4)]) == "4")
        #expect(StatusCommand.replies([]) == "-" && StatusCommand.replies(nil) == "-")
    }

    @Test("A source that is up shows a failure of the last hour (a look-up, a later page) beside its ok; an older one, or none, is just ok; a failing poll says failing")
    func sourceState() {
        let text = StatusCommand.render(Self.status(sources: [
            Self.source("recent", problem: "HTTP 500", problemAgo: 180),
            Self.source("older", problem: "HTTP 500", problemAgo: 7200),
            Self.source("clean"),
            Self.source("down", lastError: "HTTP 503", problem: "HTTP 503", problemAgo: 10),
        ]), alive: true, silences: [], deadLetters: nil, now: Self.now)
        #expect(Self.line(text, starting: "recent ")?.hasSuffix("ok; failed 3m ago: HTTP 500") == true, "\(text)")
        #expect(Self.line(text, starting: "older ")?.hasSuffix(" ok") == true, "\(text)")
        #expect(Self.line(text, starting: "clean ")?.hasSuffix(" ok") == true, "\(text)")
        #expect(Self.line(text, starting: "down ")?.hasSuffix("failing: HTTP 503") == true, "\(text)")
    }

    @Test("An alert whose message waits in the outbox (a receiver refusing it) says so, not sent")
    func alertWaiting() {
        let alert = { (key: String) in WatchStatus.Alert(key: key, rule: "big", severity: "critical", since: Self.at(60), lastNotified: Self.at(60), silencedBy: nil) }
        let text = StatusCommand.render(Self.status(sources: [], alerts: [alert("feed:a"), alert("feed:b")],
                                                    outbox: [WatchStatus.OutboxEntry(sink: "hook", id: "msg_1", alerts: ["feed:a"], queuedAt: Self.at(60))]),
                                        alive: true, silences: [], deadLetters: nil, now: Self.now)
        #expect(Self.line(text, starting: "critical  big")?.contains("feed:a  waiting in the outbox for hook") == true, "\(text)")
        #expect(text.split(separator: "\n").contains { $0.contains("feed:b") && $0.hasSuffix("sent") }, "\(text)")
    }

    @Test("An alert whose last message a sink gave up on says so, not sent, and the dead letters since start are counted, from the state directory or a watch's API alike")
    func alertGivenUp() {
        let alert = { (key: String) in WatchStatus.Alert(key: key, rule: "big", severity: "critical", since: Self.at(60), lastNotified: Self.at(60), silencedBy: nil) }
        var status = Self.status(sources: [], alerts: [alert("feed:a"), alert("feed:b")])
        status.dead = ["hook": 1, "mail": 0]
        status.givenUp = ["hook": ["feed:a"]]
        let text = StatusCommand.render(status, alive: true, silences: [], deadLetters: nil, now: Self.now)
        #expect(Self.line(text, starting: "critical  big")?.hasSuffix("feed:a  GIVEN UP by hook (a dead letter)") == true, "\(text)")
        #expect(text.split(separator: "\n").contains { $0.contains("feed:b") && $0.hasSuffix("sent") }, "\(text)")
        #expect(text.contains("Given up since start (dead letters): hook 1\n"), "\(text)")
    }
}
