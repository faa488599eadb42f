extension Sequence where Element: Hashable {
    /// The elements without repeats, each where it first stands: an order that means something
    /// (the rules as the specs name them, messages as they were queued) kept.
    package func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
