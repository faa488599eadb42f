import ForeshockSupport
import ForeshockTransport
import Foundation
import Synchronization

/// A feed's streaming API (server-sent events; Mastodon's `/api/v1/streaming/hashtag?tag=`):
/// new mentions seconds after they are posted instead of one poll interval later. Runs beside
/// the poller, which still catches whatever the stream misses; both go through the poller's
/// seen set, and both stamp what they see with the poller's clock.
package struct FeedStream: Sendable {
    package let poller: FeedPoller
    private let client: HTTPClient
    /// Longest wait between reconnections.
    package static let maxBackoff: Double = 60

    private let request: HTTPRequest
    /// Chunks received and not yet read that the stream holds at most (libcurl hands over up to
    /// 16 KB at a time). Past it the connection is dropped and opened again after the usual
    /// wait, the poller catching up what it missed: a busy tag whose events come faster than
    /// they are handled would otherwise fill memory without end.
    package let maxBufferedChunks: Int

    /// - Parameter maxBufferedChunks: see the property (1,024: about 16 MB at most).
    /// - Returns: nil when the poller's feed has no stream to listen to.
    package init?(poller: FeedPoller, client: HTTPClient = HTTPClient(), maxBufferedChunks: Int = 1024) {
        guard let request = poller.feed.streamRequest() else { return nil }
        self.poller = poller
        self.client = client
        self.request = request
        self.maxBufferedChunks = max(1, maxBufferedChunks)
    }

    /// Listens until the task is cancelled, reconnecting with exponential back-off and jitter.
    /// - Parameters:
    ///   - handle: called with each batch of new mentions (an outcome with no requests counted).
    ///   - problem: called with one line when the stream breaks or is refused.
    package func run(_ handle: @escaping @Sendable (PollOutcome) async -> Void, problem: @escaping @Sendable (String) -> Void = { _ in }) async {
        let feed = poller.feed, request = request
        var failures = 0
        while !Task.isCancelled {
            let (events, continuation) = AsyncStream<Data>.makeStream(bufferingPolicy: .bufferingOldest(maxBufferedChunks))
            let received = Mutex(false)
            let reader = Task {
                var decoder = ServerSentEvents()
                // A server that keeps sending events it cannot read is said at the first and every
                // hundredth in a row, as a poll's unreadable items are, not once an event.
                var unreadable = FailureNotice()
                for await chunk in events {
                    // Stopped: the chunks still buffered are left (a finished stream hands them on).
                    if Task.isCancelled { return }
                    for event in decoder.feed(chunk) {
                        // Before the seen set takes them: once taken, only this handles them.
                        if Task.isCancelled { return }
                        let mentions: [Mention]
                        do throws(FeedError) {
                            guard let carried = try feed.parseStreamEvent(type: event.type, data: event.data) else { continue }
                            mentions = carried
                        } catch {
                            if unreadable.failed() { problem("stream sent a \(event.type) event that cannot be read: \(error)") }
                            continue
                        }
                        _ = unreadable.succeeded()
                        received.withLock { $0 = true }
                        var outcome = PollOutcome(source: poller.source.name, observedAt: poller.now, nextPollAfter: 0)
                        outcome.mentions = poller.accept(mentions)
                        outcome.answers = poller.brandReplies(in: outcome.mentions)
                        if !outcome.mentions.isEmpty { await handle(outcome) }
                    }
                }
            }
            do {
                let response = try await client.stream(request) { chunk in
                    if case .dropped = continuation.yield(chunk) { return false }
                    return true
                }
                continuation.finish()
                await Self.finish(reader)
                if Task.isCancelled { return }
                if !response.isSuccess { problem("stream refused: HTTP \(response.status)") } else { problem("stream closed by the server") }
            } catch {
                continuation.finish()
                if error.code == .cancelled { reader.cancel() }
                await Self.finish(reader)
                if error.code == .cancelled || Task.isCancelled { return }
                // The reader read what came before the chunk refused; what follows it is the poller's.
                if error.code == .fellBehind {
                    problem("stream fell behind: more than \(maxBufferedChunks) chunks waited to be read, so it reconnects and the poller catches up what it missed")
                } else {
                    problem("stream broke: \(error)")
                }
            }
            failures = received.withLock { $0 } ? 1 : failures + 1
            let delay = min(Self.maxBackoff, pow(2, Double(failures - 1))) * Double.random(in: 0.8...1.2)
            try? await Task.sleep(nanoseconds: UInt64(delay * 1e9))
        }
    }

    /// Waits for a connection's reader to work through what it buffered, or, stopped (a reload,
    /// SIGTERM) before or while it does, tells it to stop and waits for that: what it has not
    /// handled yet is left, not worked through with its look-ups past the stop (a full buffer
    /// after falling behind is a thousand chunks); none of it was taken as seen, so the poller
    /// finds it. The reader is a task of its own: told, not inherited.
    private static func finish(_ reader: Task<Void, Never>) async {
        await withTaskCancellationHandler { await reader.value } onCancel: { reader.cancel() }
    }
}
