import Dispatch
import Synchronization

/// Checks, rather than trusts, that calls into an object that is not thread-safe never
/// overlap, in the manner of swift-nio's `NIOLoopBound`: the owner must serialize its calls,
/// and one that does not stops the process with a sentence saying so instead of corrupting
/// state in silence. Two atomic operations a call.
package final class ExclusiveAccess: Sendable {
    private let busy = Atomic<Bool>(false)
    private let owner: String

    /// - Parameter owner: the type, for the message.
    package init(_ owner: String) {
        self.owner = owner
    }

    /// Runs `body`, stopping the process if another call is running it at the same moment.
    package func run<T>(_ call: StaticString, _ body: () throws -> T) rethrows -> T {
        guard enter() else {
            preconditionFailure("\(owner).\(call) was called while another call into it was running: its owner must make one call at a time")
        }
        defer { leave() }
        return try body()
    }

    /// Takes the object for one call; false when another call holds it. Tests use this to see
    /// the check work without stopping the process.
    func enter() -> Bool {
        busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
    }

    /// Gives the object back after `enter()`.
    func leave() {
        busy.store(false, ordering: .releasing)
    }
}

/// Runs CPU-bound or blocking work on a Dispatch thread and awaits it: what blocks (a
/// `DispatchGroup.wait`, a parse of megabytes) must never hold one of Swift concurrency's
/// few threads, or every other task waits behind it.
package func onDispatchThread<T: Sendable>(_ queue: DispatchQueue = .global(), _ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        queue.async { continuation.resume(returning: body()) }
    }
}
