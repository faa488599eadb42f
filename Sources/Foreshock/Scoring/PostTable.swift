/// The posts of one shard by key: their states in one dense array, found through an
/// open-addressed index on `PostKey.stableHash`.
///
/// The engine computes that hash once per observation to pick the shard and hands it down, so
/// finding a post costs a probe and one key comparison. A `Dictionary` would hash both strings of
/// the key again with SipHash on every lookup, and when it grows it moves every state; here growth
/// rebuilds only the index, from the stored hashes. A slot is valid until the next insertion or
/// removal (removal moves the last post into the hole).
///
/// Ids come from the networks, not from whoever writes the posts, so the table does not defend
/// against crafted collisions beyond mixing the hash's bits; a collision costs a longer probe,
/// never a wrong answer, since keys are compared.
struct PostTable: Sendable {
    private(set) var states: ContiguousArray<PostState> = []
    private var hashes: ContiguousArray<UInt64> = []
    /// Per bucket, the slot of a post plus one, or 0 when empty. A power of two long, at most
    /// half full.
    private var buckets: ContiguousArray<UInt32> = []

    var count: Int { states.count }
    var isEmpty: Bool { states.isEmpty }

    /// The state in `slot`, read or changed in place.
    subscript(slot: Int) -> PostState {
        _read { yield states[slot] }
        _modify { yield &states[slot] }
    }

    /// - Returns: the post's slot, or nil when it is not tracked.
    func slot(of key: PostKey, hash: UInt64) -> Int? {
        guard !buckets.isEmpty else { return nil }
        let mask = buckets.count - 1
        var bucket = Self.home(hash, mask)
        while true {
            let entry = Int(buckets[bucket])
            if entry == 0 { return nil }
            if hashes[entry - 1] == hash, states[entry - 1].key == key { return entry - 1 }
            bucket = (bucket + 1) & mask
        }
    }

    /// Adds a post that is not tracked yet.
    /// - Returns: its slot.
    mutating func insert(_ state: PostState, hash: UInt64) -> Int {
        if (states.count + 1) * 2 > buckets.count { rebuild(size: max(16, buckets.count * 2)) }
        let slot = states.count
        states.append(state)
        hashes.append(hash)
        place(slot)
        return slot
    }

    /// Removes the post in `slot`; the last post takes its slot.
    mutating func remove(at slot: Int) {
        let mask = buckets.count - 1
        // Backward-shift deletion: later entries of the same probe run move up into the hole,
        // so lookups never need tombstones.
        var hole = bucket(of: slot)
        buckets[hole] = 0
        var next = hole
        while true {
            next = (next + 1) & mask
            let entry = Int(buckets[next])
            if entry == 0 { break }
            let home = Self.home(hashes[entry - 1], mask)
            let staysPut = hole <= next ? (hole < home && home <= next) : (hole < home || home <= next)
            if !staysPut {
                buckets[hole] = buckets[next]
                buckets[next] = 0
                hole = next
            }
        }
        let last = states.count - 1
        if slot != last {
            buckets[bucket(of: last)] = UInt32(slot + 1)
            states.swapAt(slot, last)
            hashes.swapAt(slot, last)
        }
        states.removeLast()
        hashes.removeLast()
        if buckets.count > 64, states.count * 8 < buckets.count { rebuild(size: buckets.count / 2) }
    }

    /// Bytes the index and hashes take beyond the states themselves.
    var overheadBytes: Int { buckets.capacity * MemoryLayout<UInt32>.stride + hashes.capacity * MemoryLayout<UInt64>.stride }

    private static func home(_ hash: UInt64, _ mask: Int) -> Int {
        // FNV-1a's low bits are weak on short keys that differ in their last bytes: mix them
        // (MurmurHash3's finalizer) before masking.
        var h = hash
        h ^= h >> 33
        h = h &* 0xff51afd7ed558ccd
        h ^= h >> 33
        h = h &* 0xc4ceb9fe1a85ec53
        h ^= h >> 33
        return Int(truncatingIfNeeded: h) & mask
    }

    private mutating func place(_ slot: Int) {
        let mask = buckets.count - 1
        var bucket = Self.home(hashes[slot], mask)
        while buckets[bucket] != 0 { bucket = (bucket + 1) & mask }
        buckets[bucket] = UInt32(slot + 1)
    }

    private func bucket(of slot: Int) -> Int {
        let mask = buckets.count - 1
        var bucket = Self.home(hashes[slot], mask)
        while Int(buckets[bucket]) != slot + 1 { bucket = (bucket + 1) & mask }
        return bucket
    }

    private mutating func rebuild(size: Int) {
        buckets = ContiguousArray(repeating: 0, count: size)
        for slot in states.indices { place(slot) }
    }
}
