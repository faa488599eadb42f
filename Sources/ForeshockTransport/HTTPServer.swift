import CMicroHTTPD
import Foundation
import Synchronization

/// An HTTP server on GNU libmicrohttpd: the library parses HTTP, keeps connections, enforces
/// the limits below and runs its own pool of threads; Foreshock only answers whole requests.
/// The only place besides libcurl's where C pointers cross into Swift.
///
/// `@unchecked Sendable`: the daemon and the context are set in init and only released by
/// `stop` (once, under `stopped`); the handler is itself `@Sendable`.
package final class HTTPServer: @unchecked Sendable {
    /// A request, whole: its body gathered up to `Limits.body`.
    package struct Request: Sendable {
        package var method: String
        /// The path as the library decoded it (percent escapes undone), without its query.
        package var path: String
        /// The Host header, for a server that answers only to its own names.
        package var host: String?
        /// How many Host headers came (HTTP/1.1 requires exactly one).
        package var hostHeaders: Int
        /// Two Content-Length headers with different values came: the body's end is in doubt.
        package var lengthsDiffer = false
        /// `HTTP/1.1`, `HTTP/1.0`.
        package var version: String
        package var authorization: String?
        package var body: Data
        /// The body was over the limit: it was not kept, and the answer should be 413.
        package var bodyTooLarge: Bool
    }

    package struct Response: Sendable {
        package var status: Int
        package var contentType: String
        package var body: Data
        package var headers: [(String, String)]

        package init(status: Int, contentType: String, body: Data, headers: [(String, String)] = []) {
            self.status = status
            self.contentType = contentType
            self.body = body
            self.headers = headers
        }
    }

    /// What one client can take: connections, time, memory.
    package struct Limits: Sendable {
        /// Threads the library answers on: the scoring core and the pollers never wait on them.
        package var threads = 2
        package var connections = 64
        package var connectionsPerAddress = 32
        /// Seconds a connection may sit idle.
        package var timeout = 10
        /// Seconds a request may take to arrive and be answered, idle or not: a client that sends
        /// a byte now and then never sits idle, and is cut off at this. A connection kept alive
        /// starts again with each request.
        package var lifetime = 30.0
        /// Bytes of a request body kept; more is a 413.
        package var body = 64 * 1024
        /// Bytes for a request's line and headers (the library answers a larger header itself).
        package var headers = 32 * 1024

        package init() {}
    }

    /// The port listened on.
    package let port: Int
    private let daemon: OpaquePointer
    private let server: UnsafeMutablePointer<cmhd_server>
    private let context: Unmanaged<Handler>
    /// Set once by `stop`; the watchdog thread ends when it sees it.
    private final class Flag: Sendable { let value = Mutex(false) }
    private let stopped = Flag()

    /// Holds the Swift handler for the C callbacks, and each open connection.
    private final class Handler: Sendable {
        let respond: @Sendable (Request) -> Response
        /// When each open connection's current request began, in seconds of a monotonic clock,
        /// whether it has arrived whole and is being answered, and whether the watchdog found its
        /// client gone at its last look.
        let opened = Mutex<[Int32: (began: Double, answering: Bool, hungUp: Bool)]>([:])
        init(_ respond: @escaping @Sendable (Request) -> Response) { self.respond = respond }
    }

    /// Listens on `address` (`127.0.0.1`, `::1`, `0.0.0.0`) and `port` (0: a free one).
    /// - Parameter handler: answers a request; called on the library's threads, never on Swift
    ///   concurrency's, so it may take a lock but must not wait on a task.
    /// - Throws: `TransportError` when it cannot listen (address in use, not an address).
    package init(address: String, port: Int, limits: Limits = Limits(), handler: @escaping @Sendable (Request) -> Response) throws(TransportError) {
        guard (0...65535).contains(port) else { throw TransportError(code: .invalidRequest, message: "port \(port) is not a port") }
        context = Unmanaged.passRetained(Handler(handler))
        server = UnsafeMutablePointer<cmhd_server>.allocate(capacity: 1)
        server.initialize(to: cmhd_server(handler: { context, connection, method, url, version, host, hosts, lengthsDiffer, authorization, body, length, tooLarge in
            guard let context, let connection else { return 0 }
            let handler = Unmanaged<Handler>.fromOpaque(context).takeUnretainedValue()
            let request = Request(method: method.map { String(cString: $0) } ?? "", path: url.map { String(cString: $0) } ?? "/",
                                  host: host.map { String(cString: $0) }, hostHeaders: Int(hosts), lengthsDiffer: lengthsDiffer != 0,
                                  version: version.map { String(cString: $0) } ?? "",
                                  authorization: authorization.map { String(cString: $0) },
                                  body: body.map { Data(bytes: $0, count: length) } ?? Data(), bodyTooLarge: tooLarge != 0)
            return HTTPServer.queue(handler.respond(request), on: connection) ? 1 : 0
        }, connection: { context, socket, event in
            guard let context else { return }
            let handler = Unmanaged<Handler>.fromOpaque(context).takeUnretainedValue()
            // Under the lock: the watchdog never cuts a socket the library has closed and maybe reused.
            handler.opened.withLock { opened in
                switch event {
                case 0: opened[socket] = nil
                case 3: opened[socket]?.answering = true
                default: opened[socket] = (ProcessInfo.processInfo.systemUptime, false, false)
                }
            }
        }, context: context.toOpaque(), body_limit: limits.body))
        errno = 0
        guard let started = cmhd_start(server, address, UInt16(port), UInt32(limits.threads), UInt32(limits.connections),
                                       UInt32(limits.connectionsPerAddress), UInt32(limits.timeout), limits.headers) else {
            // The library keeps bind(2)'s errno; said in words where it is one of the three a
            // person meets, else all three as possible.
            let code = errno
            server.deallocate()
            context.release()
            let why = switch code {
            case EADDRINUSE: "the address is in use: another process listens there (a second watch needs web.listen of its own)"
            case EADDRNOTAVAIL: "not an address of this machine"
            case EACCES: "a port below 1024 needs privileges this process does not have"
            default: "the address is in use, not this machine's, or not an IP address"
            }
            throw TransportError(code: .connectFailed, message: "cannot listen on \(address):\(port) (\(why))")
        }
        daemon = started
        self.port = Int(cmhd_port(started))
        // The library's timeout is for idle connections; this one for connections that last,
        // and for a request the client began and then hung up on, which the library would keep
        // for its idle timeout (a flood of them held every place for minutes). One that is being
        // answered is left to finish, for a client that closes its side after asking; and one is
        // cut only when found gone at two looks in a row, since such a client's whole request
        // may lie read in the library, not yet handed on, at the first.
        let handler = context.takeUnretainedValue(), lifetime = limits.lifetime, stopped = stopped
        let watchdog = Thread {
            while !stopped.value.withLock({ $0 }) {
                handler.opened.withLock { opened in
                    let now = ProcessInfo.processInfo.systemUptime
                    for (socket, connection) in opened {
                        let hungUp = !connection.answering && cmhd_peer_closed(socket) != 0
                        if now - connection.began > lifetime || (hungUp && connection.hungUp) {
                            cmhd_cut(socket)
                            opened[socket] = nil
                        } else if hungUp != connection.hungUp {
                            opened[socket]?.hungUp = hungUp
                        }
                    }
                }
                usleep(100_000)
            }
        }
        watchdog.name = "foreshock.web.watchdog"
        watchdog.start()
    }

    /// - Returns: whether the response was queued.
    private static func queue(_ response: Response, on connection: OpaquePointer) -> Bool {
        let made = response.body.withUnsafeBytes { bytes in cmhd_response(bytes.baseAddress?.assumingMemoryBound(to: CChar.self), response.body.count) }
        guard let made else { return false }
        _ = cmhd_header(made, "Content-Type", response.contentType)
        // Nothing a browser should guess at, keep, or frame.
        _ = cmhd_header(made, "X-Content-Type-Options", "nosniff")
        _ = cmhd_header(made, "Cache-Control", "no-store")
        _ = cmhd_header(made, "X-Frame-Options", "DENY")
        _ = cmhd_header(made, "Referrer-Policy", "no-referrer")
        for (name, value) in response.headers { _ = cmhd_header(made, name, value) }
        return cmhd_queue(connection, UInt32(response.status), made) != 0
    }

    /// Stops listening, waits for the library's threads, and lets go of the handler.
    package func stop() {
        guard stopped.value.withLock({ done in defer { done = true }; return !done }) else { return }
        cmhd_stop(daemon)
        server.deallocate()
        context.release()
    }

    deinit { stop() }
}
