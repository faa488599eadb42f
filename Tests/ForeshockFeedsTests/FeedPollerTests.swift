import Foundation
import Synchronization
import Testing
@testable import ForeshockSupport
@testable import ForeshockTransport
@testable import ForeshockConfig
@testable import ForeshockFeeds
@testable import ForeshockService
@testable import ForeshockTestSupport

@Suite("Polling real loopback servers: cursors, faults and rate limits")
struct FeedPollerTests {
    static let tagPath = "/api/v1/timelines/tag/acme"

    func timeline(_ statuses: [String]) -> String { "[\(statuses.joined(separator: ","))]" }

    @Test("Mastodon: min_id moves forward, overlap is dropped, nothing is lost or repeated")
    func mastodonCursor() async throws {
        let api = try await ScriptedAPI([Self.tagPath: [
            ["body_file": payloadPath("mastodon/timelines_tag_hoot.json"), "headers_file": payloadPath("mastodon/timelines_tag_hoot.json.headers.txt")],
            ["body": timeline([try mastodonStatus(id: "117020593741189800"), try mastodonStatus(id: "117020593741189701")])],
            ["body": "[]"],
        ]])
        defer { api.stop() }
        let poller = FeedPoller(feed: MastodonFeed(source: testSource(.mastodon, base: api.base)))
        let first = await poller.poll()
        #expect(first.error == nil)
        #expect(first.mentions.map(\.id) == ["117020593741189701"])
        let second = await poller.poll()
        #expect(second.mentions.map(\.id) == ["117020593741189800"])
        let third = await poller.poll()
        #expect(third.mentions.isEmpty && third.error == nil)
        let paths = try await api.requests(to: Self.tagPath).map(\.path)
        #expect(paths.count == 3)
        #expect(!paths[0].contains("min_id"))
        #expect(paths[1].contains("min_id=117020593741189701"))
        #expect(paths[2].contains("min_id=117020593741189800"))
        #expect(poller.stats.mentions == 2)
    }

    @Test("Mastodon: a full page is followed by the next one from its newest id")
    func mastodonPaging() async throws {
        let full = try (1...40).map { try mastodonStatus(id: String(200 + $0)) }
        let api = try await ScriptedAPI([Self.tagPath: [
            ["body": timeline([try mastodonStatus(id: "100")])],
            ["body": timeline(full.reversed())],
            ["body": timeline([try mastodonStatus(id: "241")])],
        ]])
        defer { api.stop() }
        let poller = FeedPoller(feed: MastodonFeed(source: testSource(.mastodon, base: api.base)))
        _ = await poller.poll()
        let burst = await poller.poll()
        #expect(burst.mentions.count == 41)
        #expect(Set(burst.mentions.map(\.id)).count == 41)
        let paths = try await api.requests(to: Self.tagPath).map(\.path)
        #expect(paths.count == 3)
        #expect(paths[2].contains("min_id=240"))
        #expect(poller.cursor == "241")
    }

    @Test("An ETag is sent back as If-None-Match, and a 304 is not an error")
    func notModified() async throws {
        let api = try await ScriptedAPI(["/api/v1/search_by_date": [
            ["body_file": payloadPath("hackernews/search_by_date_fraction.json"), "etag": "\"v1\""],
        ]])
        defer { api.stop() }
        var source = testSource(.hackernews, base: api.base)
        source.query = "vlc"
        let poller = FeedPoller(feed: HackerNewsFeed(source: source))
        let first = await poller.poll()
        #expect(first.mentions.count == 4)
        // The cursor changes the URL; reset it so the same URL is asked again.
        poller.cursor = nil
        let second = await poller.poll()
        #expect(second.notModified)
        #expect(second.error == nil && second.mentions.isEmpty)
        let requests = try await api.requests(to: "/api/v1/search_by_date")
        #expect(requests.count == 2)
        #expect(requests[1].headers["If-None-Match"] == "\"v1\"")
    }

    @Test("429 with Retry-After waits as long as the server says")
    func tooManyRequests() async throws {
        let api = try await ScriptedAPI([Self.tagPath: [
            ["status": 429, "headers": ["Retry-After": "7"], "body": #"{"error":"Too many requests"}"#],
            ["body_file": payloadPath("mastodon/timelines_tag_hoot.json")],
        ]])
        defer { api.stop() }
        let poller = FeedPoller(feed: MastodonFeed(source: testSource(.mastodon, base: api.base)), jitter: { 1 })
        let limited = await poller.poll()
        #expect(limited.error?.code == .rateLimited)
        #expect(limited.error?.message.contains("retry after 7 s") == true)
        #expect(limited.nextPollAfter >= 7)
        let after = await poller.poll()
        #expect(after.error == nil && after.mentions.count == 1)
    }

    @Test("Rate-limit headers near the end of the window slow the next poll to the reset")
    func rateLimitHeaders() async throws {
        let began = Date()
        let reset = Timestamp.format(began.addingTimeInterval(120))
        let api = try await ScriptedAPI([Self.tagPath: [
            ["body_file": payloadPath("mastodon/timelines_tag_hoot.json"),
             "headers": ["X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "3", "X-RateLimit-Reset": reset]],
        ]])
        defer { api.stop() }
        let outcome = await FeedPoller(feed: MastodonFeed(source: testSource(.mastodon, base: api.base))).poll()
        #expect(outcome.error == nil)
        // The reset comes nearer while the server starts (20 s once on a loaded machine): the
        // wait is what is left of it (the source's own interval is 1 s).
        let left = 120 - Date().timeIntervalSince(began)
        #expect(outcome.nextPollAfter > min(100, left - 1) && outcome.nextPollAfter <= 121, "\(outcome.nextPollAfter) s with \(left) s left")
    }

    @Test("Each dialect of rate-limit header is read")
    func rateLimitDialects() {
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        let x = RateLimit.from(HTTPHeaders([("x-rate-limit-limit", "450"), ("x-rate-limit-remaining", "0"), ("x-rate-limit-reset", "1700000900")]), now: now)
        #expect(x?.pause(now: now) == 900)
        let reddit = RateLimit.from(HTTPHeaders([("x-ratelimit-used", "99"), ("x-ratelimit-remaining", "1.0"), ("x-ratelimit-reset", "42")]), now: now)
        #expect(reddit?.limit == 100 && reddit?.pause(now: now) == 42)
        let ietf = RateLimit.from(HTTPHeaders([("RateLimit-Limit", "100"), ("RateLimit-Remaining", "50"), ("RateLimit-Reset", "5")]), now: now)
        #expect(ietf?.remaining == 50 && ietf?.pause(now: now) == nil)
        let combined = RateLimit.from(HTTPHeaders([("RateLimit", "limit=10, remaining=1, reset=30")]), now: now)
        #expect(combined?.pause(now: now) == 30)
        // Bluesky's RateLimit-Reset is epoch seconds in the header the draft gives in seconds
        // from now: 60 s to wait, not the longest wait.
        let bluesky = RateLimit.from(HTTPHeaders([("RateLimit-Limit", "3000"), ("RateLimit-Remaining", "250"), ("RateLimit-Reset", "1700000060")]), now: now)
        #expect(bluesky?.pause(now: now) == 60)
        #expect(RateLimit.retryAfter(HTTPHeaders([("Retry-After", "Wed, 15 Nov 2023 00:00:00 GMT")]), now: Date(timeIntervalSince1970: 1_700_006_400 - 60)) == 60)
    }

    @Test("500s back off exponentially, then the feed recovers where it left off")
    func serverErrorThenRecovery() async throws {
        let api = try await ScriptedAPI([Self.tagPath: [
            ["body_file": payloadPath("mastodon/timelines_tag_hoot.json")],
            ["status": 500, "body": "<html><body>Internal Server Error</body></html>"],
            ["status": 502, "body": "bad gateway"],
            ["body": timeline([try mastodonStatus(id: "117020593741189999")])],
        ]])
        defer { api.stop() }
        let poller = FeedPoller(feed: MastodonFeed(source: testSource(.mastodon, base: api.base)), jitter: { 1 })
        _ = await poller.poll()
        let failed1 = await poller.poll()
        let failed2 = await poller.poll()
        #expect(failed1.error?.message == "HTTP 500")
        #expect(failed2.error?.status == 502)
        #expect(failed2.nextPollAfter > failed1.nextPollAfter)
        let recovered = await poller.poll()
        #expect(recovered.error == nil)
        #expect(recovered.mentions.map(\.id) == ["117020593741189999"])
        #expect(try await api.requests(to: Self.tagPath).last?.path.contains("min_id=117020593741189701") == true)
        #expect(poller.stats.errors == 2)
    }

    @Test("A garbage body or a dead server is one error line, and the next poll works")
    func garbageThenRecovery() async throws {
        let api = try await ScriptedAPI([Self.tagPath: [
            ["body": "<!DOCTYPE html><html>Cloudflare says no</html>"],
            ["body": #"{"unexpected": "shape"}"#],
            ["body_file": payloadPath("mastodon/timelines_tag_hoot.json")],
        ]])
        defer { api.stop() }
        let poller = FeedPoller(feed: MastodonFeed(source: testSource(.mastodon, base: api.base)))
        #expect(await poller.poll().error?.message == "got an HTML page instead of JSON")
        #expect(await poller.poll().error?.code == .unexpectedShape)
        #expect(await poller.poll().mentions.count == 1)
        let dead = FeedPoller(feed: MastodonFeed(source: testSource(.mastodon, base: "http://127.0.0.1:9")))
        let outcome = await dead.poll()
        #expect(outcome.error?.code == .transport)
        #expect(outcome.error?.message.contains("\n") == false)
    }

    @Test("Reddit: fetches an app-only token, sends it and the User-Agent, logs in again after a 401")
    func redditOAuth() async throws {
        let api = try await ScriptedAPI([
            "/api/v1/access_token": [["body": #"{"access_token": "tok-1", "token_type": "bearer", "expires_in": 86400}"#]],
            "/r/acme/new": [
                ["body_file": payloadPath("reddit/r_askreddit_new_listing_2016.json"), "headers_file": payloadPath("reddit/r_askreddit_new_listing_2016.json.headers.txt")],
                ["status": 401, "body": #"{"message": "Unauthorized", "error": 401}"#],
                ["body": #"{"kind": "Listing", "data": {"children": [], "after": null, "before": null}}"#],
                ["body_file": payloadPath("reddit/r_askreddit_new_listing_2016.json")],
            ],
        ])
        defer { api.stop() }
        var source = testSource(.reddit, base: api.base)
        source.mode = .subreddit
        source.clientID = .literal("client")
        source.clientSecret = .literal("secret")
        source.userAgent = "linux:foreshock-test:1.0 (by /u/foreshock)"
        let poller = FeedPoller(feed: RedditFeed(source: source))
        let first = await poller.poll()
        #expect(first.mentions.count == 100)
        #expect(poller.cursor == "t3_48fbm9")
        let second = await poller.poll()
        #expect(second.error == nil)
        let tokens = try await api.requests(to: "/api/v1/access_token")
        #expect(tokens.count == 2)
        #expect(tokens[0].headers["Authorization"] == "Basic " + Data("client:secret".utf8).base64EncodedString())
        let listings = try await api.requests(to: "/r/acme/new")
        #expect(listings.allSatisfy { $0.headers["Authorization"] == "Bearer tok-1" })
        #expect(listings.allSatisfy { $0.headers["User-Agent"] == source.userAgent })
        // Nothing after the cursor: it steps back to the next newest post of the first page (its
        // post may have been removed, which would hold the source on it for ever), one call.
        #expect(listings.map { $0.path.contains("before=t3_48fbm9") } == [false, true, true])
        #expect(second.cursorFellBack && second.requests == 2 && second.mentions.isEmpty && poller.cursor == "t3_48fbig")
    }

    /// A Reddit Listing of posts with these ids, newest first.
    static func redditListing(_ ids: [String]) -> String {
        let children = ids.map { #"{"kind":"t3","data":{"id":"\#($0)","name":"t3_\#($0)","title":"t","author":"a","created_utc":1700000000,"permalink":"/r/acme/comments/\#($0)/"}}"# }
        return #"{"kind":"Listing","data":{"children":[\#(children.joined(separator: ","))]}}"#
    }

    /// A Reddit search source on the scripted API, with an app's credentials.
    static func redditSource(_ api: ScriptedAPI) -> SourceConfig {
        var source = testSource(.reddit, base: api.base)
        source.clientID = .literal("c")
        source.clientSecret = .literal("s")
        return source
    }

    @Test("Reddit: when the newest post vanishes, the cursor falls back to an older one seen")
    func redditVanishedCursor() async throws {
        let api = try await ScriptedAPI([
            "/api/v1/access_token": [["body": #"{"access_token": "tok", "expires_in": 3600}"#]],
            "/search": [["b2"], ["c3"], [], ["d4", "c3"]].map { ["body": Self.redditListing($0)] },
        ])
        defer { api.stop() }
        let source = Self.redditSource(api)
        let poller = FeedPoller(feed: RedditFeed(source: source))
        _ = await poller.poll()
        _ = await poller.poll()
        #expect(poller.cursor == "t3_c3")
        let empty = await poller.poll()
        #expect(empty.cursorFellBack && poller.cursor == "t3_b2")
        let next = await poller.poll()
        #expect(next.mentions.map(\.id) == ["d4"])
        #expect(try await api.requests(to: "/search").last?.path.contains("before=t3_b2") == true)
    }

    @Test("Reddit: an empty answer with no older cursor reads the latest page in the same poll, so what came meanwhile is taken whole; its older posts are where the next steps back to")
    func redditEmptyWithoutHistory() async throws {
        let api = try await ScriptedAPI([
            "/api/v1/access_token": [["body": #"{"access_token": "tok", "expires_in": 3600}"#]],
            "/search": [["b2"], [], ["c3", "b2"], [], ["d4", "c3"]].map { ["body": Self.redditListing($0)] },
        ])
        defer { api.stop() }
        let poller = FeedPoller(feed: RedditFeed(source: Self.redditSource(api)))
        _ = await poller.poll()
        let second = await poller.poll()
        #expect(second.error == nil && second.cursorFellBack && second.mentions.map(\.id) == ["c3"] && poller.cursor == "t3_c3")
        // That latest page named b2 below c3: the next empty answer steps back to it, one call,
        // and what comes after it is read from there.
        let third = await poller.poll()
        #expect(third.cursorFellBack && third.requests == 1 && third.mentions.isEmpty && poller.cursor == "t3_b2")
        let fourth = await poller.poll()
        #expect(fourth.mentions.map(\.id) == ["d4"] && poller.cursor == "t3_d4")
        let searches = try await api.requests(to: "/search").map(\.path)
        #expect(searches.map { $0.contains("before=") } == [false, true, false, true, true], "\(searches)")
        #expect(searches[1].contains("before=t3_b2") && searches[3].contains("before=t3_c3") && searches[4].contains("before=t3_b2"))
    }

    @Test("Reddit: a quiet listing costs one call a poll after a restart too: the latest page read once gives older posts to step back to")
    func redditQuietAfterRestart() async throws {
        let api = try await ScriptedAPI([
            "/api/v1/access_token": [["body": #"{"access_token": "tok", "expires_in": 3600}"#]],
            "/search": [[], ["b2", "a1"], [], ["b2"], [], ["b2"]].map { ["body": Self.redditListing($0)] },
        ])
        defer { api.stop() }
        let poller = FeedPoller(feed: RedditFeed(source: Self.redditSource(api)))
        poller.restore(cursor: "t3_b2", seen: ["b2", "a1"])
        var requests: [Int] = []
        for _ in 0..<5 {
            let outcome = await poller.poll()
            #expect(outcome.error == nil && outcome.mentions.isEmpty)
            requests.append(outcome.requests)
        }
        // The first poll reads the latest page after the empty answer; then one call each,
        // stepping back to a1 and forward to b2 again.
        #expect(requests == [2, 1, 1, 1, 1], "\(requests)")
        let searches = try await api.requests(to: "/search").map(\.path)
        #expect(searches.count == 6 && searches[2].contains("before=t3_b2") && searches[3].contains("before=t3_a1"), "\(searches)")
    }

    @Test("Bluesky: createSession, then searchPosts with the session's token and an overlapping since; authors' followers from getProfiles")
    func blueskySession() async throws {
        // Search names authors without counts (profileViewBasic); getProfiles has them.
        let profiles = #"{"profiles": [{"did": "did:plc:64fyz6rpsaga", "handle": "iamkonstantin.eu", "followersCount": 812}, {"did": "did:plc:oio4hkxaop4a", "handle": "mackuba.eu", "followersCount": 4000}]}"#
        let api = try await ScriptedAPI([
            "/xrpc/com.atproto.server.createSession": [["body": #"{"accessJwt": "jwt-a", "refreshJwt": "jwt-r", "handle": "brand.example", "did": "did:plc:x"}"#]],
            "/xrpc/app.bsky.feed.searchPosts": [["body_file": payloadPath("bluesky/searchPosts_atat_postviews.json")]],
            "/xrpc/app.bsky.actor.getProfiles": [["body": profiles]],
        ])
        defer { api.stop() }
        var source = testSource(.bluesky, base: api.base)
        source.identifier = "brand.example"
        source.appPassword = .literal("app-pass")
        let poller = FeedPoller(feed: BlueskyFeed(source: source))
        let first = await poller.poll()
        #expect(first.mentions.count == 7)
        // The newest sortAt: that post's createdAt, two seconds before it was indexed.
        #expect(poller.cursor == "2025-02-08T10:15:14.135Z")
        let followers = Dictionary(first.mentions.map { ($0.author ?? "", $0.authorFollowers) }, uniquingKeysWith: { a, _ in a })
        #expect(followers["iamkonstantin.eu"] == 812 && followers["mackuba.eu"] == 4000)
        #expect(followers["launchedfm.com"] == .some(nil)) // not in the answer: still unknown
        let second = await poller.poll()
        #expect(second.mentions.isEmpty) // the overlap returns the same posts; all were seen
        let session = try await api.requests(to: "/xrpc/com.atproto.server.createSession")
        #expect(session.count == 1)
        let searches = try await api.requests(to: "/xrpc/app.bsky.feed.searchPosts")
        #expect(searches.allSatisfy { $0.headers["Authorization"] == "Bearer jwt-a" })
        #expect(searches[1].path.contains("since=2025-02-08T10%3A13%3A14.135Z"))
        #expect(searches[1].path.contains("sort=latest"))
        // One call for the seven authors of the first poll; none for a poll with nothing new.
        let lookups = try await api.requests(to: "/xrpc/app.bsky.actor.getProfiles")
        #expect(lookups.count == 1 && lookups[0].path.contains("actors=iamkonstantin.eu") && lookups[0].headers["Authorization"] == "Bearer jwt-a")
    }

    @Test("Look-ups failing in one poll are each said, one line per kind; a followers call that fails is said as the followers', and the resharers it was to complete are kept")
    func lookupFailuresEachSaid() async throws {
        let api = try await ScriptedAPI([
            "/xrpc/app.bsky.feed.searchPosts": [["body_file": payloadPath("bluesky/searchPosts_atat_postviews.json")]],
            "/xrpc/app.bsky.actor.getProfiles": [["status": 500, "body": "down"], ["body": "<html><body>Bad gateway</body></html>"]],
            "/xrpc/app.bsky.feed.getPosts": [["status": 502, "body": "down"]],
            "/xrpc/app.bsky.feed.getRepostedBy": [["body": #"{"uri": "at://did:plc:a/app.bsky.feed.post/1", "repostedBy": [{"did": "did:plc:r", "handle": "resharer.example"}]}"#]],
        ])
        defer { api.stop() }
        let poller = FeedPoller(feed: BlueskyFeed(source: testSource(.bluesky, base: api.base)))
        let polled = await poller.poll()
        #expect(polled.error == nil && polled.mentions.count == 7 && polled.mentions.allSatisfy { $0.authorFollowers == nil })
        _ = await poller.refresh([polled.mentions[0].id])
        // Both kinds, not the last one only.
        let said = poller.lookupFailuresToSay()
        #expect(said.map(\.what) == ["fresh counts", "the followers of 7 accounts"], "\(said.map(\.what))")
        #expect(said.map(\.error.status) == [502, 500])
        // The resharers are kept though their followers could not be looked up (an HTML page),
        // and that failure, the second of its run, is not said again.
        let sightings = try #require(await poller.resharers(of: "at://did:plc:a/app.bsky.feed.post/1", postedAt: nil))
        #expect(sightings.map(\.account) == ["resharer.example"] && sightings[0].followers == nil)
        #expect(poller.lookupFailuresToSay().isEmpty)
        #expect(try await api.requests(to: "/xrpc/app.bsky.actor.getProfiles").count == 2)
    }

    @Test("A stop during the authors' followers lookup takes nothing: the cursor and the seen ids stay, and the next poll gets the same posts")
    func stopDuringFollowersLookup() async throws {
        let profiles = #"{"profiles": [{"did": "did:plc:64fyz6rpsaga", "handle": "iamkonstantin.eu", "followersCount": 812}]}"#
        let api = try await ScriptedAPI([
            "/xrpc/app.bsky.feed.searchPosts": [["body_file": payloadPath("bluesky/searchPosts_atat_postviews.json")]],
            // The first lookup hangs until the poll is stopped; the second answers at once.
            "/xrpc/app.bsky.actor.getProfiles": [["body": profiles, "delay": 30], ["body": profiles]],
        ])
        defer { api.stop() }
        let poller = FeedPoller(feed: BlueskyFeed(source: testSource(.bluesky, base: api.base)))
        let stopped = Task { await poller.poll() }
        for _ in 0..<250 {
            if try await !api.requests(to: "/xrpc/app.bsky.actor.getProfiles").isEmpty { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(try await api.requests(to: "/xrpc/app.bsky.actor.getProfiles").count == 1)
        stopped.cancel()
        let outcome = await stopped.value
        #expect(outcome.mentions.isEmpty && outcome.error != nil)
        #expect(poller.cursor == nil && poller.recentlySeen.isEmpty)
        let next = await poller.poll()
        #expect(next.error == nil && next.mentions.count == 7)
        #expect(next.mentions.first { $0.author == "iamkonstantin.eu" }?.authorFollowers == 812)
        #expect(poller.cursor == "2025-02-08T10:15:14.135Z")
    }

    @Test("X: a since_id the API no longer searches (400 naming it) starts again from the latest page instead of failing for ever")
    func xRefusedCursor() async throws {
        let page = { (id: String) in #"{"data": [{"id": "\#(id)", "author_id": "7", "text": "acme", "created_at": "2026-11-24T08:00:00.000Z"}], "meta": {"newest_id": "\#(id)", "result_count": 1}}"# }
        let refused = #"{"errors": [{"parameters": {"since_id": ["1900"]}, "message": "Invalid 'since_id':'1900'. 'since_id' must be a tweet id created after the start time."}], "title": "Invalid Request", "detail": "One or more parameters to your request was invalid.", "type": "https://api.twitter.com/2/problems/invalid-request"}"#
        let api = try await ScriptedAPI(["/2/tweets/search/recent": [
            ["body": page("1900")], ["status": 400, "body": refused], ["body": page("2500")], ["body": page("2600")],
        ]])
        defer { api.stop() }
        let poller = FeedPoller(feed: XFeed(source: testSource(.x, base: api.base)))
        _ = await poller.poll()
        #expect(poller.cursor == "1900")
        let again = await poller.poll()
        #expect(again.error == nil && again.cursorRefused && again.requests == 2)
        #expect(again.mentions.map(\.id) == ["2500"] && poller.cursor == "2500")
        let next = await poller.poll()
        #expect(next.error == nil && !next.cursorRefused)
        let searches = try await api.requests(to: "/2/tweets/search/recent").map(\.path)
        #expect(searches.map { $0.contains("since_id=") } == [false, true, false, true])
        #expect(searches[3].contains("since_id=2500"))
    }

    @Test("A first poll that finds nothing leaves a cursor at its time where the API takes one, so the first burst after it is read whole")
    func burstAfterEmptyStart() async throws {
        let statuses = try (1001...1060).reversed().map { try mastodonStatus(id: String($0)) }
        let api = try await ScriptedAPI([Self.tagPath: [
            ["body": "[]"], ["body": timeline(Array(statuses.suffix(40)))], ["body": timeline(Array(statuses.prefix(20)))], ["body": "[]"],
        ]])
        defer { api.stop() }
        let poller = FeedPoller(feed: MastodonFeed(source: testSource(.mastodon, base: api.base)))
        let before = Date()
        let empty = await poller.poll()
        #expect(empty.error == nil && empty.mentions.isEmpty)
        // A snowflake a minute before the poll: milliseconds since 1970, shifted 16 bits.
        let cursor = try #require(poller.cursor.flatMap(UInt64.init))
        #expect(abs(Double(cursor >> 16) / 1000 - (before.timeIntervalSince1970 - 60)) < 5)
        let burst = await poller.poll()
        #expect(burst.mentions.count == 60)
        let requests = try await api.requests(to: Self.tagPath).map(\.path)
        #expect(requests.count == 3 && requests[1].contains("min_id=\(cursor)") && requests[2].contains("min_id=1040"), "\(requests)")
        // A time-made cursor that finds nothing goes (a server whose ids are not snowflakes
        // would answer nothing to it for ever), and a new one is made after the next empty poll.
        let quiet = FeedPoller(feed: MastodonFeed(source: testSource(.mastodon, base: api.base)))
        var cursors: [Bool] = []
        for _ in 0..<3 {
            _ = await quiet.poll()
            cursors.append(quiet.cursor != nil)
        }
        #expect(cursors == [true, false, true])
        // X's ids are snowflakes too, and every X server reads them so: a time-made since_id
        // stays until a post replaces it, and a burst of two pages after a quiet start is read whole.
        let tweets = { (ids: ClosedRange<Int>, next: String?) -> String in
            let data = ids.reversed().map { #"{"id": "\#($0)", "author_id": "7", "text": "acme", "created_at": "2026-11-24T08:00:00.000Z"}"# }
            return #"{"data": [\#(data.joined(separator: ","))], "meta": {"newest_id": "\#(ids.upperBound)", "result_count": \#(ids.count)\#(next.map { #", "next_token": "\#($0)""# } ?? "")}}"#
        }
        let none = #"{"meta": {"result_count": 0}}"#
        let x = try await ScriptedAPI(["/2/tweets/search/recent": [
            ["body": none], ["body": none], ["body": tweets(1_901...2_000, "p2")], ["body": tweets(1_851...1_900, nil)], ["body": none],
        ]])
        defer { x.stop() }
        let xPoller = FeedPoller(feed: XFeed(source: testSource(.x, base: x.base)))
        let xBefore = Date()
        _ = await xPoller.poll()
        let since = try #require(xPoller.cursor.flatMap { UInt64($0) })
        #expect(abs((Double(since >> 22) + 1_288_834_974_657) / 1000 - (xBefore.timeIntervalSince1970 - 60)) < 5)
        _ = await xPoller.poll()
        #expect(xPoller.cursor == String(since))
        #expect(await xPoller.poll().mentions.count == 150)
        #expect(xPoller.cursor == "2000")
        let searches = try await x.requests(to: "/2/tweets/search/recent").map(\.path)
        #expect(searches.count == 4 && !searches[0].contains("since_id") && searches[1...3].allSatisfy { $0.contains("since_id=\(since)") }, "\(searches)")
        #expect(searches[3].contains("next_token=p2"))
        // Mentions by notification ids, which no time names: no cursor until there is one.
        var mentions = testSource(.mastodon)
        mentions.mode = .mentions
        #expect(MastodonFeed(source: mentions).cursor(at: before) == nil)
    }

    @Test("Where no time can be asked (notification ids; a time-made cursor dropped), the first burst after an empty listing is followed back through its pages, and history is not")
    func burstAfterEmptyListing() async throws {
        let notifications = { (ids: ClosedRange<Int>) throws -> String in
            "[" + (try ids.reversed().map { #"{"id": "\#($0)", "type": "mention", "status": \#(try mastodonStatus(id: String(90_000 + $0)))}"# }).joined(separator: ",") + "]"
        }
        let path = "/api/v1/notifications"
        let api = try await ScriptedAPI([path: [
            ["body": "[]"], ["body": try notifications(521...560)], ["body": try notifications(501...520)], ["body": try notifications(561...561)],
        ]])
        defer { api.stop() }
        var source = testSource(.mastodon, base: api.base)
        source.mode = .mentions
        let poller = FeedPoller(feed: MastodonFeed(source: source))
        let empty = await poller.poll()
        #expect(empty.error == nil && empty.mentions.isEmpty && poller.cursor == nil)
        let burst = await poller.poll()
        #expect(burst.error == nil && burst.mentions.count == 60 && !burst.truncated, "\(burst.mentions.count)")
        #expect(poller.cursor == "560")
        _ = await poller.poll()
        let requests = try await api.requests(to: path).map(\.path)
        #expect(requests.count == 4 && requests[2].contains("max_id=521") && !requests[2].contains("min_id"), "\(requests)")
        #expect(requests[3].contains("min_id=560") && !requests[3].contains("max_id"), "\(requests)")

        // A hashtag whose time-made cursor found nothing and was dropped: the burst that lands on
        // the poll after is read whole too.
        let statuses = try (1001...1060).reversed().map { try mastodonStatus(id: String($0)) }
        let tag = try await ScriptedAPI([Self.tagPath: [
            ["body": "[]"], ["body": "[]"], ["body": timeline(Array(statuses.prefix(40)))], ["body": timeline(Array(statuses.suffix(20)))],
        ]])
        defer { tag.stop() }
        let quiet = FeedPoller(feed: MastodonFeed(source: testSource(.mastodon, base: tag.base)))
        _ = await quiet.poll()
        _ = await quiet.poll()
        #expect(quiet.cursor == nil)
        #expect(await quiet.poll().mentions.count == 60)
        let asked = try await tag.requests(to: Self.tagPath).map(\.path)
        #expect(asked.count == 4 && asked[3].contains("max_id=1021"), "\(asked)")

        // A listing that held posts at the first poll is history: its latest page only.
        let history = try await ScriptedAPI([Self.tagPath: [["body": timeline(Array(statuses.prefix(40)))]]])
        defer { history.stop() }
        let first = FeedPoller(feed: MastodonFeed(source: testSource(.mastodon, base: history.base)))
        let taken = await first.poll()
        #expect(taken.mentions.count == 40 && taken.requests == 1)
    }

    @Test("A later page that fails ends the paging, not the poll: the pages before it are taken and the cursor moves; a short page with a cursor still goes on")
    func laterPageFails() async throws {
        // Bluesky: logged out, search refuses `cursor`; and the AppView's pages may be short.
        let posts = { (numbers: [Int], cursor: String?) -> String in
            let items = numbers.map { n in
                #"{"uri": "at://did:plc:a/app.bsky.feed.post/p\#(n)", "cid": "c", "author": {"did": "did:plc:a", "handle": "a.bsky.social"}, "record": {"text": "acme", "createdAt": "\#(Timestamp.fromEpoch(1_795_000_000 + Double(n)))"}, "indexedAt": "\#(Timestamp.fromEpoch(1_795_000_000 + Double(n)))"}"#
            }
            return #"{"posts": [\#(items.joined(separator: ","))]\#(cursor.map { #", "cursor": "\#($0)""# } ?? "")}"#
        }
        let path = "/xrpc/app.bsky.feed.searchPosts"
        let api = try await ScriptedAPI([path: [
            ["body": posts(Array((151...200).reversed()), "p2")], ["body": posts(Array((121...150).reversed()), "p3")],
            ["status": 403, "body": #"{"error": "Forbidden", "message": "cursor is not allowed"}"#],
            ["body": posts([201], nil)],
        ], "/xrpc/app.bsky.actor.getProfiles": [["body": #"{"profiles": [{"did": "did:plc:a", "handle": "a.bsky.social", "followersCount": 300}]}"#]]])
        defer { api.stop() }
        let poller = FeedPoller(feed: BlueskyFeed(source: testSource(.bluesky, base: api.base)))
        poller.cursor = Timestamp.fromEpoch(1_795_000_000)
        let burst = await poller.poll()
        #expect(burst.error == nil && burst.mentions.count == 80, "\(String(describing: burst.error)) \(burst.mentions.count)")
        #expect(burst.pageError?.status == 403 && burst.pageError?.message.contains("403") == true, "\(String(describing: burst.pageError))")
        #expect(poller.cursor == Timestamp.fromEpoch(1_795_000_200))
        #expect(poller.stats.errors == 1)
        let next = await poller.poll()
        #expect(next.error == nil && next.mentions.map(\.id) == ["at://did:plc:a/app.bsky.feed.post/p201"])
        let asked = try await api.requests(to: path).map(\.path)
        #expect(asked.count == 4 && asked[1].contains("cursor=p2") && asked[2].contains("cursor=p3"), "\(asked)")
        #expect(burst.pageErrorMissesRest)

        // A page going back that fails for now (a 503) leaves the cursor where it was: the next
        // poll reads the burst again, and what lay below that page.
        let flaky = try await ScriptedAPI([path: [
            ["body": posts(Array((151...200).reversed()), "p2")], ["status": 503, "body": "busy"],
            ["body": posts(Array((151...200).reversed()), "p2")], ["body": posts(Array((101...150).reversed()), nil)],
        ], "/xrpc/app.bsky.actor.getProfiles": [["body": #"{"profiles": []}"#]]])
        defer { flaky.stop() }
        let again = FeedPoller(feed: BlueskyFeed(source: testSource(.bluesky, base: flaky.base)))
        again.cursor = Timestamp.fromEpoch(1_795_000_000)
        let first = await again.poll()
        #expect(first.error == nil && first.mentions.count == 50 && first.pageError?.status == 503 && !first.pageErrorMissesRest)
        #expect(again.cursor == Timestamp.fromEpoch(1_795_000_000))
        let second = await again.poll()
        #expect(second.mentions.count == 50 && second.pageError == nil, "the first page's 50 again are dropped as seen; the 50 below it are new")
        #expect(again.cursor == Timestamp.fromEpoch(1_795_000_200))

        // A page that keeps failing for now is said at the first poll of a run, not at every
        // one; after a later page read whole, the next failure is said again. One whose refusal
        // moves the cursor past what it held is said every time: posts may be missed.
        let busy: [String: Any] = ["status": 503, "body": "busy"]
        let refused: [String: Any] = ["status": 403, "body": #"{"error": "Forbidden", "message": "cursor is not allowed"}"#]
        let top = posts(Array((301...310).reversed()), "q1")
        let stays = try await ScriptedAPI([path: [
            ["body": top], busy, ["body": top], busy, ["body": top], ["body": posts(Array((291...300).reversed()), nil)],
            ["body": posts(Array((311...320).reversed()), "q2")], busy,
            ["body": posts(Array((311...320).reversed()), "q2")], refused, ["body": posts(Array((321...330).reversed()), "q3")], refused,
        ], "/xrpc/app.bsky.actor.getProfiles": [["body": #"{"profiles": []}"#]]])
        defer { stays.stop() }
        let poller2 = FeedPoller(feed: BlueskyFeed(source: testSource(.bluesky, base: stays.base)))
        poller2.cursor = Timestamp.fromEpoch(1_795_000_000)
        var said: [Bool] = []
        for _ in 0..<6 { said.append(await poller2.poll().pageError != nil) }
        #expect(said == [true, false, false, true, true, true], "\(said)")
        #expect(poller2.stats.errors == 5)
    }

    @Test("A burst that ends on the last page one poll reads is not called cut short; one with a page more is")
    func truncatedOnlyWhenMore() async throws {
        func burst(lastPage: Int) async throws -> PollOutcome {
            // Timelines page up from the cursor (min_id), oldest first within the burst.
            var pages: [[String]] = []
            for page in 0..<5 {
                let count = page == 4 ? lastPage : 40
                pages.append(try (0..<count).map { try mastodonStatus(id: String(2_000 + page * 40 + $0)) }.reversed())
            }
            let api = try await ScriptedAPI([Self.tagPath: pages.map { ["body": timeline($0)] }])
            defer { api.stop() }
            let poller = FeedPoller(feed: MastodonFeed(source: testSource(.mastodon, base: api.base)))
            poller.cursor = "1999"
            return await poller.poll()
        }
        let ended = try await burst(lastPage: 10)
        #expect(ended.mentions.count == 170 && !ended.truncated && ended.requests == 5)
        let more = try await burst(lastPage: 40)
        #expect(more.mentions.count == 200 && more.truncated && more.requests == 5)
    }

    @Test("An answer that holds only older posts (a JSON feed listing what it likes) never takes the cursor back")
    func cursorForwardOnly() async throws {
        let api = try await ScriptedAPI(["/feed": [["body": #"[{"id": "a", "seq": 6}]"#], ["body": #"[{"id": "b", "seq": 3}]"#], ["body": #"[{"id": "c", "seq": 7}]"#]]])
        defer { api.stop() }
        var source = testSource(.json)
        source.url = .literal(api.base + "/feed")
        source.items = "."
        source.fields = ["id": "id"]
        source.cursorField = "seq"
        source.cursorParam = "since"
        let poller = FeedPoller(feed: JSONFeed(source: source))
        var cursors: [String?] = []
        var taken: [[String]] = []
        for _ in 0..<3 {
            taken.append(await poller.poll().mentions.map(\.id))
            cursors.append(poller.cursor)
        }
        #expect(taken == [["a"], ["b"], ["c"]])
        #expect(cursors == ["6", "6", "7"])
        let asked = try await api.requests(to: "/feed").map(\.path)
        #expect(asked.count == 3 && asked[2].hasSuffix("since=6"), "\(asked)")
    }

    @Test("Resharers are fetched within the call budget and spread evenly over the interval, the newest listed (first, as every API lists them) latest")
    func resharers() async throws {
        let accounts = #"[{"acct":"small","followers_count":15},{"acct":"big@example.social","followers_count":120000}]"#
        let api = try await ScriptedAPI(["/api/v1/statuses/55/reblogged_by": [["body": accounts]]])
        defer { api.stop() }
        var source = testSource(.mastodon, base: api.base)
        source.callsPerMinute = 1
        let now = Mutex(Date(timeIntervalSince1970: 1_700_000_600))
        let poller = FeedPoller(feed: MastodonFeed(source: source), clock: { now.withLock { $0 } })
        let sightings = try #require(await poller.resharers(of: "55", postedAt: Date(timeIntervalSince1970: 1_700_000_000)))
        #expect(sightings.map(\.account) == ["big@example.social", "small"])
        #expect(sightings.map(\.followers) == [120000, 15])
        #expect(sightings.map(\.at.timeIntervalSince1970) == [1_700_000_300, 1_700_000_600])
        // The budget of one call a minute is spent.
        #expect(await poller.resharers(of: "55", postedAt: nil) == nil)
        now.withLock { $0 = $0.addingTimeInterval(60) }
        // A minute later: allowed again, and the same accounts are not new.
        #expect(await poller.resharers(of: "55", postedAt: nil) == [])
    }

    @Test("The resharers a poller knows are not new to the poller that takes over at a reload, nor to one restored after a restart, nor when the listing showed them resharing first")
    func resharersKnownAcrossReloads() async throws {
        let accounts = #"[{"acct":"big@example.social","followers_count":120000},{"acct":"small","followers_count":15},{"acct":"third","followers_count":7}]"#
        let api = try await ScriptedAPI(["/api/v1/statuses/55/reblogged_by": [["body": accounts]]])
        defer { api.stop() }
        let source = testSource(.mastodon, base: api.base)
        let first = FeedPoller(feed: MastodonFeed(source: source))
        #expect(try #require(await first.resharers(of: "55", postedAt: nil)).count == 3)
        // A reload: the new poller takes the old one's, as WatchService.makePollers does.
        let reloaded = FeedPoller(feed: MastodonFeed(source: source))
        reloaded.restore(cursor: nil, seen: [], resharers: first.knownResharers)
        #expect(await reloaded.resharers(of: "55", postedAt: nil) == [])
        // A restart: the journal names two of them; the third is new.
        let restarted = FeedPoller(feed: MastodonFeed(source: source))
        restarted.restore(cursor: nil, seen: [], resharers: ["55": KnownResharers(accounts: ["big@example.social", "small"], fetchedAt: Date())])
        #expect(await restarted.resharers(of: "55", postedAt: nil)?.map(\.account) == ["third"])
        // A boost seen in the stream is a resharer the fetch lists again.
        let streamed = FeedPoller(feed: MastodonFeed(source: source))
        var boost = Mention(source: source.name, id: "900")
        boost.author = "small"
        boost.reshareOf = "55"
        _ = streamed.accept([boost])
        #expect(await streamed.resharers(of: "55", postedAt: nil)?.map(\.account) == ["third", "big@example.social"])
    }

    @Test("A reply from a brand account marks the post answered, with the reply's time")
    func brandAnswered() async throws {
        let reply = try mastodonStatus(id: "117020593741189900", createdAt: "2026-11-24T08:40:00.000Z", author: "AcmeSupport", inReplyTo: "117020593741189701")
        let api = try await ScriptedAPI([Self.tagPath: [
            ["body_file": payloadPath("mastodon/timelines_tag_hoot.json")],
            ["body": timeline([reply])],
        ]])
        defer { api.stop() }
        var source = testSource(.mastodon, base: api.base)
        source.brandAccounts = ["@acmesupport"]
        let poller = FeedPoller(feed: MastodonFeed(source: source))
        #expect(await poller.poll().answers.isEmpty)
        let answers = await poller.poll().answers
        #expect(answers == [BrandReply(postID: "117020593741189701", replyID: "117020593741189900", by: "AcmeSupport",
                                       at: Timestamp.parse("2026-11-24T08:40:00.000Z")!)])
    }

    @Test("Older Mastodon servers without GET /statuses?id[] are re-polled one status at a time; a deleted one is named gone, and the rest still asked, after one failing too")
    func countsFallback() async throws {
        let api = try await ScriptedAPI([
            "/api/v1/statuses": [["status": 404, "body": #"{"error":"Record not found"}"#]],
            "/api/v1/statuses/0": [["status": 404, "body": #"{"error":"Record not found"}"#]],
            "/api/v1/statuses/1": [["body": try mastodonStatus(id: "1", reblogs: 12)]],
            "/api/v1/statuses/2": [["body": try mastodonStatus(id: "2", reblogs: 3)]],
        ])
        defer { api.stop() }
        let poller = FeedPoller(feed: MastodonFeed(source: testSource(.mastodon, base: api.base)))
        let refreshed = await poller.refresh(["0", "1", "2"])
        #expect(refreshed.error == nil)
        #expect(refreshed.gone == ["0"])
        #expect(refreshed.mentions.map(\.reshares) == [12, 3])
        // One post's 500 is not a deleted post, and not every post's either: said, and the
        // others still asked (it held every post after it for as long as it failed).
        let down = try await ScriptedAPI(["/api/v1/items/1": [["status": 500, "body": "down"]], "/api/v1/items/2": [["body": #"{"id":2,"points":5,"children":[]}"#]]])
        defer { down.stop() }
        let failing = await FeedPoller(feed: HackerNewsFeed(source: testSource(.hackernews, base: down.base))).refresh(["1", "2"])
        #expect(failing.error?.status == 500 && failing.gone.isEmpty && failing.mentions.map(\.likes) == [5], "\(failing)")
        // A server out of reach ends the round: no point asking it after each post. So does one
        // asking to wait, and two failures in a row.
        let unreachable = await FeedPoller(feed: HackerNewsFeed(source: testSource(.hackernews, base: "http://127.0.0.1:9"))).refresh(["1", "2"])
        #expect(unreachable.error?.code == .transport && unreachable.mentions.isEmpty)
        let waiting = try await ScriptedAPI([
            "/api/v1/items/1": [["status": 503, "headers": ["Retry-After": "600"], "body": "busy"]],
            "/api/v1/items/2": [["status": 500, "body": "down"]], "/api/v1/items/3": [["status": 500, "body": "down"]],
            "/api/v1/items/4": [["body": #"{"id":4,"points":5,"children":[]}"#]],
        ])
        defer { waiting.stop() }
        let hn = FeedPoller(feed: HackerNewsFeed(source: testSource(.hackernews, base: waiting.base)))
        #expect(await hn.refresh(["1", "4"]).mentions.isEmpty)
        #expect(await hn.refresh(["2", "3", "4"]).mentions.isEmpty)
        #expect(try await waiting.requests(to: "/api/v1/items/4").isEmpty)
        #expect(hn.stats.lastError?.contains("500") == true, "\(String(describing: hn.stats.lastError))")
        // Said at the first failure of a run (the 503), not at those after it, and again after an answer.
        #expect(hn.lookupFailuresToSay().map(\.error.status) == [503])
        #expect(hn.lookupFailuresToSay().isEmpty)
        _ = await hn.refresh(["4"])
        #expect(hn.lookupFailuresToSay().isEmpty)
        _ = await hn.refresh(["2"])
        #expect(hn.lookupFailuresToSay().map(\.what) == ["fresh counts"])
    }

    @Test("Hacker News re-poll reads /items/:id and counts the whole reply tree")
    func hackerNewsRefresh() async throws {
        let item = #"{"id":7205875,"created_at":"2014-02-09T16:03:59.000Z","author":"jbk","text":"<p>VLC</p>","points":436,"parent_id":7205759,"children":[{"id":1,"children":[{"id":2,"children":[]}]},{"id":3,"children":[]}]}"#
        let api = try await ScriptedAPI(["/api/v1/items/7205875": [["body": item]]])
        defer { api.stop() }
        let refreshed = await FeedPoller(feed: HackerNewsFeed(source: testSource(.hackernews, base: api.base))).refresh(["7205875"])
        #expect(refreshed.error == nil)
        #expect(refreshed.mentions.first?.replies == 3)
        #expect(refreshed.mentions.first?.likes == 436)
    }

    @Test("Bluesky resharers: getRepostedBy names them, getProfiles adds their followers")
    func blueskyResharers() async throws {
        let api = try await ScriptedAPI([
            "/xrpc/app.bsky.feed.getRepostedBy": [["body": #"{"uri":"at://x/app.bsky.feed.post/1","repostedBy":[{"did":"did:plc:a","handle":"a.bsky.social"},{"did":"did:plc:b","handle":"b.bsky.social"}]}"#]],
            "/xrpc/app.bsky.actor.getProfiles": [["body": #"{"profiles":[{"did":"did:plc:a","handle":"a.bsky.social","followersCount":5000},{"did":"did:plc:b","handle":"b.bsky.social","followersCount":7}]}"#]],
        ])
        defer { api.stop() }
        let poller = FeedPoller(feed: BlueskyFeed(source: testSource(.bluesky, base: api.base)))
        let sightings = try #require(await poller.resharers(of: "at://x/app.bsky.feed.post/1", postedAt: Date().addingTimeInterval(-60)))
        // Listed newest first: b reshared before a.
        #expect(sightings.map(\.followers) == [7, 5000])
        let profiles = try await api.requests(to: "/xrpc/app.bsky.actor.getProfiles")
        #expect(profiles.first?.path.contains("actors=a.bsky.social&actors=b.bsky.social") == true)
    }

    @Test("One feed hanging does not hold back the others' schedule")
    func hangingFeed() async throws {
        let api = try await ScriptedAPI([
            Self.tagPath: [["body_file": payloadPath("mastodon/timelines_tag_hoot.json")]],
            "/api/v1/search_by_date": [["delay": 120, "body": "{}"]],
        ])
        defer { api.stop() }
        var hanging = testSource(.hackernews, base: api.base)
        hanging.timeout = 300
        let scheduler = FeedScheduler(pollers: [
            FeedPoller(feed: HackerNewsFeed(source: hanging)),
            FeedPoller(feed: MastodonFeed(source: testSource(.mastodon, base: api.base))),
        ])
        let seen = Mutex<[String]>([])
        let task = Task { await scheduler.run { outcome in seen.withLock { $0.append(outcome.source) } } }
        // Wait for three Mastodon polls (1 s apart; a loaded machine may take longer), not a fixed time.
        let deadline = Date().addingTimeInterval(60)
        while seen.withLock({ $0.filter { $0 == "mastodon" }.count }) < 3, Date() < deadline {
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        task.cancel()
        await task.value
        let sources = seen.withLock { $0 }
        // Interval 1 s: the Mastodon feed polled several times while Hacker News hung in its first request.
        #expect(sources.filter { $0 == "mastodon" }.count >= 3)
        #expect(!sources.contains("hackernews"))
    }
}
