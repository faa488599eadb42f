import Foundation
import Testing
@testable import ForeshockTransport
@testable import ForeshockTestSupport

@Suite("HTTP client over real loopback sockets")
struct HTTPClientTests {
    let client = HTTPClient()

    @Test("64 GETs are in flight at the same time")
    func concurrentRequests() async throws {
        let server = try await FixtureServer.start("http_server.py")
        defer { server.stop() }
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<64 {
                group.addTask {
                    try await client.get("\(server.base)/barrier?n=64&timeout=60", timeout: 90).status
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        // The server answers 200 only once it has seen all 64 waiting at once; else 504.
        #expect(statuses.count == 64)
        #expect(statuses.allSatisfy { $0 == 200 })
    }

    @Test("status, headers and a gzip body are exposed")
    func statusHeadersGzip() async throws {
        let server = try await FixtureServer.start("http_server.py")
        defer { server.stop() }
        let response = try await client.get("\(server.base)/x?status=429&header=Retry-After:7&header=X-RateLimit-Remaining:0&gzip=1&body=slow%20down")
        #expect(response.status == 429)
        #expect(response.headers["retry-after"] == "7")
        #expect(response.headers["X-RateLimit-Remaining"] == "0")
        #expect(response.headers["Content-Encoding"] == "gzip")
        #expect(String(decoding: response.body, as: UTF8.self) == "slow down")
    }

    @Test("If-None-Match gets a 304 with no body")
    func etagRevalidation() async throws {
        let server = try await FixtureServer.start("http_server.py")
        defer { server.stop() }
        let first = try await client.get("\(server.base)/feed?etag=v1&body=fresh")
        #expect(first.status == 200)
        let etag = try #require(first.headers["ETag"])
        let second = try await client.get("\(server.base)/feed?etag=v1&body=fresh", headers: HTTPHeaders([("If-None-Match", etag)]))
        #expect(second.status == 304)
        #expect(second.body.isEmpty)
    }

    @Test("a POST body and custom headers arrive intact")
    func postEcho() async throws {
        let server = try await FixtureServer.start("http_server.py")
        defer { server.stop() }
        let body = Data(#"{"text":"שלום \u0000 world"}"#.utf8)
        let request = HTTPRequest(method: "POST", url: "\(server.base)/echo", headers: HTTPHeaders([("Content-Type", "application/json"), ("X-Test", "1")]), body: body)
        let response = try await client.send(request)
        let echo = try JSONSerialization.jsonObject(with: response.body) as! [String: Any]
        #expect(echo["method"] as? String == "POST")
        #expect(echo["body"] as? String == String(decoding: body, as: UTF8.self))
        let headers = echo["headers"] as! [String: String]
        #expect(headers["X-Test"] == "1")
        #expect(headers["User-Agent"]?.hasPrefix("foreshock/") == true)
        #expect(headers["Expect"] == nil)
    }

    @Test("bodies past the cap are refused, chunked and gzip ones too", arguments: ["size=2000000", "size=2000000&chunked=1", "size=2000000&gzip=1", "size=2000000&gzip=1&chunked=1"])
    func sizeCap(query: String) async throws {
        let server = try await FixtureServer.start("http_server.py")
        defer { server.stop() }
        let capped = HTTPRequest(url: "\(server.base)/big?\(query)", maxBodyBytes: 1_000_000)
        await #expect(throws: TransportError.self) { try await client.send(capped) }
        do {
            _ = try await client.send(capped)
        } catch {
            #expect(error.code == .tooLarge)
        }
        let roomy = try await client.send(HTTPRequest(url: "\(server.base)/big?\(query)", maxBodyBytes: 3_000_000))
        #expect(roomy.body.count == 2_000_000)
    }

    @Test("a refused connection is a clear connect error")
    func connectionRefused() async throws {
        let server = try await FixtureServer.start("http_server.py")
        let port = server.port
        server.stop()
        do {
            _ = try await client.get("http://127.0.0.1:\(port)/")
            Issue.record("expected a connection error")
        } catch {
            #expect(error.code == .connectFailed)
            #expect(error.isTransient)
            #expect(error.description.contains("could not connect"))
        }
    }

    @Test("a server that does not answer in time is a timeout")
    func timeout() async throws {
        let server = try await FixtureServer.start("http_server.py")
        defer { server.stop() }
        do {
            _ = try await client.send(HTTPRequest(url: "\(server.base)/slow?delay=5", timeout: 0.5))
            Issue.record("expected a timeout")
        } catch {
            #expect(error.code == .timedOut)
        }
    }

    @Test("redirects: followed up to 5, not past, never to another protocol")
    func redirects() async throws {
        let server = try await FixtureServer.start("http_server.py")
        defer { server.stop() }
        let ok = try await client.get("\(server.base)/redirect?left=5")
        #expect(ok.status == 200)
        #expect(String(decoding: ok.body, as: UTF8.self) == "arrived")
        #expect(ok.effectiveURL.hasSuffix("/redirect?left=0"))
        await #expect(throws: TransportError.self) { try await client.get("\(server.base)/redirect?left=6") }
        do {
            _ = try await client.get("\(server.base)/redirect?to=file:///etc/passwd")
            Issue.record("a redirect to file:// must not be followed")
        } catch {
            #expect(error.code == .unsupportedProtocol)
        }
    }

    @Test("only http and https URLs are fetched")
    func schemes() async throws {
        await #expect(throws: TransportError.self) { try await client.get("file:///etc/passwd") }
        await #expect(throws: TransportError.self) { try await client.get("gopher://127.0.0.1/") }
    }

    @Test("HTTPS verifies the peer: unknown CA fails, the right CA or insecure_skip_verify passes")
    func tlsVerification() async throws {
        let certs = try await TestCertificates.make()
        let server = try await FixtureServer.start("http_server.py", ["--tls", certs.certFile, certs.keyFile])
        defer { server.stop() }
        let url = "https://localhost:\(server.port)/hello?body=secure"
        do {
            _ = try await client.get(url)
            Issue.record("an unknown CA must fail verification")
        } catch {
            #expect(error.code == .tls)
        }
        let trusted = try await client.send(HTTPRequest(url: url, caFile: certs.caFile))
        #expect(String(decoding: trusted.body, as: UTF8.self) == "secure")
        let skipped = try await client.send(HTTPRequest(url: url, insecureSkipVerify: true))
        #expect(skipped.status == 200)
    }

    @Test("cancelling the task aborts the transfer")
    func cancellation() async throws {
        let server = try await FixtureServer.start("http_server.py")
        defer { server.stop() }
        let task = Task { try await client.send(HTTPRequest(url: "\(server.base)/hang?delay=30", timeout: 60)) }
        try await Task.sleep(for: .milliseconds(300))
        task.cancel()
        let started = Date()
        let result = await task.result
        #expect(Date().timeIntervalSince(started) < 10)
        guard case .failure(let error as TransportError) = result else {
            Issue.record("expected a cancellation error, got \(result)")
            return
        }
        #expect(error.code == .cancelled)
    }
}
