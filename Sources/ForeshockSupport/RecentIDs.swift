/// The ids seen most recently, at most `capacity` of them: enough to drop what an overlapping
/// poll returns again (a poller's seen set), or to know what was just settled (the outbox),
/// without growing for the months a watch runs.
package struct RecentIDs: Sendable {
    package private(set) var capacity: Int
    private var members: Set<String> = []
    private var order: [String] = []
    private var head = 0

    package init(capacity: Int = 10_000) {
        self.capacity = max(1, capacity)
    }

    package var count: Int { members.count }

    package func contains(_ id: String) -> Bool { members.contains(id) }

    /// The ids held, oldest first.
    package var ordered: [String] { order.count < capacity ? order : Array(order[head...] + order[..<head]) }

    /// Grows to hold at least `count` ids, keeping those held and their order.
    package mutating func reserve(atLeast count: Int) {
        guard count > capacity else { return }
        let held = ordered
        capacity = count
        order = held
        head = 0
    }

    /// Adds an id; returns false when it was already there.
    @discardableResult
    package mutating func insert(_ id: String) -> Bool {
        guard !members.contains(id) else { return false }
        members.insert(id)
        if order.count < capacity {
            order.append(id)
        } else {
            // A ring: the oldest id makes room for the newest.
            members.remove(order[head])
            order[head] = id
            head = (head + 1) % capacity
        }
        return true
    }
}
