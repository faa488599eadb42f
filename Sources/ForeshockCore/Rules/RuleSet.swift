/// Some of a config's rules, by their index in `rules[]`: the rules that hold for a post.
///
/// A bitmask rather than an array, so that judging a post allocates nothing; a config with more
/// than 64 rules spills into further words. Iterates in config order.
package struct RuleSet: Sequence, Sendable, Equatable {
    private var low: UInt64 = 0
    private var high: [UInt64] = []

    package init() {}

    package init(_ indices: some Sequence<Int>) {
        for index in indices { insert(index) }
    }

    package var isEmpty: Bool { low == 0 && high.allSatisfy { $0 == 0 } }

    package func contains(_ index: Int) -> Bool {
        let (word, bit) = index.quotientAndRemainder(dividingBy: 64)
        if word == 0 { return low & (1 << UInt64(bit)) != 0 }
        return word - 1 < high.count && high[word - 1] & (1 << UInt64(bit)) != 0
    }

    package mutating func insert(_ index: Int) {
        precondition(index >= 0, "rule indices are not negative")
        let (word, bit) = index.quotientAndRemainder(dividingBy: 64)
        if word == 0 {
            low |= 1 << UInt64(bit)
            return
        }
        while high.count < word { high.append(0) }
        high[word - 1] |= 1 << UInt64(bit)
    }

    package struct Iterator: IteratorProtocol {
        fileprivate let set: RuleSet
        fileprivate var word = 0
        fileprivate var remaining: UInt64

        package mutating func next() -> Int? {
            while remaining == 0 {
                word += 1
                guard word - 1 < set.high.count else { return nil }
                remaining = set.high[word - 1]
            }
            let bit = remaining.trailingZeroBitCount
            remaining &= remaining - 1
            return word * 64 + bit
        }
    }

    package func makeIterator() -> Iterator { Iterator(set: self, remaining: low) }
}
