import Foundation

/// What the iterations of `DispatchQueue.concurrentPerform` produce, each index written by
/// exactly one iteration, read back in index order once all are done.
///
/// `@unchecked Sendable`: every access goes through the lock.
final class IndexedResults<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Value?]

    init(count: Int) { storage = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ value: Value) {
        lock.lock(); storage[index] = value; lock.unlock()
    }

    /// The values in index order (an index never set is left out).
    var values: [Value] { lock.lock(); defer { lock.unlock() }; return storage.compactMap { $0 } }
}
