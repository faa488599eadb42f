import Dispatch
import Foundation

/// Turns process signals into an async sequence, through `DispatchSource` as
/// swift-service-lifecycle does: the default action is switched off so SIGTERM does not kill the
/// process before it has stopped polling, drained its deliveries and written its state.
///
/// `@unchecked Sendable`: `sources` is set once in `init` and only read after; dispatch sources
/// themselves may be cancelled from any thread.
package final class SignalListener: @unchecked Sendable {
    package let signals: AsyncStream<Int32>
    private let continuation: AsyncStream<Int32>.Continuation
    private let sources: [any DispatchSourceSignal]

    /// Starts listening for `numbers` (e.g. SIGTERM, SIGINT, SIGHUP).
    package init(_ numbers: [Int32]) {
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        signals = stream
        self.continuation = continuation
        sources = numbers.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            return source
        }
    }

    /// Delivers a signal as if the process had received it (a timed stop, as in the demo).
    package func inject(_ number: Int32) {
        continuation.yield(number)
    }

    /// Stops listening and gives the signals their default action back.
    package func cancel() {
        for source in sources {
            source.cancel()
            signal(Int32(source.handle), SIG_DFL)
        }
    }

    package static func name(_ number: Int32) -> String {
        switch number {
        case SIGTERM: return "SIGTERM"
        case SIGINT: return "SIGINT"
        case SIGHUP: return "SIGHUP"
        default: return "signal \(number)"
        }
    }
}
