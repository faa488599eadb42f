import Foundation
import Testing
@testable import ForeshockTransport
@testable import ForeshockTestSupport

/// The web server on libmicrohttpd, over real loopback sockets, against the clients a public
/// port meets: a real HTTP client, raw sockets that misbehave, and many at once.
@Suite("HTTP server over real loopback sockets")
struct HTTPServerTests {
    static func echo(_ limits: HTTPServer.Limits = HTTPServer.Limits()) throws -> HTTPServer {
        try HTTPServer(address: "127.0.0.1", port: 0, limits: limits) { request in
            let text = "\(request.method) \(request.path) auth=\(request.authorization ?? "-") body=\(request.body.count) large=\(request.bodyTooLarge)"
            return HTTPServer.Response(status: request.bodyTooLarge ? 413 : 200, contentType: "text/plain; charset=utf-8", body: Data(text.utf8),
                                       headers: [("X-Test", "1")])
        }
    }

    @Test("A request reaches the handler whole (method, decoded path, Authorization, body); the answer carries no server version and the safe headers")
    func roundTrip() async throws {
        let server = try Self.echo()
        defer { server.stop() }
        var request = HTTPRequest(url: "http://127.0.0.1:\(server.port)/api/v1/silen%63es")
        request.method = "POST"
        request.body = Data(repeating: 0x61, count: 60_000)
        request.headers.set("Authorization", "Bearer abc")
        let response = try await HTTPClient().send(request)
        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self) == "POST /api/v1/silences auth=Bearer abc body=60000 large=false")
        #expect(response.headers["X-Test"] == "1" && response.headers["X-Content-Type-Options"] == "nosniff" && response.headers["Cache-Control"] == "no-store")
        #expect(response.headers["Server"] == nil, "the server's version is not advertised")
    }

    @Test("A body over the limit is a 413 and is not kept; a 1 MB header is refused by the library")
    func tooLarge() async throws {
        let server = try Self.echo()
        defer { server.stop() }
        var request = HTTPRequest(url: "http://127.0.0.1:\(server.port)/api/v1/silences")
        request.method = "POST"
        request.body = Data(repeating: 0x61, count: 65 * 1024)
        #expect(try await HTTPClient().send(request).status == 413)
        let header = "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "b", count: 1 << 20) + "\r\n\r\n"
        let answer = try await offCooperativePool { HostileClient.raw(server.port, Array(header.utf8)).answer }
        #expect(answer.hasPrefix("HTTP/1.1 431") || answer.hasPrefix("HTTP/1.1 413") || answer.isEmpty, "\(answer.prefix(80))")
        #expect(!answer.contains("body="), "the handler never saw it")
        // Still answering.
        #expect(try await HTTPClient().get("http://127.0.0.1:\(server.port)/after").status == 200)
    }

    @Test("A client sending a byte a second is cut off after the timeout, and others are answered meanwhile")
    func slowClient() async throws {
        var limits = HTTPServer.Limits()
        limits.timeout = 2
        limits.lifetime = 5
        let server = try Self.echo(limits)
        defer { server.stop() }
        let port = server.port
        async let slow = offCooperativePool { HostileClient.raw(port, Array("GET /slow HTTP/1.1\r\nHost: x\r\nX-Drip: ".utf8) + Array(repeating: 0x61, count: 40), pause: 1, timeout: 30) }
        try await Task.sleep(nanoseconds: 500_000_000)
        #expect(try await HTTPClient().get("http://127.0.0.1:\(port)/meanwhile", timeout: 5).status == 200)
        let (answer, after) = try await slow
        #expect(!answer.contains("body="), "the handler never saw the dripping request")
        #expect(after < 20, "cut off after \(after) s")
    }

    @Test("10,000 connections opened and dropped, 200 at a time: every one bounded, the server answers again within a second or two")
    func manyConnections() async throws {
        var limits = HTTPServer.Limits()
        limits.connections = 64
        let server = try Self.echo(limits)
        defer { server.stop() }
        let port = server.port
        let connected = try await offCooperativePool { HostileClient.connections(port, total: 10_000, atOnce: 200) }
        #expect(connected > 0)
        // The dropped connections count against the limit until the library has seen them go:
        // a request in that moment may be turned away, the next ones are answered.
        let answered = await eventually(timeout: 5) { (try? await HTTPClient().get("http://127.0.0.1:\(port)/after", timeout: 2).status) == 200 }
        #expect(answered)
    }

    @Test("Requests begun and hung up on from two addresses, a thousand of them, leave no place held: the server answers within seconds, not after every idle timeout in a queue of thousands; a client that closes its side after asking still gets its answer")
    func abandonedRequests() async throws {
        var limits = HTTPServer.Limits()
        limits.connections = 64
        limits.connectionsPerAddress = 32
        limits.timeout = 10
        let server = try HTTPServer(address: "127.0.0.1", port: 0, limits: limits) { request in
            if request.path == "/slow" { usleep(500_000) }
            return HTTPServer.Response(status: 200, contentType: "text/plain", body: Data("answered \(request.path)".utf8))
        }
        defer { server.stop() }
        let port = server.port
        let connected = try await offCooperativePool { HostileClient.abandonedRequests(port, total: 1_000, sources: 2) }
        #expect(connected > 64, "\(connected)")
        // Each place was held for the idle timeout (10 s) by a hung-up request, and thousands
        // waited in the kernel's queue for one: the server did not answer for minutes.
        let began = Date()
        let answered = await eventually(timeout: 8) { (try? await HTTPClient().get("http://127.0.0.1:\(port)/after", timeout: 2).status) == 200 }
        #expect(answered, "not answered after \(Date().timeIntervalSince(began)) s")
        let (answer, _) = try await offCooperativePool { HostileClient.raw(port, Array("GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8), timeout: 5, halfClose: true) }
        #expect(answer.hasPrefix("HTTP/1.1 200") && answer.hasSuffix("answered /slow"), "\(answer.prefix(120))")
    }

    @Test("A port in use, an address not this machine's, a name: one clear error each, saying which")
    func portInUse() throws {
        let first = try Self.echo()
        defer { first.stop() }
        func refusal(_ address: String, _ port: Int) -> String? {
            do {
                let server = try HTTPServer(address: address, port: port) { _ in HTTPServer.Response(status: 200, contentType: "text/plain", body: Data()) }
                server.stop()
                return nil
            } catch {
                return error.message
            }
        }
        #expect(refusal("127.0.0.1", first.port) == "cannot listen on 127.0.0.1:\(first.port) (the address is in use: another process listens there (a second watch needs web.listen of its own))")
        // TEST-NET-1 is no address of this machine (unless the kernel lets anything bind it).
        if (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_nonlocal_bind", encoding: .utf8))?.hasPrefix("0") ?? true {
            #expect(refusal("192.0.2.1", 0) == "cannot listen on 192.0.2.1:0 (not an address of this machine)")
        }
        #expect(refusal("not-an-address", 0) == "cannot listen on not-an-address:0 (the address is in use, not this machine's, or not an IP address)")
    }
}
