import Foundation
import Testing
@testable import ForeshockConfig
@testable import ForeshockCore
@testable import ForeshockService
@testable import ForeshockTestSupport

@Suite("Reminders when a silence ends")
struct SilenceReminderTests {
    @Test("A silence that ends reminds of the alerts still firing under the rule and severity they have now, not the ones held back; the rest are dropped")
    func remindersTakeTheAlertAsItIsNow() {
        var held = NotifierFixtures.note("7") // critical going-viral, held back by the silence
        held.rule = "young"
        let gone = NotifierFixtures.note("8")
        let down = AlertNotification(.sourceDown(source: "toots", since: 0, message: "HTTP 503"), time: 0, rule: "source-down", severity: .critical, reason: .started, sinks: [])
        let back = AlertNotification(.sourceDown(source: "hn", since: 0, message: "HTTP 503"), time: 0, rule: "source-down", severity: .critical, reason: .started, sinks: [])
        // Since the silence began, 7 was de-escalated to a warning rule.
        let now = AlertLifecycle.Firing(severity: .warning, rule: "big", sinks: [], since: 0, lastNotified: 100, lastHeld: 100)
        let reminders = [held, gone, down, back].compactMap {
            WatchService.reminder(of: $0, firing: [(key: held.key, isVolume: false, alert: now)], sourcesDown: ["toots"], features: [:], at: 500)
        }
        #expect(reminders.map { "\($0.alertKey) \($0.rule) \($0.severity) \($0.reason) \($0.time)" }
                == ["mastodon:7 big warning repeated 500.0", "foreshock:source-down/toots source-down critical repeated 500.0"],
                "\(reminders.map { "\($0.alertKey) \($0.rule) \($0.severity) \($0.reason) \($0.time)" })")
    }

    @Test("The reminder goes to the sinks the silence held it back from that the rules holding now send to; to none of them, it is not sent; with none holding, to all")
    func remindersFollowTheRulesNow() throws {
        var hot = rule("hot", .critical) { $0.minReshares = 20 }
        hot.sinks = ["pager", "slack"]
        var warm = rule("warm", .warning) { $0.minReshares = 5 }
        warm.sinks = ["slack"]
        var mail = rule("mail", .warning) { $0.minReshares = 5 }
        mail.sinks = ["mail"]
        mail.sources = ["elsewhere"]
        let matcher = RuleMatcher(rules: [hot, warm, mail])
        let key = PostKey(source: "m", id: "7")
        func remind(reshares: Int, held sinks: [String] = ["pager", "slack"]) throws -> [String]? {
            let engine = ScoringEngine(config: scoringConfig([]), shards: 1)
            _ = engine.ingest([.post(key: key, time: 0, createdAt: 0, author: "dana", followers: 300, text: nil, url: nil),
                               .counts(key: key, time: 60, reshares: reshares, replies: nil, likes: nil, quotes: nil)])
            let f = try #require(engine.features(key, at: 61))
            var held = NotifierFixtures.note("7")
            held.subject = .post(key, held.post!)
            held.sinks = sinks
            let now = AlertLifecycle.Firing(severity: .warning, rule: "warm", sinks: [], since: 0, lastNotified: 0, lastHeld: 61)
            return WatchService.reminder(of: held, firing: [(key: key, isVolume: false, alert: now)], sourcesDown: [], features: [key: f], at: 61, matcher: matcher)?.sinks
        }
        #expect(try remind(reshares: 10) == ["slack"], "only warm holds: not the pager hot routes to")
        #expect(try remind(reshares: 30) == ["pager", "slack"], "both hold")
        #expect(try remind(reshares: 10, held: ["pager"]) == nil, "warm sends not to the pager")
        #expect(try remind(reshares: 2) == ["pager", "slack"], "none holds: in its grace, to all it owes")
    }
}
