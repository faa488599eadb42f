import ForeshockConfig
import ForeshockCore
import ForeshockService
import ForeshockSupport
import ForeshockTransport
import Foundation
import Synchronization

/// `foreshock demo`: a real cascade shipped in the binary, its first hour played in about 30
/// seconds through the live pipeline: a loopback server stands in for the network's API, the
/// real poller reads it through libcurl, then scoring, the alert lifecycle and the console sink,
/// on a clock that runs `--speed` times faster. No credentials, no network.
enum DemoCommand {
    static func run(_ arguments: ParsedArguments, terminal: Terminal, environment: [String: String]) async throws(CommandError) -> ExitCode {
        let speed = Double(arguments[.speed] ?? "120") ?? 0
        guard speed >= 1, speed <= 10_000 else { throw CommandError(.usage, "foreshock demo: --speed takes a number from 1 to 10000.") }
        // What the demo has printed and what its feed has published: the feed publishes by the
        // minute but never past the next five minutes not printed yet, and that row is printed
        // after the poll that read it, so each row is the post as it stood at its five minutes
        // however late a loaded machine polls. Every run prints the same rows.
        let progress = Mutex((printedStep: -1, published: -1.0, lastAsked: 0.0))
        let wallStart = Date()
        // The original was posted when the demo starts (on a whole second, so every time the
        // feed writes is exact to its milliseconds), and demo time runs `speed` times faster.
        let posted = Date(timeIntervalSince1970: wallStart.timeIntervalSince1970.rounded(.down))
        let clock: @Sendable () -> Date = { posted.addingTimeInterval(Date().timeIntervalSince(wallStart) * speed) }
        // A loopback server stands in for the network's API, so the real poller reads it through libcurl.
        let server: HTTPServer
        do {
            server = try HTTPServer(address: "127.0.0.1", port: 0) { request in
                guard request.method == "GET", request.path == "/feed.json" else {
                    return HTTPServer.Response(status: 404, contentType: "application/json", body: Data("{\"error\":\"not found\"}".utf8))
                }
                // Only what was made before the previous request came: that poll has ended, so this
                // one began after it, and nothing in the answer is newer than the poll reading it
                // (which would take such a reshare as made when the poll began, a moment early).
                let published = progress.withLock { progress in
                    let asked = clock().timeIntervalSince(posted)
                    defer { progress.lastAsked = asked }
                    progress.published = min((progress.lastAsked / 60).rounded(.down) * 60, Double((progress.printedStep + 1) * 300))
                    return progress.published
                }
                return HTTPServer.Response(status: 200, contentType: "application/json", body: feed(upTo: published, posted: posted))
            }
        } catch {
            throw CommandError(.runtime, "foreshock demo: \(error.message).")
        }
        defer { server.stop() }
        let config = try demoConfig(feedURL: "http://127.0.0.1:\(server.port)/feed.json", speed: speed, environment: environment)
        let stateDir = FileManager.default.temporaryDirectory.appendingPathComponent("foreshock-demo-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: stateDir) }
        let logger = Logger(handler: StreamLogHandler(level: .warning, write: terminal.err))
        // Its state directory goes when it ends: a silence command printed for it could not work.
        let notifier = try CommandAlerting.notifier(config: config, stateDir: stateDir, terminal: terminal, command: "demo", logger: logger, silenceCommands: false)
        let factory = WatchService.Factory(loadConfig: { config }, makeNotifier: { _, previous in previous ?? notifier })
        let minutes = Int((3600 / speed).rounded())
        terminal.print("""
        Foreshock demo: the first hour of a real cascade, \(DemoCascade.events.count - 1) reshares of one post, in about \(minutes) s.
        Data: \(DemoCascade.source).
        A loopback server plays the network's API; the real poller reads it twice a minute of demo time, the
        scoring core and the embedded default rules judge the post, and alerts go to the console sink.

          TIME    RESHARES  VEL/MIN  REACH       PREDICTED (SEISMIC 90% interval)
        """)
        var options = WatchService.Options()
        options.mentions = "none"
        // The demo ends with its last row, minute 60, however late a loaded machine gets there
        // (it stopped on the wall clock, and a test beside others saw 2 rows of 13); a machine
        // that cannot get there in four times the demo's length stops anyway.
        options.stopAfter = 4 * 3780 / speed + 60
        options.housekeepingInterval = 3600
        let key = PostKey(source: "demo", id: "1")
        options.onPoll = { pipeline, outcome in
            // A poll that failed may not have read what the feed published for it.
            guard outcome.error == nil else { return false }
            let (step, published) = progress.withLock { ($0.printedStep + 1, $0.published) }
            guard step <= 12, published == Double(step * 300),
                  let f = await pipeline.features([key], at: posted.addingTimeInterval(published).timeIntervalSince1970, exactly: true).first ?? nil else { return false }
            progress.withLock { $0.printedStep = step }
            terminal.print(progressLine(f, minutes: step * 5))
            return step == 12
        }
        let service = WatchService(config: config, stateDir: stateDir, notifier: notifier, factory: factory, options: options,
                                   terminal: terminal, logger: logger, clock: clock)
        let status: ExitCode = await service.run() == .completed ? .success : .failure
        terminal.print("""

        That was the first hour. This post went on to \(DemoCascade.finalReshares) reshares (fixtures/cascades/seismic_tweet.csv).
        Next: `foreshock watch --query YOURBRAND`, or a config of your own (README: Configure it for your brand).
        """)
        return status
    }

    static func progressLine(_ f: PostFeatures, minutes: Int) -> String {
        func pad(_ text: String, _ width: Int) -> String { text.padding(toLength: max(width, text.count), withPad: " ", startingAt: 0) }
        let time = String(format: "+%02d:%02d", minutes / 60, minutes % 60)
        let reach = f.reach >= 1e6 ? String(format: "%.1fM", f.reach / 1e6) : f.reach >= 1e3 ? String(format: "%.0fk", f.reach / 1e3) : NumberText.whole(f.reach)
        var predicted = f.supercritical ? "on its way to everywhere (supercritical)" : f.predicted.map(NumberText.whole) ?? "-"
        if let p = f.seismic.infectiousness, p > 0, let mid = f.seismic.predicted, let band = f.seismic.band(nStar: 100),
           let lo = band.low, let hi = band.high {
            predicted += String(format: " (raw %.0f, %.0f–%.0f)", mid, lo, hi)
        }
        return "  \(pad(time, 6))  \(pad(String(f.reshares), 8))  \(pad(String(format: "%.1f", f.velocityShort), 7))  \(pad(reach, 10))  \(predicted)"
    }

    /// The feed at `age` seconds after the post: the original and every reshare so far, newest first.
    static func feed(upTo age: Double, posted: Date) -> Data {
        var items: [String] = []
        for (index, event) in DemoCascade.events.enumerated().reversed() where Double(event.seconds) <= age {
            let created = JSONText.quote(Timestamp.format(posted.addingTimeInterval(Double(event.seconds))))
            if index == 0 {
                items.append("{\"id\":\"1\",\"created_at\":\(created),\"author\":\"original_poster\",\"author_followers\":\(event.followers),"
                    + "\"text\":\"(the text of this tweet is not part of the data set)\",\"url\":\"https://twitter.com/i/web/status/demo\"}")
            } else {
                items.append("{\"id\":\"r\(index)\",\"created_at\":\(created),\"author\":\"resharer\(index)\",\"author_followers\":\(event.followers),\"reshare_of\":\"1\"}")
            }
        }
        return Data("{\"items\":[\(items.joined(separator: ","))]}".utf8)
    }

    static func demoConfig(feedURL: String, speed: Double, environment: [String: String]) throws(CommandError) -> Config {
        var config: Config
        do { config = try ConfigLoader.embeddedDefault(query: "demo", environment: environment).0 } catch {
            throw CommandError(.config, "foreshock demo: the embedded config does not load: \(error)")
        }
        var source = SourceConfig(name: "demo", kind: .json)
        source.url = .literal(feedURL)
        source.items = "items"
        source.fields = ["id": "id", "created_at": "created_at", "author": "author", "author_followers": "author_followers",
                         "text": "text", "url": "url", "reshare_of": "reshare_of"]
        // Two polls per minute of demo time (the feed publishes by the minute, so a row waits
        // half a minute at most), one evaluation per 15 s of it.
        source.interval = 30 / speed
        source.fetchResharersAt = nil
        config.sources = [source]
        config.scoring.evaluationInterval = 15 / speed
        config.alerting.groupWait = 0
        config.shutdownTimeout = 2
        // A demo needs no port of its own (and may run beside a watch that has 9464).
        config.web = nil
        return config
    }
}
