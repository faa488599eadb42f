import Foundation

/// What the iterations of `DispatchQueue.concurrentPerform` produce, each index written by
/// exactly one iteration, read back in index order once all are done.
///
/// `@unchecked Sendable`: every access goes through the lock.
package final class IndexedResults<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Value?]

    package init(count: Int) { storage = Array(repeating: nil, count: count) }

    package func set(_ index: Int, _ value: Value) {
        lock.lock(); storage[index] = value; lock.unlock()
    }

    /// The values in index order (an index never set is left out).
    package var values: [Value] { lock.lock(); defer { lock.unlock() }; return storage.compactMap { $0 } }
}
