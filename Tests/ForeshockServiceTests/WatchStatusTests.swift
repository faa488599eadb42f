import Testing
@testable import ForeshockService

@Suite("What status says receivers were told")
struct WatchStatusTests {
    func said(_ told: [String: String], waiting: Set<String> = [], givenUp: Set<String> = [], silencedBy: String? = nil) -> String {
        WatchStatus.Alert.notifications(severity: "critical", sinks: ["mail", "pager", "slack"], told: told, waiting: waiting,
                                        givenUp: givenUp, silencedBy: silencedBy)
    }

    @Test("A page delivered before a silence began is said as sent, the silence as holding what follows; one the silence kept is said as held, never as sent")
    func sentOrHeld() {
        #expect(said(["mail": "critical", "pager": "critical", "slack": "critical"]) == "sent to mail, pager, slack")
        #expect(said(["pager": "critical", "mail": "critical", "slack": "critical"], silencedBy: "silence s2") == "sent to mail, pager, slack; what follows held by silence s2")
        #expect(said([:], silencedBy: "silence s1 (on it)") == "held by silence s1 (on it)")
        // A de-escalation not sent (no sink was paged at the higher severity) is not "sent".
        #expect(said([:]) == "not sent to mail, pager, slack")
        // A sink told only the lower severity, and one that has not taken its message yet.
        #expect(said(["mail": "warning", "pager": "critical"], waiting: ["pager"]) == "sent to mail (as warning); waiting in the outbox for pager; not sent to slack")
        #expect(said(["pager": "critical"], givenUp: ["slack"]) == "sent to pager; GIVEN UP by slack (a dead letter); not sent to mail")
        #expect(said(["pager": "critical", "mail": "critical"], silencedBy: "silence s3") == "sent to mail, pager; held from slack by silence s3, and what follows held by silence s3")
        #expect(WatchStatus.Alert.notifications(severity: "warning", sinks: [], told: [:], waiting: [], givenUp: [], silencedBy: nil) == "no sink configured")
        // Accepted, but a group window holds it still: not sent yet.
        #expect(WatchStatus.Alert.notifications(severity: "critical", sinks: ["pager", "slack"], told: ["pager": "critical", "slack": "critical"], grouping: ["pager"],
                                                waiting: ["slack"], givenUp: [], silencedBy: nil) == "held in the group window for pager; waiting in the outbox for slack")
    }
}
