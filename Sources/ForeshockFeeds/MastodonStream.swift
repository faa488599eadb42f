import ForeshockTransport
import Foundation
import Synchronization

/// Mastodon's streaming API for a hashtag (`/api/v1/streaming/hashtag?tag=`): new statuses
/// seconds after they are posted instead of one poll interval later. Runs beside the REST
/// poller, which still catches whatever the stream misses; both go through the poller's seen set.
package struct MastodonStream: Sendable {
    package let poller: FeedPoller
    private let client: HTTPClient
    /// Longest wait between reconnections.
    package static let maxBackoff: Double = 60

    package init(poller: FeedPoller, client: HTTPClient = HTTPClient()) {
        self.poller = poller
        self.client = client
    }

    var request: HTTPRequest {
        let feed = MastodonFeed(source: poller.source)
        var request = feed.request(feed.url("/api/v1/streaming/hashtag", [("tag", feed.tag)]))
        request.timeout = 0 // a stream lasts as long as the server keeps it open
        request.headers.set("Accept", "text/event-stream")
        return request
    }

    /// Listens until the task is cancelled, reconnecting with exponential back-off and jitter.
    /// - Parameters:
    ///   - handle: called with each batch of new mentions (an outcome with no requests counted).
    ///   - problem: called with one line when the stream breaks or is refused.
    package func run(_ handle: @escaping @Sendable (PollOutcome) async -> Void, problem: @escaping @Sendable (String) -> Void = { _ in }) async {
        let feed = MastodonFeed(source: poller.source)
        var failures = 0
        while !Task.isCancelled {
            let (events, continuation) = AsyncStream<Data>.makeStream()
            let received = Mutex(false)
            let reader = Task {
                var decoder = ServerSentEvents()
                for await chunk in events {
                    for event in decoder.feed(chunk) where event.type == "update" {
                        received.withLock { $0 = true }
                        guard let page = try? feed.parseMentions(Data("[\(event.data)]".utf8)) else {
                            problem("stream sent an update that is not a status")
                            continue
                        }
                        var outcome = PollOutcome(source: poller.source.name, observedAt: Date(), nextPollAfter: 0)
                        outcome.mentions = poller.accept(page.mentions)
                        outcome.answers = poller.brandReplies(in: outcome.mentions)
                        if !outcome.mentions.isEmpty { await handle(outcome) }
                    }
                }
            }
            do {
                let response = try await client.stream(request) { continuation.yield($0) }
                continuation.finish()
                await reader.value
                if !response.isSuccess { problem("stream refused: HTTP \(response.status)") } else { problem("stream closed by the server") }
            } catch {
                continuation.finish()
                await reader.value
                if error.code == .cancelled || Task.isCancelled { return }
                problem("stream broke: \(error)")
            }
            failures = received.withLock { $0 } ? 1 : failures + 1
            let delay = min(Self.maxBackoff, pow(2, Double(failures - 1))) * Double.random(in: 0.8...1.2)
            try? await Task.sleep(nanoseconds: UInt64(delay * 1e9))
        }
    }
}
