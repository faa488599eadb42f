import ForeshockSupport
import Foundation
import Glibc

#if canImport(Glibc)
#endif

/// Keeps a second process off a state directory: two watches sharing one would send every
/// alert twice and tear each other's journals. `flock(2)` is released by the kernel when the
/// process dies, so a crash never leaves a stale lock behind.
package final class StateLock: Sendable {
    package struct Error: Swift.Error, Sendable, CustomStringConvertible {
        package enum Code: Sendable { case held, unusable }
        package var code: Code
        package var description: String
    }

    package let path: String
    private let descriptor: Int32

    /// Takes `<directory>/lock`, creating the directory.
    /// - Throws: `Error` with `.held` when another process has it, `.unusable` when it cannot be made.
    package init(directory: String) throws(Error) {
        path = (directory as NSString).appendingPathComponent("lock")
        if FileManager.default.isDirectory(atPath: directory) == false {
            throw Error(code: .unusable, description: "the state directory \(directory) is a file, not a directory")
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw Error(code: .unusable, description: "cannot create the state directory \(directory): \(SystemReason.of(error))")
        }
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw Error(code: .unusable, description: "cannot open \(path): \(SystemReason.describe(errno: errno))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            close(fd)
            let who = holder.flatMap { $0.isEmpty ? nil : " (pid \($0))" } ?? ""
            throw Error(code: .held, description: "another foreshock process\(who) is using the state directory \(directory); stop it or give this one its own --state-dir")
        }
        descriptor = fd
        _ = ftruncate(fd, 0)
        let pid = "\(getpid())\n"
        try? FileHandle(fileDescriptor: fd, closeOnDealloc: false).write(contentsOf: Data(pid.utf8))
    }

    /// Releases the lock (also released when the process exits).
    package func release() {
        _ = flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
