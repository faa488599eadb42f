import Foundation

/// Debian's headless Chromium, for tests of the pages Foreshock writes: what the browser made of
/// a page (its DOM after parsing and layout) and a screenshot of it.
package enum Browser {
    package static let path = "/usr/bin/chromium"

    /// The DOM Chromium built from `url`, serialized; after `waiting` milliseconds of the page's
    /// own time (its timers run that far at once) when given.
    /// - Throws: `FixtureError` when Chromium is missing or fails.
    package static func dumpDOM(_ url: String, waiting: Int? = nil) throws -> String {
        try run((waiting.map { ["--virtual-time-budget=\($0)"] } ?? []) + ["--dump-dom", url])
    }

    /// A screenshot of `url` at `width`×`height` written to `file`.
    package static func screenshot(_ url: String, to file: String, width: Int = 1100, height: Int = 1400) throws {
        _ = try run(["--screenshot=\(file)", "--window-size=\(width),\(height)", "--hide-scrollbars", url])
        guard FileManager.default.fileExists(atPath: file) else { throw FixtureError(message: "chromium wrote no screenshot to \(file)") }
    }

    /// Runs Chromium headless with a profile of its own (so runs beside each other do not share
    /// one) and returns what it printed on stdout.
    private static func run(_ arguments: [String]) throws -> String {
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw FixtureError(message: "\(path) is missing: scripts/install-deps test installs Debian's chromium")
        }
        let profile = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: profile) }
        // As root Chromium needs --no-sandbox; no GPU, no first-run work, nothing fetched.
        let run = try runProgramNow(path, ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
                                           "--disable-background-networking", "--user-data-dir=\(profile.path)"] + arguments, timeout: 60)
        guard let status = run.status else { throw FixtureError(message: "chromium did not finish within a minute") }
        guard status == 0 else { throw FixtureError(message: "chromium exited with \(status)") }
        return run.out
    }
}

/// `fixtures/png_stats.py` on a PNG: its size, the share of pixels that are not near-white and
/// its number of distinct colours.
package func pngStats(_ file: String) throws -> (width: Int, height: Int, nonwhite: Double, colours: Int) {
    let run = try runProgramNow("/usr/bin/python3", [repositoryRoot.appendingPathComponent("fixtures/png_stats.py").path, file])
    guard run.status == 0, let object = try JSONSerialization.jsonObject(with: Data(run.out.utf8)) as? [String: Any],
          let width = object["width"] as? Int, let height = object["height"] as? Int,
          let nonwhite = object["nonwhite"] as? Double, let colours = object["colours"] as? Int else {
        throw FixtureError(message: "png_stats.py could not read \(file): \(run.err)")
    }
    return (width, height, nonwhite, colours)
}
