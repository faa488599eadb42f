import Foundation

/// The built `foreshock` executable running as a child process, its stderr kept in a file so a
/// test can wait for a log line. Killed (SIGKILL) when dropped, so a failing test leaves nothing.
final class ChildProcess: @unchecked Sendable {
    // @unchecked Sendable: every stored property is set in init; Process is thread-safe for
    // the calls made here (signals, isRunning, waitUntilExit).
    let process = Process()
    let stderrPath: String

    static var binary: String { repositoryRoot.appendingPathComponent(".build/debug/foreshock").path }

    init(_ arguments: [String], environment: [String: String] = [:]) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else {
            throw FixtureError(message: "build the foreshock executable first (swift build)")
        }
        stderrPath = try makeTemporaryDirectory().appendingPathComponent("stderr.log").path
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = arguments
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }
    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// Waits for the process to exit.
    /// - Returns: its exit status, or nil if it is still running after `timeout` seconds.
    func waitForExit(timeout: Double) async -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { try? await Task.sleep(nanoseconds: 20_000_000) }
        guard !process.isRunning else { return nil }
        return process.terminationStatus
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

/// Polls `condition` every 50 ms until it holds or `timeout` seconds pass.
/// - Returns: whether it held.
func eventually(timeout: Double, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try await condition() { return true }
        try? await Task.sleep(nanoseconds: 50_000_000)
    }
    return try await condition()
}
