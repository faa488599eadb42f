import ForeshockSupport
import Foundation

/// Every message to a sink, written down (appended, fsynced) before the first attempt and
/// marked done only once delivered, so neither a timeout nor a crash loses one: after a
/// restart what is pending goes out again with the same id, and receivers can drop the
/// duplicate. Messages that cannot ever be delivered go to a dead-letter file with the reason.
///
/// `@unchecked Sendable`: all state is behind `lock`.
package final class Outbox: @unchecked Sendable {
    package struct Entry: Sendable, Equatable {
        package var id: String
        package var sink: String
        package var created: Double
        package var keys: [String]
        /// The rule of each of those alerts' notifications, for the log (empty in outboxes
        /// written before it was kept).
        package var rules: [String] = []
        package var body: Data
        /// Where its sink sent when it was written (`SinkSet.destinations`); nil in outboxes
        /// written before it was kept.
        package var destination: String? = nil
    }

    /// The journal (`outbox.jsonl`) and dead letters (`dead-letter.jsonl`); nil keeps it in memory.
    package let directory: String?
    private let lock = NSLock()
    private var pending: [String: Entry] = [:]
    private var order: [String] = []
    private var marks = 0
    /// Ids marked done or dead by this process, the latest few thousand: a worker that takes
    /// over a sink at a reload skips what the one before it finished meanwhile.
    private var settled = RecentIDs(capacity: 4096)
    /// Lines of the journal that could not be read when it was loaded.
    package private(set) var unreadable = 0
    /// Where a journal with unreadable lines was moved before the readable ones were rewritten.
    package private(set) var movedAside: String?

    /// Opens (or creates) the outbox in `directory`.
    /// - Throws: when the directory cannot be created or the journal cannot be written.
    package init(directory: String?) throws {
        self.directory = directory
        guard let directory else { return }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if let data = FileManager.default.contents(atPath: journalPath) {
            for line in data.split(separator: 0x0A) {
                guard let value = try? JSONValue.parse(bytes: [UInt8](line)), let id = value["id"]?.stringValue else { unreadable += 1; continue }
                switch value["op"]?.stringValue {
                case "add":
                    guard let sink = value["sink"]?.stringValue, let body = value["body"]?.stringValue.flatMap({ Data(base64Encoded: $0) }) else { unreadable += 1; continue }
                    if pending[id] == nil { order.append(id) }
                    pending[id] = Entry(id: id, sink: sink, created: value["created"]?.doubleValue ?? 0,
                                        keys: value["keys"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                                        rules: value["rules"]?.arrayValue?.compactMap(\.stringValue) ?? [], body: body,
                                        destination: value["to"]?.stringValue)
                case "done", "dead":
                    pending[id] = nil
                    marks += 1
                default:
                    unreadable += 1
                }
            }
            order.removeAll { pending[$0] == nil }
        }
        if unreadable > 0 { movedAside = AtomicFile.moveAside(journalPath) }
        try compact()
    }

    private var journalPath: String { ((directory ?? "") as NSString).appendingPathComponent("outbox.jsonl") }
    package var deadLetterPath: String? { directory.map { ($0 as NSString).appendingPathComponent("dead-letter.jsonl") } }

    /// What is waiting for delivery, oldest first.
    package var entries: [Entry] { lock.lock(); defer { lock.unlock() }; return order.compactMap { pending[$0] } }
    package var depth: Int { lock.lock(); defer { lock.unlock() }; return pending.count }

    /// Whether this process marked the message delivered or given up.
    package func wasSettled(_ id: String) -> Bool { lock.withLock { settled.contains(id) } }

    /// Writes entries down before anything is sent.
    package func add(_ entries: [Entry]) throws {
        lock.lock(); defer { lock.unlock() }
        try append(entries.map(Self.journalLine).joined(), to: journalPath)
        for entry in entries where pending[entry.id] == nil {
            pending[entry.id] = entry
            order.append(entry.id)
        }
    }

    /// Whether the outbox holds the message, pending (not one it could not write).
    package func holds(_ id: String) -> Bool { lock.withLock { pending[id] != nil } }

    /// Delivered: never sent again.
    package func done(_ id: String) throws {
        lock.lock(); defer { lock.unlock() }
        try settle(id, op: "done")
    }

    /// Undeliverable: moved to the dead-letter file with the reason. A message the outbox could
    /// not write (a full disk) gets its dead letter too: it is what an operator reads. Once.
    package func dead(_ entry: Entry, reason: String) throws {
        lock.lock(); defer { lock.unlock() }
        guard !settled.contains(entry.id) else { return }
        if let path = deadLetterPath {
            try append("{\"id\":\(JSONText.quote(entry.id)),\"sink\":\(JSONText.quote(entry.sink)),\"keys\":[\(entry.keys.map(JSONText.quote).joined(separator: ","))],"
                + "\"reason\":\(JSONText.quote(reason)),\"at\":\(JSONText.quote(Timestamp.format(Date()))),\"body\":\(JSONText.quote(String(decoding: entry.body, as: UTF8.self)))}\n", to: path)
        }
        try settle(entry.id, op: "dead")
    }

    /// Marks a message settled, and off the journal if it was on it. Called under `lock`.
    private func settle(_ id: String, op: String) throws {
        settled.insert(id)
        guard pending[id] != nil else { return }
        try append("{\"op\":\"\(op)\",\"id\":\(JSONText.quote(id))}\n", to: journalPath)
        pending[id] = nil
        order.removeAll { $0 == id }
        marks += 1
        if marks > 1000 { try compactLocked() }
    }

    /// Rewrites the journal with only what is pending (temp file, fsync, rename).
    package func compact() throws {
        lock.lock(); defer { lock.unlock() }
        try compactLocked()
    }

    private func compactLocked() throws {
        guard directory != nil else { return }
        let entries = order.compactMap { pending[$0] }
        try AtomicFile.write(Data(entries.map(Self.journalLine).joined().utf8), to: journalPath)
        marks = 0
    }

    private static func journalLine(_ entry: Entry) -> String {
        "{\"op\":\"add\",\"id\":\(JSONText.quote(entry.id)),\"sink\":\(JSONText.quote(entry.sink)),\"created\":\(JSONText.number(entry.created)),"
                + "\"keys\":[\(entry.keys.map(JSONText.quote).joined(separator: ","))],\"rules\":[\(entry.rules.map(JSONText.quote).joined(separator: ","))],"
                + (entry.destination.map { "\"to\":\(JSONText.quote($0))," } ?? "") + "\"body\":\"\(entry.body.base64EncodedString())\"}\n"
    }

    private func append(_ text: String, to path: String) throws {
        guard directory != nil else { return }
        try AppendOnlyFile.append(Data(text.utf8), to: path)
    }
}
