import Foundation

/// The notifications already handed to the outbox (or held back by a silence), by id, in
/// `notifications.log` of the state directory. After a crash the watch process rebuilds its
/// alerts from the journal and asks this log which of the notifications that produces were
/// already taken care of, so none is sent twice and none between scoring and the outbox is lost.
///
/// `@unchecked Sendable`: all state is behind `lock`.
public final class NotificationLog: @unchecked Sendable {
    /// How many ids are kept: far more than a restart's look-back can produce.
    public static let capacity = 20_000

    public let path: String?
    private let lock = NSLock()
    private var ids = Set<String>()
    private var order: [String] = []

    /// Reads `notifications.log` in `directory` (nil: in memory only) and trims it.
    public init(directory: String?) {
        path = directory.map { ($0 as NSString).appendingPathComponent("notifications.log") }
        guard let path, let data = FileManager.default.contents(atPath: path) else { return }
        for line in data.split(separator: 0x0A) {
            let id = String(decoding: line, as: UTF8.self)
            if ids.insert(id).inserted { order.append(id) }
        }
        if order.count > Self.capacity {
            order.removeFirst(order.count - Self.capacity)
            ids = Set(order)
            try? AtomicFile.write(Data((order.joined(separator: "\n") + "\n").utf8), to: path)
        }
    }

    public func contains(_ id: String) -> Bool {
        lock.withLock { ids.contains(id) }
    }

    /// Notes ids as handled (appended and fsynced).
    public func record(_ new: [String]) {
        lock.withLock {
            let fresh = new.filter { ids.insert($0).inserted }
            guard !fresh.isEmpty else { return }
            order += fresh
            if let path { try? AppendOnlyFile.append(Data((fresh.joined(separator: "\n") + "\n").utf8), to: path) }
            if order.count > Self.capacity * 2 {
                order.removeFirst(order.count - Self.capacity)
                ids = Set(order)
                if let path { try? AtomicFile.write(Data((order.joined(separator: "\n") + "\n").utf8), to: path) }
            }
        }
    }
}
