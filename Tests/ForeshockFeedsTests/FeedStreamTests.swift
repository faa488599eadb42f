import Foundation
import Synchronization
import Testing
@testable import ForeshockTransport
@testable import ForeshockFeeds
@testable import ForeshockTestSupport

@Suite("Mastodon streaming over a long-lived libcurl transfer")
struct FeedStreamTests {
    @Test("Events split anywhere decode the same; heartbeats and CRLF are handled")
    func decoder() {
        let text = ":thump\r\nevent: update\r\ndata: {\"a\":1}\r\n\r\n:thump\nevent: delete\ndata: 42\n\nevent: update\ndata: line1\ndata: line2\n\n"
        var whole = ServerSentEvents()
        let expected = whole.feed(Data(text.utf8))
        #expect(expected == [.init(type: "update", data: "{\"a\":1}"), .init(type: "delete", data: "42"), .init(type: "update", data: "line1\nline2")])
        for size in [1, 2, 3, 7] {
            var pieces = ServerSentEvents()
            var events: [ServerSentEvents.Event] = []
            let bytes = Array(text.utf8)
            for start in stride(from: 0, to: bytes.count, by: size) {
                events += pieces.feed(Data(bytes[start..<min(start + size, bytes.count)]))
            }
            #expect(events == expected, "piece size \(size)")
        }
    }

    @Test("Only a feed that declares a stream gets one: a Mastodon hashtag with stream: true, not one without, not a search, not another network")
    func streamDeclaredByFeed() {
        var tag = testSource(.mastodon)
        #expect(FeedStream(poller: FeedPoller(feed: MastodonFeed(source: tag))) == nil)
        tag.stream = true
        #expect(FeedStream(poller: FeedPoller(feed: MastodonFeed(source: tag))) != nil)
        var search = tag
        search.mode = .search
        #expect(FeedStream(poller: FeedPoller(feed: MastodonFeed(source: search))) == nil)
        #expect(FeedStream(poller: FeedPoller(feed: HackerNewsFeed(source: testSource(.hackernews)))) == nil)
    }

    @Test("Updates arrive as mentions while the stream is open, and it reconnects when the server closes it")
    func streamAndReconnect() async throws {
        let status1 = try mastodonStatus(id: "900")
        let reblog = String(decoding: try payload("mastodon/statuses_reblog_mastodonpy.json"), as: UTF8.self).dropFirst().dropLast(2)
        let api = try await ScriptedAPI(["/api/v1/streaming/hashtag": [
            ["chunks": [["data": ":)\n"], ["data": "event: update\ndata: \(status1)\n\n", "delay": 0.2],
                        ["data": ":thump\n", "delay": 0.2], ["data": "event: delete\ndata: 900\n\n"]]],
            ["chunks": [["data": "event: update\ndata: \(reblog)\n\n"], ["data": "event: update\ndata: \(status1)\n\n"], ["data": ":\n", "delay": 30]]],
        ]])
        defer { api.stop() }
        var source = testSource(.mastodon, base: api.base)
        source.stream = true
        let poller = FeedPoller(feed: MastodonFeed(source: source))
        let stream = try #require(FeedStream(poller: poller))
        let seen = Mutex<[String]>([])
        let problems = Mutex<[String]>([])
        let task = Task {
            await stream.run({ outcome in seen.withLock { $0 += outcome.mentions.map(\.id) } }, problem: { line in problems.withLock { $0.append(line) } })
        }
        let deadline = Date().addingTimeInterval(30)
        while seen.withLock({ $0.count }) < 3, Date() < deadline {
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        task.cancel()
        await task.value
        // The repeated status 900 after reconnecting is dropped by the seen set.
        #expect(seen.withLock { $0 } == ["900", "109440142482846015", "109440142486581428"])
        #expect(problems.withLock { $0 }.first == "stream closed by the server")
        let requests = try await api.requests(to: "/api/v1/streaming/hashtag")
        #expect(requests.count == 2)
        #expect(requests[0].path.contains("tag=acme"))
    }

    @Test("A stop while a batch is being handled ends the stream at once: the handling is told to stop, and what was still buffered is left for the poller, not worked through")
    func stopCancelsTheReader() async throws {
        let first = try mastodonStatus(id: "900"), second = try mastodonStatus(id: "901")
        let api = try await ScriptedAPI(["/api/v1/streaming/hashtag": [
            ["chunks": [["data": "event: update\ndata: \(first)\n\n"], ["data": "event: update\ndata: \(second)\n\n", "delay": 0.3], ["data": ":\n", "delay": 30]]],
        ]])
        defer { api.stop() }
        var source = testSource(.mastodon, base: api.base)
        source.stream = true
        let stream = try #require(FeedStream(poller: FeedPoller(feed: MastodonFeed(source: source))))
        let seen = Mutex<[String]>([])
        let task = Task {
            await stream.run { outcome in
                seen.withLock { $0 += outcome.mentions.map(\.id) }
                // A handling that takes long (look-ups of a slow API) unless told to stop.
                try? await Task.sleep(nanoseconds: 30_000_000_000)
            }
        }
        let deadline = Date().addingTimeInterval(20)
        while seen.withLock({ $0.isEmpty }), Date() < deadline { try await Task.sleep(nanoseconds: 20_000_000) }
        // The second update is in the buffer by now, behind the first's handling.
        try await Task.sleep(nanoseconds: 800_000_000)
        let stopped = Date()
        task.cancel()
        await task.value
        #expect(Date().timeIntervalSince(stopped) < 10)
        #expect(seen.withLock { $0 } == ["900"])
    }

    @Test("A reader that cannot keep up: past its buffer the stream is dropped with one line that says so, reconnects and reads on")
    func fallsBehind() async throws {
        let first = try mastodonStatus(id: "900"), later = try mastodonStatus(id: "901")
        // Heartbeats a few milliseconds apart, each its own chunk, while the first update's handling takes seconds.
        let beats: [[String: Any]] = (0..<60).map { _ in ["data": ":\n", "delay": 0.01] }
        let api = try await ScriptedAPI(["/api/v1/streaming/hashtag": [
            ["chunks": [["data": "event: update\ndata: \(first)\n\n"]] + beats + [["data": ":\n", "delay": 30]]],
            ["chunks": [["data": "event: update\ndata: \(later)\n\n"], ["data": ":\n", "delay": 30]]],
        ]])
        defer { api.stop() }
        var source = testSource(.mastodon, base: api.base)
        source.stream = true
        let stream = try #require(FeedStream(poller: FeedPoller(feed: MastodonFeed(source: source)), maxBufferedChunks: 8))
        let seen = Mutex<[String]>([])
        let problems = Mutex<[String]>([])
        let task = Task {
            await stream.run({ outcome in
                let count = seen.withLock { $0 += outcome.mentions.map(\.id); return $0.count }
                if count == 1 { try? await Task.sleep(nanoseconds: 2_000_000_000) }
            }, problem: { line in problems.withLock { $0.append(line) } })
        }
        let deadline = Date().addingTimeInterval(30)
        while seen.withLock({ $0.count }) < 2, Date() < deadline { try await Task.sleep(nanoseconds: 50_000_000) }
        task.cancel()
        await task.value
        #expect(seen.withLock { $0 } == ["900", "901"])
        #expect(problems.withLock { $0 } == ["stream fell behind: more than 8 chunks waited to be read, so it reconnects and the poller catches up what it missed"])
        #expect(try await api.requests(to: "/api/v1/streaming/hashtag").count == 2)
    }

    @Test("A stop while the stream works through a full buffer after falling behind ends it at once: the rest is left for the poller, and no reconnection is announced")
    func stopWhileFallenBehind() async throws {
        let updates: [[String: Any]] = try (0..<12).map { ["data": "event: update\ndata: \(try mastodonStatus(id: String(900 + $0)))\n\n", "delay": 0.01] }
        let api = try await ScriptedAPI(["/api/v1/streaming/hashtag": [["chunks": updates + [["data": ":\n", "delay": 30]]]]])
        defer { api.stop() }
        var source = testSource(.mastodon, base: api.base)
        source.stream = true
        let stream = try #require(FeedStream(poller: FeedPoller(feed: MastodonFeed(source: source)), maxBufferedChunks: 4))
        let seen = Mutex<[String]>([])
        let problems = Mutex<[String]>([])
        let task = Task {
            await stream.run({ outcome in
                seen.withLock { $0 += outcome.mentions.map(\.id) }
                // Each handling takes long (look-ups of a slow API) unless told to stop: waited out,
                // the stop would take 20 s a handling.
                try? await Task.sleep(nanoseconds: 20_000_000_000)
            }, problem: { line in problems.withLock { $0.append(line) } })
        }
        let deadline = Date().addingTimeInterval(20)
        while seen.withLock({ $0.isEmpty }), Date() < deadline { try await Task.sleep(nanoseconds: 20_000_000) }
        // The other updates came meanwhile; past four unread, the transfer was cut off.
        try await Task.sleep(nanoseconds: 1_000_000_000)
        let stopped = Date()
        task.cancel()
        await task.value
        #expect(Date().timeIntervalSince(stopped) < 15)
        #expect(seen.withLock { $0 } == ["900"])
        #expect(problems.withLock { $0 }.isEmpty)
    }
}
