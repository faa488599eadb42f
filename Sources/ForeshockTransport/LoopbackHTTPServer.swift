import Foundation
import Glibc

#if canImport(Glibc)
#endif

/// A tiny HTTP/1.1 server on 127.0.0.1 for `foreshock demo`: it stands in for a social
/// network's API so the demo runs the real poller, libcurl and all, with no network. One
/// request per connection, GET only, answered by `respond(path)`; never bound beyond loopback.
///
/// `@unchecked Sendable`: `descriptor` is set once; `stopped` is behind a lock.
package final class LoopbackHTTPServer: @unchecked Sendable {
    package let port: Int
    private let descriptor: Int32
    private let respond: @Sendable (String) -> (status: Int, body: Data)
    private let lock = NSLock()
    private var stopped = false

    /// Binds a free port on 127.0.0.1 and starts answering on a thread of its own.
    /// - Throws: `TransportError` when no socket can be bound.
    package init(respond: @escaping @Sendable (String) -> (status: Int, body: Data)) throws(TransportError) {
        self.respond = respond
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TransportError(code: .connectFailed, message: "cannot open a socket") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else {
            close(fd)
            throw TransportError(code: .connectFailed, message: "cannot listen on 127.0.0.1")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        descriptor = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in serve() }
        thread.start()
    }

    package var base: String { "http://127.0.0.1:\(port)" }

    /// Stops accepting connections.
    package func stop() {
        lock.withLock {
            guard !stopped else { return }
            stopped = true
            shutdown(descriptor, Int32(SHUT_RDWR))
            close(descriptor)
        }
    }

    private func serve() {
        while true {
            let client = accept(descriptor, nil, nil)
            if client < 0 {
                if lock.withLock({ stopped }) { return }
                continue
            }
            handle(client)
        }
    }

    private func handle(_ client: Int32) {
        defer { close(client) }
        var request = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        let end: [UInt8] = [13, 10, 13, 10]
        while request.count < 65_536 {
            let count = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return }
            request += buffer[0..<count]
            if request.count >= 4, (0...(request.count - 4)).contains(where: { Array(request[$0..<$0 + 4]) == end }) { break }
        }
        let line = String(decoding: request.prefix { $0 != 13 && $0 != 10 }, as: UTF8.self).split(separator: " ")
        let answer: (status: Int, body: Data) = line.count >= 2 && line[0] == "GET" ? respond(String(line[1])) : (405, Data("only GET\n".utf8))
        let head = "HTTP/1.1 \(answer.status) \(answer.status == 200 ? "OK" : "Error")\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(answer.body.count)\r\nConnection: close\r\n\r\n"
        let bytes = [UInt8](head.utf8) + [UInt8](answer.body)
        var sent = 0
        while sent < bytes.count {
            let count = bytes.withUnsafeBytes { send(client, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { return }
            sent += count
        }
    }
}
