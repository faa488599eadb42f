import Foundation
import Synchronization

/// The built `foreshock` executable running as a child process, its stderr kept in a file so a
/// test can wait for a log line. Killed (SIGKILL) when dropped, so a failing test leaves nothing.
package final class ChildProcess: @unchecked Sendable {
    // @unchecked Sendable: every stored property is set in init; Process is thread-safe for
    // the calls made here (signals, isRunning; `reap` instead of waitUntilExit).
    package let process = Process()
    package let stderrPath: String
    package let stdoutPath: String
    private let reaped = Mutex(false)

    package static var binary: String { repositoryRoot.appendingPathComponent(".build/debug/foreshock").path }

    package init(_ arguments: [String], environment: [String: String] = [:], directory: String? = nil) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else {
            throw FixtureError(message: "build the foreshock executable first (swift build)")
        }
        let logs = try makeTemporaryDirectory()
        stderrPath = logs.appendingPathComponent("stderr.log").path
        stdoutPath = logs.appendingPathComponent("stdout.log").path
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = arguments
        process.environment = environment
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        try process.run()
    }

    package var pid: Int32 { process.processIdentifier }
    package var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }
    /// Stdout's bytes as written, to check what reached the terminal.
    package var stdoutBytes: Data { FileManager.default.contents(atPath: stdoutPath) ?? Data() }
    package var stderrBytes: Data { FileManager.default.contents(atPath: stderrPath) ?? Data() }

    /// Peak resident memory so far (VmHWM), in bytes; nil once the process is gone.
    package var peakResidentBytes: Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kb = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") else { return nil }
        return kb * 1024
    }

    package func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// Waits for the process to exit.
    ///
    /// Read its end only from here, never from `process` (see `reap`).
    /// - Returns: its exit status, 128 + the signal's number if a signal ended it (as a shell
    ///   says), or nil if it is still running after `timeout` seconds.
    package func waitForExit(timeout: Double) async -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline {
            // Foundation's monitor has been seen to miss a child's end: then reap it here.
            if let status = reapedStatus(pid) {
                reaped.withLock { $0 = true }
                return status
            }
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
        guard !process.isRunning else { return nil }
        return shellStatus(of: process)
    }

    deinit {
        // Not once reaped here: the pid may belong to another process by now.
        if process.isRunning, !reaped.withLock({ $0 }) {
            kill(process.processIdentifier, SIGKILL)
            reap(process, timeout: 5)
        }
    }
}

/// Polls `condition` every 50 ms until it holds or `timeout` seconds pass.
/// - Returns: whether it held.
package func eventually(timeout: Double, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try await condition() { return true }
        try? await Task.sleep(nanoseconds: 50_000_000)
    }
    return try await condition()
}

/// Runs the built `foreshock` binary to its end, as a user runs it: a child process with only
/// `environment` (and `COLUMNS` when given), in `directory` if given.
/// - Returns: its exit status (nil if it ran past `timeout` and was killed), stdout and stderr.
package func runBinary(_ arguments: [String], environment: [String: String] = [:], directory: String? = nil,
                       timeout: Double = 60) async throws -> (status: Int32?, out: String, err: String) {
    let child = try ChildProcess(arguments, environment: environment, directory: directory)
    let status = await child.waitForExit(timeout: timeout)
    if status == nil { child.signal(SIGKILL) }
    return (status, String(decoding: child.stdoutBytes, as: UTF8.self), child.stderr)
}

/// Runs any program to its end (off Swift concurrency's threads), its stdout and stderr kept.
/// - Returns: its exit status (nil if killed after `timeout`), stdout and stderr.
package func runProgram(_ path: String, _ arguments: [String], timeout: Double = 60) async throws -> (status: Int32?, out: String, err: String) {
    try await offCooperativePool { try runProgramNow(path, arguments, timeout: timeout) }
}

/// `runProgram` on the calling thread, which it blocks: for work already off Swift
/// concurrency's threads. Output goes to files, not pipes, so a child spawned beside it that
/// inherits a descriptor cannot hold its end open.
package func runProgramNow(_ path: String, _ arguments: [String], timeout: Double = 60) throws -> (status: Int32?, out: String, err: String) {
    let directory = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let out = directory.appendingPathComponent("out"), err = directory.appendingPathComponent("err")
    _ = FileManager.default.createFile(atPath: out.path, contents: nil)
    _ = FileManager.default.createFile(atPath: err.path, contents: nil)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    process.standardOutput = try FileHandle(forWritingTo: out)
    process.standardError = try FileHandle(forWritingTo: err)
    try process.run()
    let status = reap(process, timeout: timeout)
    return (status, (try? String(contentsOf: out, encoding: .utf8)) ?? "", (try? String(contentsOf: err, encoding: .utf8)) ?? "")
}
