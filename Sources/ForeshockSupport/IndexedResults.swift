import Foundation

/// What concurrent work produces (the iterations of `DispatchQueue.concurrentPerform`, or
/// blocks on several queues), each index written by exactly one of them, read back in index
/// order once all are done.
///
/// `@unchecked Sendable`: every access goes through the lock.
///
/// Inlinable so that it is specialized where it is used: called generically from another
/// target, every value (the features of 100,000 posts, each a few hundred bytes) was copied
/// through the type's value witnesses, which cost the bench's predictions about a tenth.
@usableFromInline
package final class IndexedResults<Value: Sendable>: @unchecked Sendable {
    @usableFromInline let lock = NSLock()
    @usableFromInline var storage: [Value?]

    @inlinable package init(count: Int) { storage = Array(repeating: nil, count: count) }

    @inlinable package func set(_ index: Int, _ value: Value) {
        lock.lock(); storage[index] = value; lock.unlock()
    }

    /// Sets several values under one lock, each at its index.
    @inlinable package func set(_ values: [(index: Int, value: Value)]) {
        lock.lock(); defer { lock.unlock() }
        for (index, value) in values { storage[index] = value }
    }

    /// The values in index order (an index never set is left out).
    @inlinable package var values: [Value] { lock.lock(); defer { lock.unlock() }; return storage.compactMap { $0 } }

    /// The values in index order, nil where none was set, handed over without a copy: the
    /// results are empty afterwards.
    @inlinable package func take() -> [Value?] {
        lock.lock(); defer { lock.unlock() }
        var taken: [Value?] = []
        swap(&taken, &storage)
        return taken
    }
}
