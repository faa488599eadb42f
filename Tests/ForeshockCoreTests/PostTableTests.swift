import Testing
@testable import ForeshockCore

@Suite("The shard's post table")
struct PostTableTests {
    /// xorshift, so the sequence of operations is the same on every run.
    struct Random {
        var state: UInt64 = 0x9E3779B97F4A7C15
        mutating func next(_ bound: Int) -> Int {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Int(state % UInt64(bound))
        }
    }

    @Test("Lookups agree with a dictionary through random inserts and removals, most keys sharing a few hashes")
    func agreesWithDictionary() {
        var table = PostTable()
        var model: [PostKey: UInt64] = [:]
        var random = Random()
        // Eight hashes for most keys: long probe runs, so removal's backward shift is exercised.
        func hash(_ id: Int) -> UInt64 { id % 4 == 0 ? PostKey(source: "s", id: String(id)).stableHash : UInt64(id % 8) }
        for step in 0..<6000 {
            let id = random.next(1500)
            let key = PostKey(source: "s", id: String(id))
            if let slot = table.slot(of: key, hash: hash(id)) {
                if random.next(3) == 0 {
                    table.remove(at: slot)
                    model[key] = nil
                } else {
                    table[slot].complaintScore += 1
                }
            } else {
                _ = table.insert(PostState(key: key, createdAt: Double(step)), hash: hash(id))
                model[key] = hash(id)
            }
            if step % 500 == 0 || step == 5999 {
                #expect(table.count == model.count)
                for id in 0..<1500 {
                    let key = PostKey(source: "s", id: String(id))
                    let slot = table.slot(of: key, hash: hash(id))
                    #expect((slot != nil) == (model[key] != nil), "step \(step), id \(id)")
                    if let slot { #expect(table[slot].key == key) }
                }
            }
        }
        // Emptied completely, the table still answers and shrinks its index.
        for key in model.keys {
            let id = Int(key.id)!
            if let slot = table.slot(of: key, hash: hash(id)) { table.remove(at: slot) }
        }
        #expect(table.isEmpty)
        #expect(table.slot(of: PostKey(source: "s", id: "1"), hash: hash(1)) == nil)
    }

    @Test("A read-ahead guess is a slot in use or none, and for most keys their own")
    func likelySlot() {
        var table = PostTable()
        #expect(table.likelySlot(hash: 42) == -1)
        let keys = (0..<3000).map { PostKey(source: $0 % 3 == 0 ? "x" : "m", id: String($0)) }
        for (step, key) in keys.enumerated() { _ = table.insert(PostState(key: key, createdAt: Double(step)), hash: key.stableHash) }
        // Half of them gone: removals move posts into holes and shift the index back.
        for key in keys where Int(key.id)! % 2 == 1 {
            if let slot = table.slot(of: key, hash: key.stableHash) { table.remove(at: slot) }
        }
        var own = 0
        for key in keys {
            let guess = table.likelySlot(hash: key.stableHash)
            #expect(guess == -1 || table.slots.contains(guess), "\(key.id): \(guess)")
            if let slot = table.slot(of: key, hash: key.stableHash), guess == slot { own += 1 }
        }
        // At most half full, a key is in its first bucket far more often than not.
        #expect(own * 10 >= table.count * 7, "\(own) of \(table.count)")
    }

    @Test("What ingest reads ahead of a post touches every cache line of its state, from the first byte to the last")
    func everyLineCoversTheState() {
        let reads = PostState.everyLineReads.sorted { $0.offset < $1.offset }
        #expect(reads.first?.offset == 0)
        // A line missed lies wholly between two reads, or after the last.
        for (before, after) in zip(reads, reads.dropFirst()) {
            #expect(after.offset - (before.offset + before.bytes) < 64, "nothing read from \(before.offset + before.bytes) to \(after.offset)")
        }
        let last = reads.last!
        #expect(MemoryLayout<PostState>.size - (last.offset + last.bytes) < 64, "nothing read past \(last.offset + last.bytes) of \(MemoryLayout<PostState>.size)")
    }

    @Test("Crossings come due in time order, and only once due")
    func dueHeap() {
        var heap = DueHeap()
        var random = Random()
        var dues: [Double] = []
        for index in 0..<500 {
            let due = Double(random.next(10_000))
            dues.append(due)
            heap.push(DueHeap.Entry(due: due, hash: UInt64(index), key: PostKey(source: "", id: String(index))))
        }
        #expect(heap.nextDue == dues.min())
        let first = heap.popDue(atOrBefore: 5000).map(\.due)
        #expect(first == dues.filter { $0 <= 5000 }.sorted())
        #expect(heap.nextDue > 5000)
        #expect(heap.popDue(atOrBefore: 5000).isEmpty)
        let rest = heap.popDue(atOrBefore: .infinity).map(\.due)
        #expect(rest == dues.filter { $0 > 5000 }.sorted())
        #expect(heap.count == 0 && heap.nextDue == .infinity)
    }
}
