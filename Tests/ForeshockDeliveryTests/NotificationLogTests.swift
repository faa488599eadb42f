import Foundation
import Testing
@testable import ForeshockConfig
@testable import ForeshockCore
@testable import ForeshockDelivery
@testable import ForeshockTestSupport

/// The record of what receivers were told, read back as a restart reads it.
@Suite("Notification log")
struct NotificationLogTests {
    static func note(_ id: String, _ reason: AlertNotification.Reason, severity: Severity = .critical, time: Double) -> AlertNotification {
        var note = NotifierFixtures.note(id, reason: reason)
        note.severity = severity
        note.time = time
        return note
    }

    @Test("A start is known while the alert is announced as firing at that severity, and news again after its resolution or past repeat_interval")
    func announcedAlerts() throws {
        let directory = try makeTemporaryDirectory().path
        let log = NotificationLog(directory: directory)
        log.record([Self.note("1", .started, severity: .warning, time: 100)])
        // Read back as a restart reads it: the marks survive.
        let again = NotificationLog(directory: directory)
        #expect(again.alreadyAnnounced(Self.note("1", .started, severity: .warning, time: 200), within: 3600))
        #expect(!again.alreadyAnnounced(Self.note("1", .escalated, severity: .critical, time: 200), within: 3600), "an escalation is news")
        #expect(!again.alreadyAnnounced(Self.note("1", .started, severity: .warning, time: 100 + 3601), within: 3600), "past repeat_interval")
        #expect(!again.alreadyAnnounced(Self.note("1", .resolved, time: 300), within: 3600))
        #expect(!again.alreadyAnnounced(Self.note("2", .started, time: 200), within: 3600))
        again.record([Self.note("1", .resolved, time: 300)])
        #expect(again.alreadyAnnounced(Self.note("1", .resolved, time: 400), within: 3600))
        #expect(!again.alreadyAnnounced(Self.note("1", .started, time: 500), within: 3600), "a new episode after the resolution")
    }

    @Test("A reminder is news to a sink told the alert fires at its severity repeat_interval or more before it, not sooner (a page when a silence let go)")
    func remindersKeepTheirPace() {
        let log = NotificationLog(directory: nil)
        log.record([Self.note("1", .started, time: 100)], sink: "pager", queued: [])
        log.record([Self.note("1", .started, time: 3000)], sink: "slack", queued: [])
        let reminder = Self.note("1", .repeated, time: 100 + 3600)
        #expect(!log.alreadyAnnounced(reminder, sink: "pager", within: 3600), "due")
        #expect(log.alreadyAnnounced(reminder, sink: "slack", within: 3600), "paged 10 minutes before")
        #expect(!log.alreadyAnnounced(Self.note("1", .repeated, severity: .warning, time: 3700), sink: "slack", within: 3600), "at another severity it is news")
        #expect(!log.alreadyAnnounced(reminder, sink: "mail", within: 3600), "never told")
    }

    @Test("Silenced notes: receivers keep believing what they were told, and every silenced note's id is known after a restart")
    func silencedNotes() throws {
        let directory = try makeTemporaryDirectory().path
        let log = NotificationLog(directory: directory)
        // Told it fires, then a repeat held back: still firing to them, so its resolution is news.
        log.record([Self.note("1", .started, time: 100)], sinks: ["hook"])
        log.record(silenced: [(Self.note("1", .repeated, time: 200), sinks: ["hook"])])
        // Never told: a silenced start leaves it not firing to them, so its resolution is not news.
        log.record(silenced: [(Self.note("2", .started, time: 100), sinks: ["hook"])])
        log.record(silenced: [(Self.note("2", .repeated, time: 200), sinks: ["hook"])])
        let again = NotificationLog(directory: directory)
        #expect(again.toldFiring(Self.note("1", .resolved, time: 300), sink: "hook"))
        #expect(!again.alreadyAnnounced(Self.note("1", .resolved, time: 300), sink: "hook", within: 3600))
        #expect(!again.toldFiring(Self.note("2", .resolved, time: 300), sink: "hook"))
        #expect(again.alreadyAnnounced(Self.note("2", .resolved, time: 300), sink: "hook", within: 3600))
        for note in [Self.note("1", .repeated, time: 200), Self.note("2", .started, time: 100), Self.note("2", .repeated, time: 200)] {
            #expect(again.contains(note.notificationID), "\(note.alertKey) \(note.reason) is not known taken")
        }
    }

    @Test("Marks are per alert and sink: a sink a later rule brings hears the start, a sink told is not told again, a resolution makes the next start news to each")
    func perSink() throws {
        let directory = try makeTemporaryDirectory().path
        let log = NotificationLog(directory: directory)
        log.record([Self.note("1", .started, time: 100)], sink: "pager", queued: [])
        #expect(log.alreadyAnnounced(Self.note("1", .started, time: 150), sink: "pager", within: 3600))
        #expect(!log.alreadyAnnounced(Self.note("1", .started, time: 150), sink: "slack", within: 3600), "news to a sink not told")
        log.record([Self.note("1", .started, time: 160)], sink: "slack", queued: [])
        // After a restart that lost the journal, the core announces the alert again to both: neither is news.
        let again = NotificationLog(directory: directory)
        #expect(again.alreadyAnnounced(Self.note("1", .started, time: 200), sink: "pager", within: 3600))
        #expect(again.alreadyAnnounced(Self.note("1", .started, time: 200), sink: "slack", within: 3600))
        again.record([Self.note("1", .resolved, time: 300)], sinks: ["pager", "slack"])
        #expect(!again.alreadyAnnounced(Self.note("1", .started, time: 400), sink: "pager", within: 3600), "a new episode")
        #expect(again.alreadyAnnounced(Self.note("1", .resolved, time: 300), sink: "slack", within: 3600))
    }

    @Test("A note accepted but not yet written counts: a held resolution makes the next start news")
    func pendingNotes() {
        let log = NotificationLog(directory: nil)
        log.record([Self.note("1", .started, time: 100)])
        log.accept(Self.note("1", .resolved, time: 200))
        #expect(!log.alreadyAnnounced(Self.note("1", .started, time: 210), within: 3600))
        #expect(log.alreadyAnnounced(Self.note("1", .resolved, time: 200), within: 3600), "the same note twice")
    }

    @Test("Queued messages stay unsettled until delivered, across a restart; an old log of bare ids still reads; a bad line costs itself")
    func queuedMessages() throws {
        let directory = try makeTemporaryDirectory().path
        let damaged = "mastodon:old|started|1000\n{not json\n\u{7f}ELF\u{01}garbage|x\nfeed:a|fired|12\n"
        try damaged.write(toFile: directory + "/notifications.log", atomically: true, encoding: .utf8)
        let log = NotificationLog(directory: directory)
        #expect(log.contains("mastodon:old|started|1000"))
        // Bytes that are not an id are not taken for one; the file as it was is kept aside.
        #expect(log.unreadable == 3 && !log.contains("feed:a|fired|12"))
        let copy = try #require(log.copiedAside)
        #expect(try String(contentsOfFile: copy, encoding: .utf8) == damaged)
        let note = Self.note("1", .started, time: 100)
        log.record([note], queued: [.init(id: "msg_a", group: "msg_a", sink: "hook", notes: [note.notificationID]),
                                    .init(id: "msg_b", group: "msg_b", sink: "mail", notes: [note.notificationID])])
        log.settled("msg_a")
        let again = NotificationLog(directory: directory)
        #expect(again.unsettled.map(\.id) == ["msg_b"])
        #expect(again.unsettled.first?.notes == [note.notificationID])
        #expect(again.contains(note.notificationID) && again.contains("mastodon:old|started|1000"))
    }

    @Test("A write that fails is counted, not lost in silence")
    func failedWrites() throws {
        let directory = try makeTemporaryDirectory().path
        // A directory where the file should be: every append fails.
        try FileManager.default.createDirectory(atPath: directory + "/notifications.log", withIntermediateDirectories: true)
        let log = NotificationLog(directory: directory)
        log.record([Self.note("1", .started, time: 100)])
        #expect(log.writeErrors == 1)
        #expect(log.alreadyAnnounced(Self.note("1", .started, time: 100), within: 3600), "kept in memory all the same")
    }
}
