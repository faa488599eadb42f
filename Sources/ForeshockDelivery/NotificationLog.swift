import ForeshockConfig
import ForeshockCore
import ForeshockSupport
import Foundation

/// What receivers have been told, in `notifications.log` of the state directory: like
/// Alertmanager's notification log, the record the notifier consults before it sends, so that
/// nothing is announced twice whatever else in the state directory was lost.
///
/// It keeps, appended and fsynced before the outbox is written:
/// - every notification taken (queued for a sink, or held back by a silence), by id;
/// - per alert, the last notification taken: whether it left the alert firing, at which
///   severity and when. A `started` for an alert already announced as firing is then a
///   re-announcement (a journal lost or damaged made the core see the post anew), not news;
/// - every message handed to the outbox, until it is delivered or given up, so that an outbox
///   cut short is noticed and what it lost is queued again under the same ids.
///
/// Lines it cannot read cost only themselves. Older logs (one notification id a line) read as
/// notifications taken.
///
/// `@unchecked Sendable`: all state is behind `lock`.
package final class NotificationLog: @unchecked Sendable {
    /// How many ids are kept: far more than a restart's look-back can produce.
    package static let capacity = 20_000

    /// A message handed to the outbox: its id, the group it was rendered from (the notifier's
    /// id for the notifications that went out together), its sink and those notifications.
    package struct Queued: Sendable, Equatable {
        package var id: String
        package var group: String
        package var sink: String
        package var notes: [String]
    }

    /// The last notification taken for an alert.
    struct Mark: Equatable {
        var firing: Bool
        var severity: Severity
        var time: Double
    }

    package let path: String?
    private let lock = NSLock()
    private var ids = Set<String>()
    private var order: [String] = []
    private var marks: [String: Mark] = [:]
    private var queued: [String: Queued] = [:]
    private var queuedOrder: [String] = []
    /// Notifications accepted but not written yet (held in a group window, or on their way to
    /// the outbox): `alreadyAnnounced` must see them, or a resolution held for a few seconds
    /// would make the alert's next start look announced.
    private var pendingIDs = Set<String>()
    private var pendingMarks: [String: Mark] = [:]
    private var lines = 0
    /// Where each sink name ever configured sends (`SinkSet.destinations`), so that a sink
    /// renamed keeps what the receiver was told under its old name.
    private var sinkDestinations: [String: String] = [:]
    /// Lines that could not be read when the log was loaded.
    package private(set) var unreadable = 0
    /// Appends that failed (a full disk): each may make a restart send a message again, under
    /// its id, or miss that it was already sent. Counted for the metrics.
    package var writeErrors: Int { lock.withLock { failedWrites } }
    private var failedWrites = 0
    /// Why the last write failed ("no space left on device").
    package var lastWriteError: String? { lock.withLock { lastFailure } }
    private var lastFailure: String?

    /// Reads `notifications.log` in `directory` (nil: in memory only) and trims it.
    package init(directory: String?) {
        path = directory.map { ($0 as NSString).appendingPathComponent("notifications.log") }
        guard let path, let data = FileManager.default.contents(atPath: path) else { return }
        for line in data.split(separator: 0x0A) where !line.isEmpty {
            lines += 1
            guard line.first == UInt8(ascii: "{") else {
                // An older log's bare id, if it is one: random bytes must not read as ids.
                let text = String(decoding: line, as: UTF8.self)
                if Self.isNotificationID(text) { take(text) } else { unreadable += 1 }
                continue
            }
            guard let value = try? JSONValue.parse(bytes: [UInt8](line)) else { unreadable += 1; continue }
            if let id = value["q"]?.stringValue, let group = value["g"]?.stringValue, let sink = value["k"]?.stringValue {
                queue(Queued(id: id, group: group, sink: sink, notes: value["n"]?.arrayValue?.compactMap(\.stringValue) ?? []))
            } else if let id = value["d"]?.stringValue {
                settle(id)
            } else if let sink = value["sink"]?.stringValue, let destination = value["to"]?.stringValue {
                sinkDestinations[sink] = destination
            } else if value["a"] == nil, let id = value["n"]?.stringValue {
                take(id)
            } else if let alert = value["a"]?.stringValue, let severity = value["s"]?.stringValue.flatMap(Severity.init(rawValue:)),
                      let firing = value["f"]?.boolValue, let time = value["t"]?.doubleValue {
                if let id = value["n"]?.stringValue { take(id) }
                marks[alert] = Mark(firing: firing, severity: severity, time: time)
            } else {
                unreadable += 1
            }
        }
        // Kept for a person to look at before the rewrite drops what could not be read.
        if unreadable > 0 { copiedAside = AtomicFile.copyAside(path) }
        if order.count > Self.capacity || unreadable > 0 || lines > Self.capacity * 3 { compactLocked() }
    }

    /// Where the log was copied before lines it could not read were dropped.
    package private(set) var copiedAside: String?

    /// Whether a bare line is a notification id (`AlertNotification.notificationID`:
    /// alert key, reason and time in milliseconds, joined by `|`).
    static func isNotificationID(_ text: String) -> Bool {
        let parts = text.split(separator: "|", omittingEmptySubsequences: false)
        guard parts.count >= 3, let millis = parts.last, !millis.isEmpty, millis.allSatisfy(\.isASCII), Int64(millis) != nil else { return false }
        return AlertNotification.Reason(rawValue: String(parts[parts.count - 2])) != nil && !parts[0].isEmpty
    }

    /// Whether notification `id` was taken, written or only accepted so far.
    package func contains(_ id: String) -> Bool {
        lock.withLock { ids.contains(id) || pendingIDs.contains(id) }
    }

    /// Whether receivers were already told what `note` says: its id was taken, or it starts or
    /// escalates an alert last announced as firing at this severity or above less than
    /// `within` seconds before it, or reminds of one announced at this severity less than
    /// `within` before it, or it resolves an alert last announced as resolved, or it
    /// de-escalates an alert not last announced as firing at a higher severity (a sink a
    /// silence kept the page from, or told only the lower one, has nothing to hear).
    /// - Parameter within: beyond this a reminder would be due anyway (`repeat_interval`),
    ///   so an alert the core lost track of may start again.
    /// - Parameter sink: the sink to ask about; marks are kept per alert and sink, since an
    ///   alert reaches a sink of its own when a rule with other sinks starts to hold (nil: the
    ///   alert as a whole, as logs before sinks had marks kept it).
    package func alreadyAnnounced(_ note: AlertNotification, sink: String? = nil, within: Double) -> Bool {
        lock.withLock {
            // The parts of one notification each sink reads its own way share its id: the
            // notifier asked whether it was taken before it split it.
            if note.idReason == nil, ids.contains(note.notificationID) || pendingIDs.contains(note.notificationID) { return true }
            let mark = lastMark(note, sink: sink)
            if note.reason == .deescalated { return !(mark.map { $0.firing && $0.severity > note.severity } ?? false) }
            guard let mark else { return false }
            switch note.reason {
            case .started, .escalated:
                return mark.firing && mark.severity >= note.severity && note.time - mark.time < within
            case .resolved:
                return !mark.firing
            case .repeated:
                // A sink paged when a silence let go hears the core's next reminder (timed from
                // the note the silence held back) no sooner than `within` after that page. A
                // second's slack: the log keeps times to the millisecond.
                return mark.firing && mark.severity == note.severity && note.time - mark.time < within - 1
            case .deescalated:
                return false
            }
        }
    }

    /// Whether `sink` was last told that the alert of `note` fires.
    package func toldFiring(_ note: AlertNotification, sink: String) -> Bool {
        toldFiringAt(note, sink: sink) != nil
    }

    /// The severity and time at which `sink` was last told the alert of `note` fires; nil when
    /// it was last told it resolved, or never told of it.
    package func toldFiringAt(_ note: AlertNotification, sink: String) -> (severity: Severity, time: Double)? {
        lock.withLock { lastMark(note.alertKey, sink: sink).flatMap { $0.firing ? ($0.severity, $0.time) : nil } }
    }

    /// The severity each of `sinks` was last told an alert fires at (for `status`); a sink last
    /// told it resolved, or never told of it (a silence held it back), is left out.
    package func toldFiring(alertKey: String, sinks: [String]) -> [String: Severity] {
        lock.withLock {
            var told: [String: Severity] = [:]
            for sink in sinks { if let mark = lastMark(alertKey, sink: sink), mark.firing { told[sink] = mark.severity } }
            return told
        }
    }

    private func lastMark(_ note: AlertNotification, sink: String?) -> Mark? { lastMark(note.alertKey, sink: sink) }

    /// What `sink` (nil: the alert as a whole) was last told of an alert, accepted or
    /// written; called under `lock`.
    private func lastMark(_ alertKey: String, sink: String?) -> Mark? {
        let key = Self.markKey(alertKey, sink)
        if let mark = pendingMarks[key] ?? marks[key] { return mark }
        guard let sink else { return nil }
        // A sink renamed: what the same receiver was last told under another name.
        if let destination = sinkDestinations[sink] {
            let renamed = sinkDestinations.filter { $0.key != sink && $0.value == destination }.keys
                .compactMap { marks[Self.markKey(alertKey, $0)] }.max { $0.time < $1.time }
            if let renamed { return renamed }
        }
        // A log written before marks had sinks keeps one mark for the whole alert.
        return marks[alertKey]
    }

    /// Notes where the configured sinks send (new names, or names that send elsewhere now), so
    /// that a sink renamed later still knows what its receiver was told.
    package func learn(destinations: [String: String]) {
        lock.withLock {
            let changed = destinations.filter { sinkDestinations[$0.key] != $0.value }
            guard !changed.isEmpty else { return }
            for (sink, destination) in changed { sinkDestinations[sink] = destination }
            append(changed.sorted { $0.key < $1.key }.map { Self.sinkLine($0.key, $0.value) }.joined())
        }
    }

    /// Notes a notification as accepted by the notifier, before it is written (`record`), so
    /// that those after it are judged against it.
    /// - Parameter announced: false for one a silence holds back: receivers believe what they
    ///   were told before, and an alert they were never told of is not firing to them (so its
    ///   resolution is not news either).
    package func accept(_ note: AlertNotification, sinks: [String]? = nil, announced: Bool = true) {
        lock.withLock {
            pendingIDs.insert(note.notificationID)
            for sink in sinks ?? [nil] as [String?] {
                let key = Self.markKey(note.alertKey, sink)
                pendingMarks[key] = believed(note, sink: sink, announced: announced)
            }
        }
    }

    /// What receivers believe of an alert after `note`: what it says when they are told it,
    /// else what they were told before, else that it does not fire.
    private func believed(_ note: AlertNotification, sink: String?, announced: Bool) -> Mark {
        if announced { return Mark(firing: note.state == .firing, severity: note.severity, time: note.time) }
        return lastMark(note, sink: sink) ?? Mark(firing: false, severity: note.severity, time: note.time)
    }

    /// Notes notifications as taken (silenced, or about to be queued) for their sinks.
    package func record(_ notes: [AlertNotification], sinks: [String]? = nil) {
        write(taken: notes.map { ($0, sinks ?? [nil]) }, queued: [])
    }

    /// Notes notifications a silence held back as taken, each for sinks of its own, in one
    /// write: a batch's silenced notifications wait for the disk once, not once each.
    package func record(silenced notes: [(AlertNotification, sinks: [String])]) {
        write(taken: notes.map { ($0.0, $0.sinks) }, queued: [], announced: false)
    }

    /// Notes notifications as taken by one sink and the messages rendered from them as queued:
    /// one write, before the outbox is written, so whatever the outbox holds the log knows of.
    package func record(_ notes: [AlertNotification], sink: String? = nil, queued messages: [Queued]) {
        write(taken: notes.map { ($0, [sink]) }, queued: messages)
    }

    /// Notes a message as delivered or given up: it is no longer the outbox's to keep.
    package func settled(_ id: String) {
        lock.withLock {
            guard queued[id] != nil else { return }
            settle(id)
            append("{\"d\":\(JSONText.quote(id))}\n")
        }
    }

    /// Messages queued and neither delivered nor given up, oldest first.
    package var unsettled: [Queued] {
        lock.withLock { queuedOrder.compactMap { queued[$0] } }
    }

    private func write(taken notes: [(AlertNotification, [String?])], queued messages: [Queued], announced: Bool = true) {
        lock.withLock {
            var text = ""
            for (note, sinks) in notes {
                pendingIDs.remove(note.notificationID)
                take(note.notificationID)
                var written = false
                for sink in sinks {
                    let key = Self.markKey(note.alertKey, sink)
                    let mark = believed(note, sink: sink, announced: announced)
                    if pendingMarks[key] == mark { pendingMarks[key] = nil }
                    guard marks[key] != mark else { continue }
                    marks[key] = mark
                    text += Self.markLine(alert: key, mark, id: note.notificationID)
                    written = true
                }
                // Its id on a line of its own when no mark carries it (a silenced repeat changes
                // none): a restart must know it was taken, or would send it again.
                if !written { text += "{\"n\":\(JSONText.quote(note.notificationID))}\n" }
            }
            for message in messages where queued[message.id] == nil {
                queue(message)
                text += Self.queuedLine(message)
            }
            guard !text.isEmpty else { return }
            append(text)
            if order.count > Self.capacity * 2 || lines > Self.capacity * 4 { compactLocked() }
        }
    }

    /// A mark's key: the alert, and the sink it went to.
    private static func markKey(_ alert: String, _ sink: String?) -> String {
        sink.map { alert + " → " + $0 } ?? alert
    }

    private static func markLine(alert: String, _ mark: Mark, id: String?) -> String {
        "{\"a\":\(JSONText.quote(alert)),\"f\":\(mark.firing),\"s\":\(JSONText.quote(mark.severity.rawValue)),\"t\":\(JSONText.number(mark.time))"
            + (id.map { ",\"n\":\(JSONText.quote($0))" } ?? "") + "}\n"
    }

    private static func sinkLine(_ sink: String, _ destination: String) -> String {
        "{\"sink\":\(JSONText.quote(sink)),\"to\":\(JSONText.quote(destination))}\n"
    }

    private static func queuedLine(_ message: Queued) -> String {
        "{\"q\":\(JSONText.quote(message.id)),\"g\":\(JSONText.quote(message.group)),\"k\":\(JSONText.quote(message.sink)),"
            + "\"n\":[\(message.notes.map(JSONText.quote).joined(separator: ","))]}\n"
    }

    private func take(_ id: String) {
        if ids.insert(id).inserted { order.append(id) }
    }

    private func queue(_ message: Queued) {
        if queued.updateValue(message, forKey: message.id) == nil { queuedOrder.append(message.id) }
    }

    private func settle(_ id: String) {
        queued[id] = nil
        if queuedOrder.first == id { queuedOrder.removeFirst() } else { queuedOrder.removeAll { $0 == id } }
    }

    private func append(_ text: String) {
        lines += text.utf8.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        guard let path else { return }
        do { try AppendOnlyFile.append(Data(text.utf8), to: path) } catch { failed(error) }
    }

    /// Counts a write that failed, and keeps why; called under `lock`.
    private func failed(_ error: any Error) {
        failedWrites += 1
        lastFailure = SystemReason.of(error)
    }

    /// Rewrites the log with the newest ids, every alert's mark and what is still queued.
    private func compactLocked() {
        if order.count > Self.capacity {
            order.removeFirst(order.count - Self.capacity)
            ids = Set(order)
        }
        // Resolved alerts long gone need no mark; firing ones always keep theirs.
        if marks.count > Self.capacity {
            let keep = marks.sorted { ($0.value.firing ? 1 : 0, $0.value.time) > ($1.value.firing ? 1 : 0, $1.value.time) }.prefix(Self.capacity)
            marks = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
        }
        // Ids hold post ids, which hold anything: quoted, never bare.
        var text = order.map { "{\"n\":\(JSONText.quote($0))}\n" }.joined()
        for (alert, mark) in marks.sorted(by: { $0.key < $1.key }) { text += Self.markLine(alert: alert, mark, id: nil) }
        for message in queuedOrder.compactMap({ queued[$0] }) { text += Self.queuedLine(message) }
        for (sink, destination) in sinkDestinations.sorted(by: { $0.key < $1.key }) { text += Self.sinkLine(sink, destination) }
        lines = order.count + marks.count + queued.count + sinkDestinations.count
        guard let path else { return }
        do { try AtomicFile.write(Data(text.utf8), to: path) } catch { failed(error) }
    }
}
