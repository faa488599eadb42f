/// A post as the scoring core knows it: ids are scoped by source, since two networks may
/// reuse an id.
///
/// Its hashing and the observation's accessors are `@inlinable`: replay and the service look
/// posts up by key once per observation, from other targets.
@usableFromInline
package struct PostKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    @usableFromInline package var source: String
    @usableFromInline package var id: String

    @inlinable package init(source: String, id: String) {
        self.source = source
        self.id = id
    }

    @usableFromInline package static func < (a: PostKey, b: PostKey) -> Bool { (a.source, a.id) < (b.source, b.id) }
    @usableFromInline package var description: String { source.isEmpty ? id : "\(source):\(id)" }

    /// FNV-1a over the source and the id: the same in every process (Swift's `Hasher` is seeded
    /// per process), so it picks a post's shard, and computed once per observation it also finds
    /// the post in its shard's `PostTable`.
    @inlinable package var stableHash: UInt64 {
        var hash: UInt64 = 0xcbf29ce484222325
        for byte in source.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100000001b3 }
        hash = (hash ^ 0x1f) &* 0x100000001b3
        for byte in id.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100000001b3 }
        return hash
    }

    /// A key for sets and dictionaries that hashes `stableHash` (one word) instead of both
    /// strings: exact, since equal hashes still compare the keys, and cheaper where every
    /// line of a recording is looked up.
    @usableFromInline
    package struct Hashed: Hashable, Sendable {
        @usableFromInline package let key: PostKey
        @usableFromInline let hash: UInt64

        @inlinable package init(_ key: PostKey) {
            self.key = key
            hash = key.stableHash
        }

        @inlinable package static func == (a: Hashed, b: Hashed) -> Bool { a.hash == b.hash && a.key == b.key }
        @inlinable package func hash(into hasher: inout Hasher) { hasher.combine(hash) }
    }
}

/// One thing seen about a post, stamped with the time it was seen. This is all the scoring core
/// reads: the same values come from a live poll or from a recording, so watch and replay run
/// the same code. Times are Unix seconds.
@usableFromInline
package enum Observation: Sendable, Equatable {
    /// A post appeared.
    case post(key: PostKey, time: Double, createdAt: Double, author: String?, followers: Double?, text: String?, url: String?)
    /// Someone reshared it (followers nil when the API does not say).
    case reshare(key: PostKey, time: Double, user: String?, followers: Double?)
    /// Its counters, polled; a nil counter is unchanged.
    case counts(key: PostKey, time: Double, reshares: Int?, replies: Int?, likes: Int?, quotes: Int?)
    /// The brand replied to it.
    case answer(key: PostKey, time: Double, author: String?)

    @inlinable package var key: PostKey {
        switch self {
        case .post(let key, _, _, _, _, _, _), .reshare(let key, _, _, _), .counts(let key, _, _, _, _, _), .answer(let key, _, _): return key
        }
    }

    package var isPost: Bool {
        if case .post = self { return true }
        return false
    }

    @inlinable package var time: Double {
        switch self {
        case .post(_, let time, _, _, _, _, _), .reshare(_, let time, _, _), .counts(_, let time, _, _, _, _), .answer(_, let time, _): return time
        }
    }
}
