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
    }

    package struct Problem: Error, Sendable, CustomStringConvertible {
        package var description: String
    }

    private let configured: [SilenceConfig]
    package let path: String?
    private let lock = NSLock()
    private var stored: [Stored] = []
    private var loadedStamp: Date?
    private var nextCheck = Date.distantPast

    package init(configured: [SilenceConfig], stateDir: String?) {
        self.configured = configured
        path = stateDir.map { ($0 as NSString).appendingPathComponent("silences.json") }
        do { try reloadIfChanged(force: true) } catch {
            // Unreadable at start: kept for a person to look at, and the watch starts without it.
            // (While running, a bad edit keeps the silences last read instead.)
            let moved = path.flatMap { AtomicFile.moveAside($0) }
            startupProblem = "\(error.description); moved to \(moved ?? "-")"
            loadedStamp = nil
        }
    }

    /// Why `silences.json` could not be read at start, if it could not.
    package private(set) var startupProblem: String?

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
        let all = configured.map { ("config", $0) } + stored.map { ($0.id, $0.silence) }
        for (id, silence) in all where silence.until > now && Self.matches(silence, note) {
            return "silence \(id)" + (silence.comment.map { " (\($0))" } ?? "")
        }
        return nil
    }

    static func matches(_ silence: SilenceConfig, _ note: AlertNotification) -> Bool {
        if let post = silence.post, post != note.key.id, post != note.key.description { return false }
        if let author = silence.author, author.lowercased() != (note.author ?? "").lowercased() { return false }
        if let rule = silence.rule, rule != note.rule { return false }
        if let source = silence.source, source != note.key.source { return false }
        return silence.post != nil || silence.author != nil || silence.rule != nil || silence.source != nil
    }

    /// The stored silences (expired ones included, until `expire` removes them).
    package var list: [Stored] {
        _ = try? reloadIfChanged(force: true)
        lock.lock(); defer { lock.unlock() }
        return stored
    }

    /// Adds a silence. - Returns: its id.
    package func add(_ silence: SilenceConfig, now: Date = Date()) throws(Problem) -> String {
        try reloadIfChanged(force: true)
        lock.lock(); defer { lock.unlock() }
        let next = (stored.compactMap { Int($0.id.dropFirst()) }.max() ?? 0) + 1
        let id = "s\(next)"
        stored.append(Stored(id: id, silence: silence, created: now))
        try save()
        return id
    }

    /// Ends a silence now. - Returns: whether it existed.
    package func expire(_ id: String) throws(Problem) -> Bool {
        try reloadIfChanged(force: true)
        lock.lock(); defer { lock.unlock() }
        let before = stored.count
        stored.removeAll { $0.id == id }
        guard stored.count != before else { return false }
        try save()
        return true
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
        stored = items.compactMap { item in
            guard let id = item["id"]?.stringValue, let until = item["until"]?.stringValue.flatMap(Timestamp.parse) else { return nil }
            let match = item["match"]
            return Stored(id: id, silence: SilenceConfig(post: match?["post"]?.stringValue, author: match?["author"]?.stringValue, rule: match?["rule"]?.stringValue,
                                                         source: match?["source"]?.stringValue, until: until, comment: item["comment"]?.stringValue),
                          created: item["created"]?.stringValue.flatMap(Timestamp.parse) ?? until)
        }
    }

    private func save() throws(Problem) {
        guard let path else { throw Problem(description: "silences need a state directory (--state-dir)") }
        let items = stored.map { entry in
            let s = entry.silence
            let match = [("post", s.post), ("author", s.author), ("rule", s.rule), ("source", s.source)].compactMap { key, value in value.map { "\"\(key)\":\(JSONText.quote($0))" } }
            return "{\"id\":\(JSONText.quote(entry.id)),\"match\":{\(match.joined(separator: ","))},\"until\":\(JSONText.quote(Timestamp.format(s.until))),"
                + "\"created\":\(JSONText.quote(Timestamp.format(entry.created))),\"comment\":\(JSONText.string(s.comment))}"
        }
        do {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            // A watch reading it never sees half a file.
            try AtomicFile.write(Data(("{\"silences\":[\n" + items.joined(separator: ",\n") + "\n]}\n").utf8), to: path)
        } catch {
            throw Problem(description: "cannot write \(path): \((error as NSError).localizedDescription)")
        }
        loadedStamp = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
    }
}
