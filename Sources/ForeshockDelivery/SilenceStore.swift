import ForeshockConfig
import ForeshockCore
import ForeshockSupport
import Foundation

/// Silences: those in the config, and those added with `foreshock silence add`, kept in
/// `silences.json` in the state directory. A running watch re-reads the file when it changes
/// (checked every couple of seconds), so a silence takes effect without a restart.
///
/// `@unchecked Sendable`: all state is behind `lock`.
package final class SilenceStore: @unchecked Sendable {
    package struct Stored: Sendable, Equatable {
        package var id: String
        package var silence: SilenceConfig
        package var created: Date
        /// When `expire` ended it early; nil while it runs its course. Kept, so there is a
        /// record of what was silenced when.
        package var expired: Date?

        /// Whether it holds notifications back at `now`.
        package func active(at now: Date) -> Bool { expired == nil && silence.until > now }
    }

    package struct Problem: Error, Sendable, CustomStringConvertible {
        package var description: String
    }

    private let configured: [SilenceConfig]
    package let path: String?
    private let lock = NSLock()
    private var stored: [Stored] = []
    /// The highest `sN` in the file, including entries that could not be read (which `save`
    /// drops): a new silence must not take the id of one that was.
    private var highestUnread = 0
    private var loadedStamp: Date?
    private var nextCheck = Date.distantPast

    /// - Parameters:
    ///   - previous: the store this one replaces (a config reload): when the file cannot be read
    ///     now, its silences stay in force and the file stays where it is, as they do for a bad
    ///     edit while the watch runs.
    ///   - leavingUnreadable: a file that cannot be read stays where it is (a command that only
    ///     looks, or changes it, must not take it from under the watch); `startupProblem` says why.
    package init(configured: [SilenceConfig], stateDir: String?, replacing previous: SilenceStore? = nil, leavingUnreadable: Bool = false) {
        self.configured = configured
        path = stateDir.map { ($0 as NSString).appendingPathComponent("silences.json") }
        do { try reloadIfChanged(force: true) } catch where previous != nil {
            let (kept, highest) = previous!.lock.withLock { (previous!.stored, previous!.highestUnread) }
            stored = kept
            highestUnread = highest
            keptProblem = error.description
        } catch where leavingUnreadable {
            startupProblem = error.description
            loadedStamp = nil
        } catch {
            // Unreadable at start: kept for a person to look at, and the watch starts without it.
            // (While running, a bad edit keeps the silences last read instead.)
            let moved = path.flatMap { AtomicFile.moveAside($0) }
            startupProblem = "\(error.description); moved to \(moved ?? "-")"
            loadedStamp = nil
        }
    }

    /// Why `silences.json` could not be read at start, if it could not.
    package private(set) var startupProblem: String?
    /// Why it could not be read at a reload, when the silences read before stay in force.
    package private(set) var keptProblem: String?
    /// Entries of the file that could not be read (no id, no time, a wrong type), at the last
    /// read: left out, and dropped from the file at the next change.
    package var skippedEntries: Int { lock.withLock { skipped } }
    private var skipped = 0

    /// The silence that holds a notification back now, if any: its description.
    package func silencing(_ note: AlertNotification, now: Date) -> String? {
        lock.lock()
        if now >= nextCheck {
            nextCheck = now.addingTimeInterval(2)
            lock.unlock()
            _ = try? reloadIfChanged(force: false)
            lock.lock()
        }
        defer { lock.unlock() }
        let all = configured.map { ("config", $0) } + stored.filter { $0.active(at: now) }.map { ($0.id, $0.silence) }
        for (id, silence) in all where silence.until > now && Self.matches(silence, note) {
            return "silence \(id)" + (silence.comment.map { " (\($0))" } ?? "")
        }
        return nil
    }

    /// Whether every matcher of the silence holds for the alert (a silence with none holds for nothing).
    static func matches(_ silence: SilenceConfig, _ note: AlertNotification) -> Bool {
        guard !silence.matchers.isEmpty else { return false }
        return silence.matchers.allSatisfy { matcher in
            switch matcher.field {
            case .post: return matcher.holds(for: note.post == nil ? [] : [note.key.id, note.key.description])
            case .author: return matcher.holds(for: note.author.map { [$0] } ?? [])
            case .rule: return matcher.holds(for: [note.rule])
            case .source: return matcher.holds(for: [note.source])
            }
        }
    }

    /// Every stored silence, expired ones included, oldest first.
    package var list: [Stored] {
        _ = try? reloadIfChanged(force: true)
        lock.lock(); defer { lock.unlock() }
        return stored
    }

    /// Adds a silence. - Returns: its id.
    package func add(_ silence: SilenceConfig, now: Date = Date()) throws(Problem) -> String {
        try exclusively { () throws(Problem) in
            if let refusal = SilenceConfig.refusal(lasting: silence.until.timeIntervalSince(now)) { throw Problem(description: refusal) }
            try reloadIfChanged(force: true)
            lock.lock(); defer { lock.unlock() }
            let next = (stored.compactMap { Int($0.id.dropFirst()) } + [highestUnread]).max()! + 1
            let id = "s\(next)"
            stored.append(Stored(id: id, silence: silence, created: now))
            try save()
            return id
        }
    }

    /// Ends a silence now; it stays on record as expired.
    /// - Returns: the silence as it was, nil if there is none with that id.
    package func expire(_ id: String, now: Date = Date()) throws(Problem) -> Stored? {
        try exclusively { () throws(Problem) in
            try reloadIfChanged(force: true)
            lock.lock(); defer { lock.unlock() }
            guard let index = stored.firstIndex(where: { $0.id == id }) else { return nil }
            let before = stored[index]
            guard before.active(at: now) else { return before }
            stored[index].expired = now
            try save()
            return before
        }
    }

    /// Runs a read-modify-write of the file under an exclusive lock on `silences.json.lock`:
    /// a `silence add` on the command line and one through the web API of the running watch
    /// would otherwise each write over the other's.
    private func exclusively<T>(_ body: () throws(Problem) -> T) throws(Problem) -> T {
        guard let path else { throw Problem(description: "silences need a state directory (--state-dir)") }
        let directory = (path as NSString).deletingLastPathComponent
        guard FileManager.default.isDirectory(atPath: directory) == true else {
            // Silences belong to a watch process's state: a directory made here would be one it never reads.
            throw Problem(description: "there is no state directory at \(directory): give the watch process's with --state-dir DIR, or its config with --config FILE")
        }
        let fd = open(path + ".lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Problem(description: "cannot open \(path).lock: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard flock(fd, LOCK_EX) == 0 else { throw Problem(description: "cannot lock \(path).lock: \(String(cString: strerror(errno)))") }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }

    private func reloadIfChanged(force: Bool) throws(Problem) {
        guard let path else { return }
        let stamp = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
        lock.lock(); defer { lock.unlock() }
        guard force || stamp != loadedStamp else { return }
        loadedStamp = stamp
        guard let data = FileManager.default.contents(atPath: path) else { stored = []; return }
        guard let value = try? JSONValue.parse(data), let items = value["silences"]?.arrayValue else {
            throw Problem(description: "\(path) is not a silences file ({\"silences\": [...]}); fix or remove it")
        }
        highestUnread = items.compactMap { $0["id"]?.stringValue.flatMap { Int($0.dropFirst()) } }.max() ?? 0
        stored = items.compactMap { item in
            guard let id = item["id"]?.stringValue, let until = item["until"]?.stringValue.flatMap(Timestamp.parse) else { return nil }
            var matchers = (item["matchers"]?.arrayValue ?? []).compactMap { $0.stringValue.flatMap { try? SilenceMatcher.parse($0) } }
            // Files from before matchers: one object of equalities.
            if let match = item["match"] { matchers += SilenceMatcher.equalities { match[$0]?.stringValue } }
            return Stored(id: id, silence: SilenceConfig(matchers: matchers, until: until, comment: item["comment"]?.stringValue),
                          created: item["created"]?.stringValue.flatMap(Timestamp.parse) ?? until,
                          expired: item["expired"]?.stringValue.flatMap(Timestamp.parse))
        }
        skipped = items.count - stored.count
    }

    private func save() throws(Problem) {
        guard let path else { throw Problem(description: "silences need a state directory (--state-dir)") }
        let items = stored.map { entry in
            let s = entry.silence
            return "{\"id\":\(JSONText.quote(entry.id)),\"matchers\":[\(s.matchers.map { JSONText.quote($0.description) }.joined(separator: ","))],"
                + "\"until\":\(JSONText.quote(Timestamp.format(s.until))),\"created\":\(JSONText.quote(Timestamp.format(entry.created))),"
                + "\"expired\":\(entry.expired.map { JSONText.quote(Timestamp.format($0)) } ?? "null"),\"comment\":\(JSONText.string(s.comment))}"
        }
        do {
            // A watch reading it never sees half a file.
            try AtomicFile.write(Data(("{\"silences\":[\n" + items.joined(separator: ",\n") + "\n]}\n").utf8), to: path)
        } catch {
            throw Problem(description: "cannot write \(path): \(SystemReason.of(error))")
        }
        loadedStamp = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
    }
}
