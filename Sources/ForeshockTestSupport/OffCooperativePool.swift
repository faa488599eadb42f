import Foundation
import Glibc

/// Runs CPU-bound test work on a thread of its own, at a lower priority, rather than on the
/// test's own thread.
///
/// That thread belongs to Swift concurrency's pool, one thread per core (two here). Seconds of
/// synchronous scoring there leave the async tests running beside it no thread at all: the
/// notifier's sink workers then deliver nothing before their deadlines. Off the pool but at the
/// same priority, a handful of such tests still take most of both cores from the tests that run
/// on a clock: the demo, played 300 times faster than real time in this process, once printed
/// its first progress line 17 s late and missed most of its hour. Niced, this work takes what
/// those leave.
package func offCooperativePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            #if os(Linux)
            // On Linux the nice value is the calling thread's own, and this thread ends with the work.
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
            #endif
            continuation.resume(with: Result { try work() })
        }
        thread.start()
    }
}
