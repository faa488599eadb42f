import CCurl
import Foundation
import Synchronization

/// Runs many libcurl transfers at once on one multi handle, driven by `curl_multi_poll` on a
/// thread of its own and woken by `curl_multi_wakeup` when work is submitted or cancelled.
///
/// The multi handle also pools connections, so every client in the process shares one engine.
package final class CurlEngine: Sendable {
    /// The process-wide engine.
    package static let shared = CurlEngine()

    private struct Pending {
        var added: [CurlTransfer] = []
        /// The transfers themselves, not their identities: a cancel can reach the loop before
        /// its transfer does (see `loop`), and an identity kept for later could name another
        /// transfer by then.
        var cancelled: [CurlTransfer] = []
    }

    /// `@unchecked Sendable`: the multi handle is only used by the loop thread, except for
    /// `curl_multi_wakeup`, which libcurl documents as safe to call from any thread.
    private final class MultiHandle: @unchecked Sendable {
        let pointer: UnsafeMutableRawPointer
        init() {
            CurlGlobal.ensureInitialized()
            pointer = curl_multi_init()
        }
    }

    private let multi = MultiHandle()
    private let pending = Mutex(Pending())

    private init() {
        _ = ccurl_multi_setopt_long(multi.pointer, CURLMOPT_MAXCONNECTS, 2048)
        // The loop keeps the engine alive for the life of the process, as `shared` does.
        let thread = Thread { [self] in loop() }
        thread.name = "foreshock.curl"
        thread.start()
    }

    /// Hands a configured transfer to the loop; its completion runs on the loop thread.
    func submit(_ transfer: CurlTransfer) {
        pending.withLock { $0.added.append(transfer) }
        curl_multi_wakeup(multi.pointer)
    }

    /// Aborts a transfer that was submitted; its completion reports `.cancelled`.
    func cancel(_ transfer: CurlTransfer) {
        pending.withLock { $0.cancelled.append(transfer) }
        curl_multi_wakeup(multi.pointer)
    }

    private func loop() {
        var running: [UnsafeMutableRawPointer: CurlTransfer] = [:]
        while true {
            let work = pending.withLock { state -> Pending in
                defer { state = Pending() }
                return state
            }
            for transfer in work.added {
                // Its task was cancelled before it was submitted, and the cancel came in an
                // earlier pass: it never starts (run, it would hold a stop for its whole timeout).
                if transfer.cancelRequested {
                    transfer.fail(TransportError(code: .cancelled, message: "cancelled"))
                    continue
                }
                running[transfer.handle] = transfer
                let code = curl_multi_add_handle(multi.pointer, transfer.handle)
                if code != CURLM_OK {
                    running[transfer.handle] = nil
                    transfer.fail(TransportError(code: .other, message: String(cString: curl_multi_strerror(code))))
                }
            }
            for transfer in work.cancelled {
                // Not running: not submitted yet (a task cancelled as it began the transfer), or
                // already finished. Marked, so that it fails as it comes.
                guard running[transfer.handle] === transfer else {
                    transfer.cancelRequested = true
                    continue
                }
                curl_multi_remove_handle(multi.pointer, transfer.handle)
                running[transfer.handle] = nil
                transfer.fail(TransportError(code: .cancelled, message: "cancelled"))
            }
            var stillRunning: Int32 = 0
            curl_multi_perform(multi.pointer, &stillRunning)
            var easy: UnsafeMutableRawPointer?
            var result = CURLE_OK
            while ccurl_multi_info_read_done(multi.pointer, &easy, &result) != 0 {
                guard let easy, let transfer = running.removeValue(forKey: easy) else { continue }
                curl_multi_remove_handle(multi.pointer, easy)
                transfer.complete(result)
            }
            var ready: Int32 = 0
            curl_multi_poll(multi.pointer, nil, 0, 1000, &ready)
        }
    }
}

extension CurlEngine {
    /// Runs a transfer to its end, cancelling it when the calling task is cancelled.
    func perform(_ transfer: CurlTransfer) async throws(TransportError) -> CurlOutcome {
        if Task.isCancelled { throw TransportError(code: .cancelled, message: "cancelled") }
        let result: Result<CurlOutcome, TransportError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                transfer.onComplete { continuation.resume(returning: $0) }
                submit(transfer)
            }
        } onCancel: {
            cancel(transfer)
        }
        return try result.get()
    }
}
