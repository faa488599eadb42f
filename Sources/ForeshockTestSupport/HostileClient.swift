import Foundation
import Glibc

/// Clients that misbehave on purpose, on raw sockets.
package enum HostileClient {
    /// Writes `bytes` (a `pause` between each when given) and reads until the server closes.
    /// - Parameter halfClose: closes the sending side once the bytes are written, as a client
    ///   that has said all it will may, and reads the answer still.
    package static func raw(_ port: Int, _ bytes: [UInt8], pause: Double = 0, timeout: Double = 10, halfClose: Bool = false) -> (answer: String, closedAfter: Double) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        guard connect(fd, port) else { return ("", 0) }
        var time = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        let began = Date()
        if pause > 0 {
            for byte in bytes {
                if send(fd, [byte], 1, Int32(MSG_NOSIGNAL)) <= 0 { break }
                usleep(UInt32(pause * 1e6))
                if Date().timeIntervalSince(began) > timeout { break }
            }
        } else {
            var sent = 0
            while sent < bytes.count {
                let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if n <= 0 { break }
                sent += n
            }
        }
        if halfClose { shutdown(fd, Int32(SHUT_WR)) }
        var answer = Data(), buffer = [UInt8](repeating: 0, count: 65536)
        while Date().timeIntervalSince(began) < timeout {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n == 0 { break }
            if n < 0 { if errno == EAGAIN || errno == EWOULDBLOCK { continue } else { break } }
            answer.append(contentsOf: buffer[0..<n])
        }
        return (String(decoding: answer, as: UTF8.self), Date().timeIntervalSince(began))
    }

    /// Opens `total` connections, `atOnce` at a time, and drops them unused.
    /// - Returns: how many connected.
    @discardableResult
    package static func connections(_ port: Int, total: Int, atOnce: Int) -> Int {
        var left = total, connected = 0
        while left > 0 {
            let round = (0..<min(atOnce, left)).map { _ in socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0) }
            for fd in round where connect(fd, port) { connected += 1 }
            for fd in round { close(fd) }
            left -= round.count
        }
        return connected
    }

    /// Begins `total` requests and hangs up on each before its headers end, from `sources`
    /// loopback addresses in turn (127.0.0.100 and on, so no one address's limit stops them):
    /// the flood that once held every place of the server for minutes.
    /// - Returns: how many connected.
    package static func abandonedRequests(_ port: Int, total: Int, sources: Int) -> Int {
        let begun = Array("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n".utf8)
        var connected = 0
        for index in 0..<total {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            // A full queue makes a connect wait: give up on it after a second, as a flood would.
            var time = timeval(tv_sec: 1, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
            var from = sockaddr_in()
            from.sin_family = sa_family_t(AF_INET)
            from.sin_addr.s_addr = inet_addr("127.0.0.\(100 + index % sources)")
            _ = withUnsafePointer(to: &from) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            if connect(fd, port) {
                connected += 1
                _ = begun.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            }
            close(fd)
        }
        return connected
    }

    private static func connect(_ fd: Int32, _ port: Int) -> Bool {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } } == 0
    }
}
