import Foundation
import Synchronization
import Testing
@testable import ForeshockTestSupport

/// The loopback servers every transport test stands on must stop when told, or a test's
/// `defer { server.stop() }` holds one of Swift concurrency's two threads here for a minute
/// and every async test beside it times out (seen in CI: 21 failures at once).
@Suite("Fixture servers stop when told")
struct FixtureServerTests {
    /// A child inherits the signal mask of the thread that starts it, and the threads here
    /// (libdispatch's workers, and threads they start) block SIGTERM. A test process that runs a
    /// watch in-process also ignores SIGTERM while its signal listener runs, and that survives
    /// exec too; `sh`'s `trap '' TERM` sets it up for one child without touching this process.
    @Test("A server started with SIGTERM blocked and ignored takes both back: SIGTERM stops it with its stdin still open",
          arguments: ["http_server.py", "smtp_server.py"])
    func sigtermInherited(script: String) async throws {
        let stopped = try await offCooperativePool { () -> (ignored: Bool, status: Int32?) in
            // Blocked here on purpose, not left to whatever mask this thread inherited: the child
            // takes the mask of the thread that starts it. The thread ends with the closure.
            var blocked = sigset_t()
            sigemptyset(&blocked)
            sigaddset(&blocked, SIGTERM)
            pthread_sigmask(SIG_BLOCK, &blocked, nil)
            let directory = try makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            let path = repositoryRoot.appendingPathComponent("fixtures/\(script)").path
            let extra = script == "smtp_server.py" ? " --outdir '\(directory.path)'" : ""
            process.arguments = ["-c", "trap '' TERM; exec /usr/bin/python3 '\(path)'\(extra)"]
            let stdin = Pipe(), stdout = Pipe()
            process.standardInput = stdin
            process.standardOutput = stdout
            try process.run()
            let reaped = Mutex(false)
            // Whatever happens below, nothing outlives the test: a server that never says its
            // port is killed after 20 s, which also ends the read below.
            defer {
                if !reaped.withLock({ $0 }) { kill(process.processIdentifier, SIGKILL); reap(process, timeout: 5) }
                try? stdin.fileHandleForWriting.close()
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + 20) {
                if !reaped.withLock({ $0 }), process.isRunning { kill(process.processIdentifier, SIGKILL) }
            }
            #expect(FixtureServer.firstLine(stdout).hasPrefix("PORT "), "\(script) did not start")
            let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
            let mask = status.split(separator: "\n").first { $0.hasPrefix("SigIgn:") }
                .flatMap { UInt64($0.split(separator: "\t").last ?? "", radix: 16) } ?? 0
            kill(process.processIdentifier, SIGTERM)
            // The server's stdin stays open until after this: it must not need it closed to stop.
            let ended = reap(process, timeout: 5)
            reaped.withLock { $0 = true }
            return (mask & (1 << (UInt64(SIGTERM) - 1)) != 0, ended)
        }
        #expect(!stopped.ignored, "\(script) still ignores SIGTERM once it serves")
        #expect(stopped.status == 128 + SIGTERM, "\(script) did not end on SIGTERM within 5 s")
    }
}
