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
            WatchService.reminder(of: $0, firing: [(key: held.key, isVolume: false, alert: now)], sourcesDown: ["toots"], features: [:], at: 500).told
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
        let matcher = WatchService.routing([hot, warm, mail])
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
            return WatchService.reminder(of: held, firing: [(key: key, isVolume: false, alert: now)], sourcesDown: [], features: [key: f], at: 61, matcher: matcher).told?.sinks
        }
        #expect(try remind(reshares: 10) == ["slack"], "only warm holds: not the pager hot routes to")
        #expect(try remind(reshares: 30) == ["pager", "slack"], "both hold")
        #expect(try remind(reshares: 10, held: ["pager"]) == nil, "warm sends not to the pager")
        #expect(try remind(reshares: 2) == ["pager", "slack"], "none holds: in its grace, to all it owes")
        // Owed to a sink no rule holding sends to: kept for when one does, not forgotten.
        var onlyPager = NotifierFixtures.note("7")
        onlyPager.sinks = ["pager"]
        let engine = ScoringEngine(config: scoringConfig([]), shards: 1)
        _ = engine.ingest([.post(key: onlyPager.key, time: 0, createdAt: 0, author: "dana", followers: 300, text: nil, url: nil),
                           .counts(key: onlyPager.key, time: 60, reshares: 10, replies: nil, likes: nil, quotes: nil)])
        let f = try #require(engine.features(onlyPager.key, at: 61))
        let warmNow = AlertLifecycle.Firing(severity: .warning, rule: "warm", sinks: [], since: 0, lastNotified: 0, lastHeld: 61)
        let later = WatchService.reminder(of: onlyPager, firing: [(key: onlyPager.key, isVolume: false, alert: warmNow)], sourcesDown: [],
                                          features: [onlyPager.key: f], at: 61, matcher: matcher)
        guard case .later = later else { Issue.record("\(later)"); return }
        // A rule's volume conditions are the source's: they do not keep its sinks from a post's reminder.
        var spike = rule("spike", .critical) { $0.minReshares = 5; $0.volumeSpikeRatioAtLeast = 3 }
        spike.sinks = ["pager"]
        let withSpike = WatchService.routing([warm, spike])
        #expect(WatchService.reminder(of: onlyPager, firing: [(key: onlyPager.key, isVolume: false, alert: warmNow)], sourcesDown: [],
                                      features: [onlyPager.key: f], at: 61, matcher: withSpike).told?.sinks == ["pager"])
        // A volume alert's goes to what its rule sends to.
        var volume = AlertNotification(.volume(source: "m", ratio: 4, z: 5), time: 0, rule: "vc", severity: .critical, reason: .started, sinks: ["pager", "slack"])
        volume.firedAt = 0
        var vw = rule("vw", .warning) { $0.volumeSpikeRatioAtLeast = 2 }
        vw.sinks = ["slack"]
        let volumeNow = AlertLifecycle.Firing(severity: .warning, rule: "vw", sinks: [], since: 0, lastNotified: 0, lastHeld: 61)
        #expect(WatchService.reminder(of: volume, firing: [(key: volume.key, isVolume: true, alert: volumeNow)], sourcesDown: [], features: [:], at: 61,
                                      matcher: WatchService.routing([vw])).told?.sinks == ["slack"])
    }
}
