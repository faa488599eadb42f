import Dispatch

/// Runs CPU-bound test work on a Dispatch queue rather than on the test's own thread.
///
/// That thread belongs to Swift concurrency's pool, one thread per core (two here). Seconds of
/// synchronous scoring there leave the async tests running beside it no thread at all: the
/// notifier's sink workers then deliver nothing before their deadlines.
func offCooperativePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(with: Result { try work() })
        }
    }
}
