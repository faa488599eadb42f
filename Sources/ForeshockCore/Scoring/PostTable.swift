/// What a `KeyedTable` holds: something found by its post's key.
@usableFromInline
package protocol PostKeyed {
    var key: PostKey { get }
}

/// The shard's posts: their states, found by key.
typealias PostTable = KeyedTable<PostState>

extension PostState: PostKeyed {}

/// Values by post key, in fixed-size chunks, found through an open-addressed index on
/// `PostKey.stableHash`: the shard's post states, and what a replay keeps of each post.
///
/// The caller computes that hash once per observation (the engine does, to pick the shard) and
/// hands it down, so finding a post costs a probe and one key comparison; a `Dictionary` would
/// hash both strings of the key again with SipHash on every lookup. Each bucket holds the
/// value's slot and 32 more bits of its hash, so a probe passes over other posts without
/// touching their values.
///
/// Values live in chunks that never move: a table that grows to a hundred thousand posts as one
/// array would copy every value each time it doubled, and fault in the pages of every copy.
/// Growth rebuilds only the index, from the stored hashes. A slot is valid until the next
/// insertion or removal (removal moves the last value into the hole).
///
/// Ids come from the networks, not from whoever writes the posts, so the table does not defend
/// against crafted collisions beyond mixing the hash's bits; a collision costs a longer probe,
/// never a wrong answer, since keys are compared.
///
/// Inlinable, so a target that stores its own values here gets it specialized, as swift-nio's
/// hot paths are.
@usableFromInline
package struct KeyedTable<Element: PostKeyed & Sendable>: Sendable {
    /// Values per chunk: 4,096 (post states of 272 bytes: about a megabyte a chunk).
    @inlinable static var chunkShift: Int { 12 }
    @inlinable static var chunkSize: Int { 1 << chunkShift }
    @usableFromInline var chunks: [ContiguousArray<Element>] = []
    @usableFromInline var hashes: ContiguousArray<UInt64> = []
    /// Per bucket, 0 when empty, else the mixed hash's high 32 bits over the slot plus one. A
    /// power of two long, at most half full.
    @usableFromInline var buckets: ContiguousArray<UInt64> = []
    @usableFromInline package internal(set) var count = 0

    @inlinable package init() {}

    @inlinable package var isEmpty: Bool { count == 0 }

    /// Every slot in use.
    @inlinable package var slots: Range<Int> { 0..<count }

    /// The state in `slot`, read or changed in place.
    @inlinable package subscript(slot: Int) -> Element {
        _read { yield chunks[slot >> Self.chunkShift][slot & (Self.chunkSize - 1)] }
        _modify { yield &chunks[slot >> Self.chunkShift][slot & (Self.chunkSize - 1)] }
    }

    /// - Returns: the post's slot, or nil when it is not tracked.
    @inlinable package func slot(of key: PostKey, hash: UInt64) -> Int? {
        guard !buckets.isEmpty else { return nil }
        let mixed = Self.mix(hash)
        let tag = (mixed >> 32) << 32
        let mask = buckets.count - 1
        var bucket = Int(truncatingIfNeeded: mixed) & mask
        while true {
            let entry = buckets[bucket]
            if entry == 0 { return nil }
            if entry & 0xFFFF_FFFF_0000_0000 == tag {
                let slot = Int(entry & 0xFFFF_FFFF) - 1
                if self[slot].key == key { return slot }
            }
            bucket = (bucket + 1) & mask
        }
    }

    /// The slot the first bucket of `hash`'s probe names, if its tag matches, else -1: a guess,
    /// its key not compared, for reading a value ahead of its lookup.
    @inlinable package func likelySlot(hash: UInt64) -> Int {
        guard !buckets.isEmpty else { return -1 }
        let mixed = Self.mix(hash)
        let entry = buckets[Int(truncatingIfNeeded: mixed) & (buckets.count - 1)]
        return entry != 0 && entry >> 32 == mixed >> 32 ? Int(entry & 0xFFFF_FFFF) - 1 : -1
    }

    /// Adds a post that is not tracked yet.
    /// - Returns: its slot.
    @inlinable package mutating func insert(_ state: Element, hash: UInt64) -> Int {
        if (count + 1) * 2 > buckets.count { rebuild(size: max(16, buckets.count * 2)) }
        if count >> Self.chunkShift == chunks.count {
            var chunk = ContiguousArray<Element>()
            chunk.reserveCapacity(Self.chunkSize)
            chunks.append(chunk)
        }
        chunks[count >> Self.chunkShift].append(state)
        hashes.append(hash)
        let slot = count
        count += 1
        place(slot)
        return slot
    }

    /// Removes the post in `slot`; the last post takes its slot.
    @inlinable package mutating func remove(at slot: Int) {
        let mask = buckets.count - 1
        // Backward-shift deletion: later entries of the same probe run move up into the hole,
        // so lookups never need tombstones.
        var hole = bucket(of: slot)
        buckets[hole] = 0
        var next = hole
        while true {
            next = (next + 1) & mask
            let entry = buckets[next]
            if entry == 0 { break }
            let home = Self.home(hashes[Int(entry & 0xFFFF_FFFF) - 1], mask)
            let staysPut = hole <= next ? (hole < home && home <= next) : (hole < home || home <= next)
            if !staysPut {
                buckets[hole] = entry
                buckets[next] = 0
                hole = next
            }
        }
        let last = count - 1
        // Moved, not swapped: a swap copies both states and retains their buffers.
        let moved = chunks[last >> Self.chunkShift].removeLast()
        let movedHash = hashes.removeLast()
        if slot != last {
            buckets[bucket(of: last, hash: movedHash)] = Self.entry(movedHash, slot: slot)
            self[slot] = moved
            hashes[slot] = movedHash
        }
        count -= 1
        // Empty chunks past the one the next insertion fills go, but one: a table that hovers at a
        // chunk's edge should not allocate and free a megabyte on each insertion and removal.
        while chunks.count > (count >> Self.chunkShift) + 2 { chunks.removeLast() }
        if buckets.count > 64, count * 8 < buckets.count { rebuild(size: buckets.count / 2) }
    }

    /// Bytes the chunks' unused room, the index and the hashes take beyond the states themselves.
    @inlinable package var overheadBytes: Int {
        (chunks.count * Self.chunkSize - count) * MemoryLayout<Element>.stride
            + buckets.capacity * MemoryLayout<UInt64>.stride + hashes.capacity * MemoryLayout<UInt64>.stride
    }

    /// FNV-1a's low bits are weak on short keys that differ in their last bytes: mixed
    /// (MurmurHash3's finalizer) before the low bits pick a bucket and the high ones tag it.
    @inlinable static func mix(_ hash: UInt64) -> UInt64 {
        var h = hash
        h ^= h >> 33
        h = h &* 0xff51afd7ed558ccd
        h ^= h >> 33
        h = h &* 0xc4ceb9fe1a85ec53
        h ^= h >> 33
        return h
    }

    /// The bucket a probe for `hash` starts at.
    @inlinable static func home(_ hash: UInt64, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: mix(hash)) & mask
    }

    @inlinable static func entry(_ hash: UInt64, slot: Int) -> UInt64 {
        (mix(hash) >> 32) << 32 | UInt64(slot + 1)
    }

    @inlinable mutating func place(_ slot: Int) {
        let mask = buckets.count - 1
        var bucket = Self.home(hashes[slot], mask)
        while buckets[bucket] != 0 { bucket = (bucket + 1) & mask }
        buckets[bucket] = Self.entry(hashes[slot], slot: slot)
    }

    /// The bucket holding `slot`, whose hash is `hash`.
    @inlinable func bucket(of slot: Int, hash: UInt64? = nil) -> Int {
        let mask = buckets.count - 1
        let hash = hash ?? hashes[slot]
        let entry = Self.entry(hash, slot: slot)
        var bucket = Self.home(hash, mask)
        while buckets[bucket] != entry { bucket = (bucket + 1) & mask }
        return bucket
    }

    @inlinable mutating func rebuild(size: Int) {
        buckets = ContiguousArray(repeating: 0, count: size)
        for slot in 0..<count { place(slot) }
    }
}
