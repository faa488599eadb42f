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

    @Test("The reminder goes to the sinks the silence held it back from that the alert's rule now sends to; to none of them, it is not sent")
    func remindersFollowTheRuleNow() {
        var held = NotifierFixtures.note("7")
        held.sinks = ["pager", "slack"]
        let now = AlertLifecycle.Firing(severity: .warning, rule: "heating-up", sinks: [], since: 0, lastNotified: 100, lastHeld: 100)
        func remind(_ routes: [String: [String]]) -> [String]? {
            WatchService.reminder(of: held, firing: [(key: held.key, isVolume: false, alert: now)], sourcesDown: [], features: [:], at: 500, routes: routes)?.sinks
        }
        #expect(remind(["heating-up": ["slack"]]) == ["slack"])
        #expect(remind(["heating-up": []]) == ["pager", "slack"], "a rule that names no sinks sends to every one")
        #expect(remind(["heating-up": ["mail"]]) == nil)
    }
}
