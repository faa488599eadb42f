import Foundation
import Synchronization

/// The repository's root, found from this file's path so tests run from any directory.
package let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A fixture server from `fixtures/` running as a child process on a free loopback port.
///
/// The child exits when its stdin closes, so it stops with this object even if a test fails.
package final class FixtureServer: @unchecked Sendable {
    // @unchecked Sendable: every stored property is set in init and never mutated after.
    package let port: Int
    private let process: Process
    private let stdin: Pipe
    private let stopped = Mutex(false)

    /// Starts `fixtures/<script>` under Debian's python3 and waits for its "PORT n" line.
    package init(_ script: String, _ arguments: [String] = []) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [repositoryRoot.appendingPathComponent("fixtures/\(script)").path] + arguments
        stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        let line = Self.firstLine(stdout)
        guard line.hasPrefix("PORT "), let port = Int(line.dropFirst(5)) else {
            // As in `stop()`: SIGTERM may be blocked in the child.
            kill(process.processIdentifier, SIGKILL)
            reap(process)
            throw FixtureError(message: "\(script) did not start: \(line)")
        }
        self.port = port
    }

    /// What a server printed up to its first line break (its "PORT n"), read until then, the
    /// end of its output, or `seconds` passing between reads.
    package static func firstLine(_ output: Pipe, within seconds: Double = 20) -> String {
        var collected = Data()
        let deadline = Date().addingTimeInterval(seconds)
        while !collected.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty || Date() > deadline { break }
            collected.append(chunk)
        }
        return String(decoding: collected, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    package var base: String { "http://127.0.0.1:\(port)" }

    package func stop() {
        // Once only: after `reap` took the child itself, its pid may belong to another process.
        guard stopped.withLock({ done in defer { done = true }; return !done }) else { return }
        try? stdin.fileHandleForWriting.close()
        // SIGKILL, not SIGTERM: a child inherits its starting thread's signal mask, and the
        // threads here block SIGTERM, so it waited pending while the server waited for its stdin
        // to close, which a child spawned at the same moment can hold open (Foundation leaks
        // descriptors into children). `reap` then waited its full minute on one of the pool's
        // two threads, and every async test beside it timed out (21 failures in one CI run).
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        reap(process)
    }

    deinit { stop() }
}

package struct FixtureError: Error, CustomStringConvertible {
    package var message: String
    package var description: String { message }
}

/// A fresh temporary directory, under this test process's own directory, which goes when the
/// process exits.
///
/// Per process rather than per test: a directory often outlives the test's last use of it in a
/// child (a watch, a fixture server) that a failed test leaves to its `deinit`, and by exit
/// those have been stopped. A run that crashed leaves its directory behind, and the next run
/// removes it (see `temporaryRoot`).
package func makeTemporaryDirectory() throws -> URL {
    let url = try temporaryRoot.get().appendingPathComponent(UUID().uuidString)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
    return url
}

private let temporaryRootPrefix = "foreshock-tests-"

/// This process's directory for `makeTemporaryDirectory`, made on first use and removed at exit.
///
/// A fresh name made with mode 0700 by `mkdir`, which fails rather than adopt a directory
/// somebody else put there first. The process holds a lock on the directory's `.lock` while it
/// lives, and whoever makes the next directory removes those whose lock is free: their process
/// has gone, however it ended. A lock rather than a process id, since a test run in another PID
/// namespace sharing /tmp (a container) has ids that mean nothing here; the lock is the kernel's.
private let temporaryRoot: Result<URL, FixtureError> = {
    let parent = FileManager.default.temporaryDirectory
    removeAbandonedTemporaryRoots(in: parent)
    let root = parent.appendingPathComponent("\(temporaryRootPrefix)\(UUID().uuidString)")
    guard mkdir(root.path, 0o700) == 0 else {
        return .failure(FixtureError(message: "cannot make \(root.path): \(String(cString: strerror(errno)))"))
    }
    // Left open, and so locked, until the process exits; not inherited by the children.
    let lock = open(root.appendingPathComponent(".lock").path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0o600)
    guard lock >= 0, flock(lock, LOCK_EX | LOCK_NB) == 0 else {
        let problem = FixtureError(message: "cannot lock \(root.path)/.lock: \(String(cString: strerror(errno)))")
        if lock >= 0 { close(lock) }
        return .failure(problem)
    }
    atexit {
        if case .success(let root) = temporaryRoot { try? FileManager.default.removeItem(at: root) }
    }
    return .success(root)
}()

/// Removes the directories of earlier test runs whose process has ended (crashed or killed).
/// One without a `.lock` yet is being made, or is not ours: left alone.
private func removeAbandonedTemporaryRoots(in parent: URL) {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: parent.path)) ?? []
    for name in names where name.hasPrefix(temporaryRootPrefix) {
        let directory = parent.appendingPathComponent(name)
        let lock = open(directory.appendingPathComponent(".lock").path, O_RDWR | O_CLOEXEC | O_NOFOLLOW)
        guard lock >= 0 else { continue }
        defer { close(lock) }
        guard flock(lock, LOCK_EX | LOCK_NB) == 0 else { continue }
        try? FileManager.default.removeItem(at: directory)
    }
}

/// Runs a command to completion and returns its exit status.
@discardableResult
package func runCommand(_ path: String, _ arguments: [String]) throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    try process.run()
    guard let status = reap(process) else { throw FixtureError(message: "\(path) did not finish within a minute") }
    return status
}

/// Waits for a child to end (SIGKILL after `timeout` seconds) without `waitUntilExit`.
///
/// Seen in a full run: a fixture server exited and stayed a zombie that Foundation's process
/// monitor never noticed, so `waitUntilExit` spun for good on one of the pool's two threads
/// and the whole suite stalled. Foundation on Linux learns of a child's end when a socket it
/// gave the child closes, and a child spawned at the same moment by another test can inherit
/// that socket and keep it open (swift-corelibs-foundation issue 4795). This polls, and reaps
/// the child itself with `waitpid` when Foundation has not. Foundation then still thinks the
/// child runs, and reading its `terminationStatus` or `terminationReason` stops the test
/// process (seen in CI), so the status comes from here.
/// - Returns: the exit status as a shell gives it (128 + the signal's number for a signal), or
///   nil if the child had to be killed after `timeout`.
@discardableResult
package func reap(_ process: Process, timeout: Double = 60) -> Int32? {
    let pid = process.processIdentifier
    let deadline = Date().addingTimeInterval(timeout)
    var killed = false
    while process.isRunning {
        if let status = reapedStatus(pid) { return killed ? nil : status }
        if Date() > deadline, !killed {
            // Said, so a stall like this is found from the log rather than guessed at.
            FileHandle.standardError.write(Data("reap: \(process.executableURL?.lastPathComponent ?? "?") (pid \(pid)) still running after \(Int(timeout)) s: SIGKILL\n".utf8))
            kill(pid, SIGKILL)
            killed = true
        }
        usleep(10_000)
    }
    return killed ? nil : shellStatus(of: process)
}

/// The child's status if it has ended and this call reaped it (Foundation's monitor missed it).
package func reapedStatus(_ pid: Int32) -> Int32? {
    var status: Int32 = 0
    guard waitpid(pid, &status, WNOHANG) == pid else { return nil }
    return (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
}

/// The status of a child Foundation saw end, as a shell gives it.
package func shellStatus(of process: Process) -> Int32 {
    process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
}

/// A throwaway CA and a certificate for localhost, made with openssl by `fixtures/make_test_ca.sh`.
package struct TestCertificates {
    package let directory: URL
    package var caFile: String { directory.appendingPathComponent("ca.pem").path }
    package var certFile: String { directory.appendingPathComponent("server.pem").path }
    package var keyFile: String { directory.appendingPathComponent("server.key").path }

    package init() throws {
        directory = try makeTemporaryDirectory()
        let status = try runCommand("/bin/sh", [repositoryRoot.appendingPathComponent("fixtures/make_test_ca.sh").path, directory.path])
        guard status == 0 else { throw FixtureError(message: "make_test_ca.sh failed with \(status)") }
    }
}

extension FixtureServer {
    /// Starts the server with the wait for its port off Swift concurrency's pool: Python takes a
    /// second or more to start on a busy machine, and a test run starts dozens of servers at
    /// once. Waiting on the pool's threads (two here) held up every other test for ten seconds.
    package static func start(_ script: String, _ arguments: [String] = []) async throws -> FixtureServer {
        try await offCooperativePool { try FixtureServer(script, arguments) }
    }
}

extension TestCertificates {
    /// Makes the certificates with openssl off Swift concurrency's pool (see `FixtureServer.start`).
    package static func make() async throws -> TestCertificates {
        try await offCooperativePool { try TestCertificates() }
    }
}
