/// A post as the scoring core knows it: ids are scoped by source, since two networks may
/// reuse an id.
package struct PostKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    package var source: String
    package var id: String

    package init(source: String, id: String) {
        self.source = source
        self.id = id
    }

    package static func < (a: PostKey, b: PostKey) -> Bool { (a.source, a.id) < (b.source, b.id) }
    package var description: String { source.isEmpty ? id : "\(source):\(id)" }

    /// FNV-1a over the source and the id: the same in every process (Swift's `Hasher` is seeded
    /// per process), so it picks a post's shard, and computed once per observation it also finds
    /// the post in its shard's `PostTable`.
    package var stableHash: UInt64 {
        var hash: UInt64 = 0xcbf29ce484222325
        for byte in source.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100000001b3 }
        hash = (hash ^ 0x1f) &* 0x100000001b3
        for byte in id.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100000001b3 }
        return hash
    }

    /// A key for sets and dictionaries that hashes `stableHash` (one word) instead of both
    /// strings: exact, since equal hashes still compare the keys, and cheaper where every
    /// line of a recording is looked up.
    package struct Hashed: Hashable, Sendable {
        package let key: PostKey
        private let hash: UInt64

        package init(_ key: PostKey) {
            self.key = key
            hash = key.stableHash
        }

        package static func == (a: Hashed, b: Hashed) -> Bool { a.hash == b.hash && a.key == b.key }
        package func hash(into hasher: inout Hasher) { hasher.combine(hash) }
    }
}

/// One thing seen about a post, stamped with the time it was seen. This is all the scoring core
/// reads: the same values come from a live poll or from a recording, so watch and replay run
/// the same code. Times are Unix seconds.
package enum Observation: Sendable, Equatable {
    /// A post appeared.
    case post(key: PostKey, time: Double, createdAt: Double, author: String?, followers: Double?, text: String?, url: String?)
    /// Someone reshared it (followers nil when the API does not say).
    case reshare(key: PostKey, time: Double, user: String?, followers: Double?)
    /// Its counters, polled; a nil counter is unchanged.
    case counts(key: PostKey, time: Double, reshares: Int?, replies: Int?, likes: Int?, quotes: Int?)
    /// The brand replied to it.
    case answer(key: PostKey, time: Double, author: String?)

    package var key: PostKey {
        switch self {
        case .post(let key, _, _, _, _, _, _), .reshare(let key, _, _, _), .counts(let key, _, _, _, _, _), .answer(let key, _, _): return key
        }
    }

    package var isPost: Bool {
        if case .post = self { return true }
        return false
    }

    package var time: Double {
        switch self {
        case .post(_, let time, _, _, _, _, _), .reshare(_, let time, _, _), .counts(_, let time, _, _, _, _), .answer(_, let time, _): return time
        }
    }
}
