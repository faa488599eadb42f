/// When each open post crosses an `unanswered_for_at_least` threshold: a min-heap on that time.
///
/// "The brand has not answered for 30 minutes" is the one condition that can start to hold with
/// nothing new arriving, so a tick evaluates the posts whose crossing is due instead of every
/// open post (a replay of a recording that spans months ticks a million times). An entry whose
/// post was answered or evicted in the meantime is dropped when it comes due.
struct DueHeap: Sendable {
    struct Entry: Sendable {
        var due: Double
        var hash: UInt64
        var key: PostKey
    }

    private var entries: [Entry] = []

    var count: Int { entries.count }

    /// The earliest time an entry is due, +∞ when there is none.
    var nextDue: Double { entries.first?.due ?? .infinity }

    mutating func push(_ entry: Entry) {
        entries.append(entry)
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child].due < entries[parent].due else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns every entry due at or before `time`.
    mutating func popDue(atOrBefore time: Double) -> [Entry] {
        var out: [Entry] = []
        while let first = entries.first, first.due <= time {
            out.append(first)
            let last = entries.removeLast()
            guard !entries.isEmpty else { break }
            entries[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var smallest = parent
                if left < entries.count, entries[left].due < entries[smallest].due { smallest = left }
                if right < entries.count, entries[right].due < entries[smallest].due { smallest = right }
                guard smallest != parent else { break }
                entries.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return out
    }

    mutating func removeAll() { entries.removeAll() }

    /// Bytes held, for the benchmark's memory figure (the keys' text is counted with the posts).
    var approximateBytes: Int { entries.capacity * MemoryLayout<Entry>.stride }
}
