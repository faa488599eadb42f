import Foundation
import Testing
@testable import ForeshockSupport
@testable import ForeshockTestSupport

/// `replay --report` and `--sweep` on a recording of real cascades: two viral posts by ordinary
/// authors (TiDeH RT2 and RT26, every resharer with their followers), sixty real ordinary posts
/// (Twitter15/16 trees that ended under 500) and one hostile post, over two days.
@Suite("replay --report and --sweep")
struct ReplayReportTests {
    static let start = 1_750_000_000.0
    static let hostileText = "<script>document.title='pwned'</script> {{author}} \u{202E}evil\u{202C} <img src=x onerror=alert(1)> "
        + String(repeating: "a long complaint ", count: 6_000)

    /// The recording, with what the test knows of each post: when it reached 1,000 reshares.
    static func recording() throws -> (path: String, reached: [String: Double], days: Double) {
        var events: [(time: Double, line: String)] = []
        var reached: [String: Double] = [:]
        func add(_ id: String, author: String, followers: Double?, text: String, at offset: Double, reshares: [(time: Double, followers: Double?)]) {
            let posted = start + offset
            let fields: [String: Any?] = ["type": "post", "time": posted, "source": "x", "id": id, "author": author, "followers": followers,
                                          "text": text, "url": "https://x.com/\(author)/status/\(id)"]
            events.append((posted, json(fields)))
            for (index, share) in reshares.enumerated() where share.time <= 2 * 86400 - offset {
                events.append((posted + share.time, json(["type": "reshare", "time": posted + share.time, "source": "x", "post": id,
                                                          "user": "u\(index)", "followers": share.followers])))
                if index == 999 { reached[id] = posted + share.time }
            }
        }
        for (number, name) in ["RT2", "RT26"].enumerated() {
            let cascade = try loadCascade("tideh/\(name).txt")
            add(name, author: "author_\(name)", followers: cascade[0].followers, text: "Real cascade \(name)", at: Double(number) * 7200,
                reshares: cascade.dropFirst().map { ($0.time, $0.followers) })
        }
        let trees = try String(contentsOf: repositoryRoot.appendingPathComponent("fixtures/cascades/twitter1516_dev_first300.jsonl"), encoding: .utf8)
        var taken = 0
        for line in trees.split(separator: "\n") where taken < 60 {
            guard let tree = try? JSONValue.parse(Data(line.utf8)), let times = tree["times"]?.arrayValue?.compactMap(\.doubleValue),
                  times.count < 500, times.count > 20 else { continue }
            add("t\(taken)", author: "ordinary\(taken)", followers: nil, text: "ordinary post \(taken)", at: Double(taken) * 1400,
                reshares: times.dropFirst().sorted().map { ($0, nil) })
            taken += 1
        }
        // Hostile: 40 reshares in four minutes, from an account with 300 followers.
        add("hostile", author: "<b>mallory</b>\u{202E}", followers: 300, text: hostileText, at: 3600,
            reshares: (1...40).map { (Double($0) * 6, 150) })
        let sorted = events.sorted { $0.time < $1.time }
        let days = (sorted.last!.time - sorted.first!.time) / 86400
        return (try writeTemporaryFile(sorted.map(\.line).joined(separator: "\n") + "\n", name: "mixed.jsonl"), reached, days)
    }

    static func json(_ fields: [String: Any?]) -> String {
        let object = fields.compactMapValues { $0 }
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    /// What a rule did, counted by the test from the replay's JSON alert lines.
    struct Count: Equatable {
        var postsAlerted = 0, notifications = 0, pages = 0, caughtBefore = 0
    }

    static func count(_ alerts: [JSONValue], rule: String, reached: [String: Double]) -> Count {
        var firstAlert: [String: Double] = [:]
        var count = Count()
        for alert in alerts where alert["rule"]?.stringValue == rule {
            count.notifications += 1
            if alert["state"]?.stringValue == "firing" { count.pages += 1 }
            let reason = alert["reason"]?.stringValue
            guard reason == "started" || reason == "escalated", let post = alert["post"]?.stringValue, firstAlert[post] == nil,
                  let time = alert["time"]?.stringValue.flatMap(Timestamp.parse)?.timeIntervalSince1970 else { continue }
            firstAlert[post] = time
        }
        count.postsAlerted = firstAlert.count
        count.caughtBefore = firstAlert.filter { post, time in reached[post].map { time <= $0 } ?? false }.count
        return count
    }

    /// The cells of the report's row for `rule` in its table of rules, as text.
    static func reportRow(_ html: String, rule: String) -> [String] {
        guard let start = html.range(of: "<tr><td>\(rule)</td>"), let end = html[start.upperBound...].range(of: "</tr>") else { return [] }
        let row = String(html[start.lowerBound..<end.lowerBound])
        return row.components(separatedBy: "<td").dropFirst().map { cell in
            let inner = cell.drop { $0 != ">" }.dropFirst()
            return String(inner.prefix { $0 != "<" })
        }
    }

    @Test("The report's and the sweep's figures are what the test counts from the replay's own JSON alerts")
    func figuresMatchAlerts() async throws {
        let (recording, reached, days) = try Self.recording()
        #expect(reached.keys.sorted() == ["RT2", "RT26"])
        let report = try makeTemporaryDirectory().appendingPathComponent("report.html").path
        let (status, out, err) = await runForeshock(["replay", recording, "--format", "json", "--report", report,
                                                    "--sweep", "going-viral.predicted_reshares_at_least=300,1000,5000"])
        #expect(status == .success, "\(err)")
        let lines = out.split(separator: "\n").compactMap { try? JSONValue.parse(Data($0.utf8)) }
        let alerts = lines.filter { $0["type"]?.stringValue == "alert" }
        let summary = try #require(lines.first { $0["type"]?.stringValue == "summary" })
        let html = try String(contentsOfFile: report, encoding: .utf8)
        for rule in ["going-viral", "heating-up"] {
            let counted = Self.count(alerts, rule: rule, reached: reached)
            let figures = try #require(summary["rules"]?[rule])
            #expect(figures["posts_alerted"]?.intValue == counted.postsAlerted, "\(rule)")
            #expect(figures["pages"]?.intValue == counted.pages, "\(rule)")
            #expect(figures["caught_before"]?.intValue == counted.caughtBefore && figures["reached_target"]?.intValue == 2, "\(rule)")
            #expect(figures["notifications"]?.intValue == counted.notifications, "\(rule)")
            // Rule, severity, conditions, posts alerted, notifications, pages, pages a day, caught.
            let row = Self.reportRow(html, rule: rule)
            #expect(row.count == 11, "\(row)")
            guard row.count == 11 else { continue }
            #expect(row[3] == String(counted.postsAlerted) && row[4] == String(counted.notifications) && row[5] == String(counted.pages), "\(rule): \(row)")
            let perDay = Double(counted.pages) / days
            #expect(row[6] == String(format: perDay >= 10 ? "%.0f" : "%.1f", perDay), "\(rule): \(row)")
            #expect(row[7] == "\(counted.caughtBefore) of 2", "\(rule): \(row)")
        }
        // The viral posts were caught early, and the hostile one is among the posts drawn.
        #expect(Self.count(alerts, rule: "going-viral", reached: reached).caughtBefore == 2)
        #expect(html.contains("Real cascade RT2") && html.contains("&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;"))
        #expect(!html.contains("<script") && !html.contains("\u{202E}") && !html.contains("<b>mallory"))
        #expect(!html.contains("http://") && !html.contains("https://fonts"), "the report must need no network")
        // The sweep: each value replayed by the test on its own config gives the same counts.
        let sweep = lines.filter { $0["type"]?.stringValue == "sweep" }
        #expect(sweep.count == 3)
        let defaults = await runForeshock(["check-config", "--print"]).out
        for row in sweep {
            let value = try #require(row["values"]?["going-viral.predicted_reshares_at_least"]?.intValue)
            let config = try writeTemporaryFile(defaults.replacingOccurrences(of: "predicted_reshares_at_least: 1000", with: "predicted_reshares_at_least: \(value)"))
            let alone = await runForeshock(["replay", recording, "--config", config, "--format", "json"])
            let counted = Self.count(alone.out.split(separator: "\n").compactMap { try? JSONValue.parse(Data($0.utf8)) }
                .filter { $0["type"]?.stringValue == "alert" }, rule: "going-viral", reached: reached)
            #expect(row["pages"]?.intValue == counted.pages && row["posts_alerted"]?.intValue == counted.postsAlerted, "\(value)")
            #expect(row["caught_before"]?.intValue == counted.caughtBefore, "\(value)")
            #expect(html.contains("<tr><td>\(value)</td><td>\(counted.pages)</td>"), "the report's sweep row for \(value)")
        }
        // The chart's labels stay inside it: one on the right half ends at its dot.
        let labels = html.components(separatedBy: "<text class=\"dot-label\" x=\"").dropFirst()
        #expect(!labels.isEmpty)
        for label in labels {
            let x = Double(label.prefix { $0 != "\"" }) ?? 0
            #expect((x > 229) == label.prefix(while: { $0 != ">" }).contains("text-anchor=\"end\""), "\(label.prefix(80))")
        }
        #expect(labels.contains { (Double($0.prefix { $0 != "\"" }) ?? 0) > 229 }, "a dot on the right half")
        // Higher thresholds page no more and catch no more.
        let pages = sweep.compactMap { $0["pages"]?.intValue }
        #expect(pages == pages.sorted(by: >), "\(pages)")
    }

    @Test("A sweep over two rules gives each rule's figures per pair of values, never the two summed: the critical rule's at the warning rule's own value are a one-rule sweep's")
    func sweepOverTwoRules() async throws {
        let (recording, _, _) = try Self.recording()
        let one = await runForeshock(["replay", recording, "--format", "json", "--sweep", "going-viral.predicted_reshares_at_least=300,3000"])
        let two = await runForeshock(["replay", recording, "--format", "json", "--sweep", "going-viral.predicted_reshares_at_least=300,3000",
                                      "--sweep", "heating-up.velocity_per_min_at_least=1,5"])
        #expect(one.0 == .success && two.0 == .success, "\(two.err)")
        func sweep(_ out: String) -> [JSONValue] { out.split(separator: "\n").compactMap { try? JSONValue.parse(Data($0.utf8)) }.filter { $0["type"]?.stringValue == "sweep" } }
        let single = sweep(one.out), pairs = sweep(two.out)
        #expect(single.count == 2 && pairs.count == 8, "\(two.out)")
        #expect(single.allSatisfy { $0["rule"]?.stringValue == "going-viral" })
        // At the embedded config's 1 a minute, the config is the one-rule sweep's: the same figures.
        for row in single {
            let value = try #require(row["values"]?["going-viral.predicted_reshares_at_least"]?.doubleValue)
            let pair = pairs.first { $0["rule"]?.stringValue == "going-viral" && $0["values"]?["going-viral.predicted_reshares_at_least"]?.doubleValue == value
                && $0["values"]?["heating-up.velocity_per_min_at_least"]?.doubleValue == 1 }
            for figure in ["pages", "posts_alerted", "caught_before", "median_lead_s", "median_reshares_at_alert"] {
                #expect(pair?[figure] == row[figure], "\(figure) at \(value): \(String(describing: pair)) against \(row)")
            }
        }
        // The warning rule's own rows are its figures: alerted earlier than the critical one.
        let warning = pairs.filter { $0["rule"]?.stringValue == "heating-up" && $0["values"]?["heating-up.velocity_per_min_at_least"]?.doubleValue == 1 }
        let critical = pairs.filter { $0["rule"]?.stringValue == "going-viral" && $0["values"]?["heating-up.velocity_per_min_at_least"]?.doubleValue == 1 }
        #expect(warning.count == 2 && zip(warning, critical).contains { $0["median_reshares_at_alert"] != $1["median_reshares_at_alert"] }, "\(warning) \(critical)")
        let text = await runForeshock(["replay", recording, "--sweep", "going-viral.predicted_reshares_at_least=300,3000", "--sweep", "heating-up.velocity_per_min_at_least=1,5"])
        #expect(text.out.split(separator: "\n").contains { $0.contains("RULE") && $0.contains("PAGES") }, "\(text.out)")
    }

    @Test("In headless Chromium the report shows its charts, and a hostile post's text as text: nothing runs, the page is not blank")
    func browser() async throws {
        let (recording, _, _) = try Self.recording()
        let directory = try makeTemporaryDirectory()
        let report = directory.appendingPathComponent("report.html").path
        let (status, _, err) = await runForeshock(["replay", recording, "--report", report])
        #expect(status == .success, "\(err)")
        let url = URL(fileURLWithPath: report).absoluteString
        let dom = try await offCooperativePool { try Browser.dumpDOM(url) }
        // Parsed by the browser: one chart per post drawn, each with its reshares curve.
        let posts = dom.components(separatedBy: "<article class=\"post\"").count - 1
        #expect(posts >= 3, "\(dom.prefix(500))")
        #expect(dom.components(separatedBy: "<svg class=\"chart\"").count - 1 == posts)
        #expect(dom.components(separatedBy: "<polyline class=\"reshares\"").count - 1 == posts)
        #expect(dom.contains("<polygon class=\"band\""))
        // The hostile post: its text shown as text, its markup never an element, the title untouched.
        #expect(dom.contains("&lt;script&gt;document.title='pwned'&lt;/script&gt;"), "the hostile text is not shown as text")
        #expect(!dom.contains("<script") && !dom.contains("<img") && !dom.contains("pwned</title>"))
        #expect(dom.contains("<title>Foreshock backtest: "))
        // The screenshot has the page on it: text and charts, not a white sheet.
        let png = directory.appendingPathComponent("report.png").path
        try await offCooperativePool { try Browser.screenshot(url, to: png) }
        let stats = try await offCooperativePool { try pngStats(png) }
        #expect(stats.width == 1100 && stats.height == 1400)
        #expect(stats.nonwhite > 0.02 && stats.colours > 30, "\(stats)")
    }
}
