import Foundation
import Testing
@testable import ForeshockCLI
@testable import ForeshockSupport
@testable import ForeshockTestSupport

@Suite("foreshock replay")
struct ReplayCommandTests {
    /// The reference cascade as a recording: the post, then one line per reshare.
    func tweetRecording(extra: [String] = []) throws -> String {
        let cascade = try loadCascade("seismic_tweet.csv")
        var lines = [#"{"type":"post","time":1700000000,"source":"x","id":"t1","author":"orig","followers":2290,"text":"worst airline ever"}"#]
        lines += extra
        for share in cascade.dropFirst() where share.time <= 7200 {
            lines.append(#"{"type":"reshare","time":\#(1_700_000_000 + share.time),"source":"x","post":"t1","user":"u","followers":\#(Int(share.followers))}"#)
        }
        return try writeTemporaryFile(lines.joined(separator: "\n") + "\n", name: "tweet.jsonl")
    }

    @Test("A small author's post carried by big accounts: the page's reason says how far past the author's followers they reach, whichever half of the prediction spoke")
    func reasonSaysResharersReach() async throws {
        var lines = [#"{"type":"post","time":1700000000,"source":"x","id":"s1","author":"sam","followers":300,"text":"my bag is gone"}"#]
        var reach = 300
        for i in 1...70 {
            let followers = 2_000 + (i * 2_654_435_761 % 18_000)
            reach += followers
            lines.append(#"{"type":"reshare","time":\#(1_700_000_000 + i * 17),"source":"x","post":"s1","followers":\#(followers)}"#)
        }
        let path = try writeTemporaryFile(lines.joined(separator: "\n") + "\n", name: "carried.jsonl")
        let (status, out, _) = await runForeshock(["replay", path, "--format", "json"])
        #expect(status == .success)
        let alerts = out.split(separator: "\n").map { try! JSONValue.parse(Data($0.utf8)) }.filter { $0["type"]?.stringValue == "alert" }
        let critical = try #require(alerts.first { $0["severity"]?.stringValue == "critical" })
        let why = try #require(critical["why"]?.stringValue)
        let atAlert = try #require(critical["reach"]?.doubleValue)
        let said = try #require(why.components(separatedBy: "; its resharers reach ").dropFirst().first?.components(separatedBy: "× the author's audience").first)
        #expect(Double(said.replacingOccurrences(of: ",", with: "")) == ((atAlert - 300) / 300).rounded(), "\(why)")
        #expect(alerts.allSatisfy { ($0["why"]?.stringValue ?? "").contains("its resharers reach") }, "\(alerts.map { $0["why"]?.stringValue ?? "" })")
        #expect(reach > 70 * 2_000)
    }

    @Test("The median lead of an even count of posts is the mean of the middle two, as eval reads it; a recording under an hour gives no rate a day, and says its real span")
    func evenMedianAndShortSpan() async throws {
        let config = try writeTemporaryFile(#"{ sources: [], rules: [{ name: "two", severity: "critical", when: { min_reshares: 2 } }] }"#, name: "two.json5")
        // Four posts alerted at their second reshare, each reaching 4 reshares 10, 20, 30 and 40 s later.
        var lines: [String] = []
        for (index, lead) in [10, 20, 30, 40].enumerated() {
            let start = 1_700_000_000 + index * 1000
            lines.append(#"{"type":"post","time":\#(start),"source":"x","id":"p\#(index)","author":"a","followers":100}"#)
            for time in [start + 1, start + 2, start + 2 + lead / 2, start + 2 + lead] {
                lines.append(#"{"type":"reshare","time":\#(time),"source":"x","post":"p\#(index)","user":"u","followers":100}"#)
            }
        }
        let path = try writeTemporaryFile(lines.joined(separator: "\n") + "\n", name: "four.jsonl")
        let (status, out, err) = await runForeshock(["replay", path, "--config", config, "--target", "4", "--format", "json"])
        #expect(status == .success, "\(err)")
        let summary = try JSONValue.parse(Data(try #require(out.split(separator: "\n").last).utf8))
        #expect(summary["rules"]?["two"]?["median_lead_s"]?.doubleValue == 25, "\(summary)")
        // 3,042 s from first line to last: under an hour, no rate a day.
        #expect(summary["rules"]?["two"]?["pages_per_day"]?.isNull == true, "\(summary)")
        let (_, text, _) = await runForeshock(["replay", path, "--config", config, "--target", "4"])
        #expect(text.contains("20 observations, 4 posts over 50m42s, 0 lines skipped"), "\(text)")
        #expect(text.contains("rule two (critical): 4 posts alerted, 4 pages (too short a recording for a rate a day)"), "\(text)")
        #expect(text.contains("median 25s ahead"), "\(text)")
        let (_, empty, _) = await runForeshock(["replay", try writeTemporaryFile("", name: "none.jsonl")])
        #expect(empty.contains("0 observations, 0 posts over 0s"), "\(empty)")
    }

    @Test("Reshares of a post with no post line are scored, said in the summary and traceable, not dropped without a word")
    func postWithoutLine() async throws {
        let lines = (1...3).map { #"{"type":"reshare","time":\#(1_700_000_000 + $0 * 40),"source":"x","post":"ghost","user":"u\#($0)","followers":100}"# }
        let path = try writeTemporaryFile(lines.joined(separator: "\n") + "\n", name: "ghost.jsonl")
        let (status, out, err) = await runForeshock(["replay", path])
        #expect(status == .success, "\(err)")
        #expect(out.contains("3 observations, 0 posts over 1m20s (and 1 with no post line, seen only in its reshares or counts: found before the recording began; replay the file before it first), 0 lines skipped"), "\(out)")
        let (_, json, _) = await runForeshock(["replay", path, "--format", "json"])
        let summary = try JSONValue.parse(Data(try #require(json.split(separator: "\n").last).utf8))
        #expect(summary["posts_without_line"]?.intValue == 1, "\(summary)")
        let (traced, table, traceErr) = await runForeshock(["replay", path, "--trace", "ghost", "--trace-every", "30s"])
        #expect(traced == .success && table.contains("Trace of ghost:"), "\(table)\n\(traceErr)")
    }

    @Test("Several files play as one recording in the order given (a rotated recording's, oldest first): the same as the files joined; given newest first, the older lines are said to be out of order, by file and line")
    func severalFiles() async throws {
        var lines = [#"{"type":"post","time":1700000000,"created_at":1700000000,"source":"x","id":"p","author":"dana","followers":300,"text":"hi"}"#]
        lines += (1...40).map { #"{"type":"reshare","time":\#(1_700_000_000 + $0 * 20),"source":"x","post":"p","user":"u\#($0)","followers":300}"# }
        let directory = try makeTemporaryDirectory()
        func file(_ name: String, _ lines: ArraySlice<String>) throws -> String {
            let path = directory.appendingPathComponent(name).path
            try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let whole = try file("whole.jsonl", lines[...]), older = try file("t.jsonl.1", lines[..<21]), newer = try file("t.jsonl", lines[21...])
        let joined = await runForeshock(["replay", whole, "--format", "json"])
        let parts = await runForeshock(["replay", older, newer, "--format", "json"])
        #expect(joined.0 == .success && parts.0 == .success, "\(parts.err)")
        #expect(parts.out == joined.out && parts.err.isEmpty, "\(parts.out)\n\(parts.err)")
        #expect(parts.out.contains(#""type":"alert""#))
        let alone = await runForeshock(["replay", newer])
        #expect(alone.out.contains("(and 1 with no post line"), "\(alone.out)")
        let backwards = await runForeshock(["replay", newer, older])
        #expect(backwards.err.contains("\(older): line 1: out of time order"), "\(backwards.err)")
        #expect(backwards.err.contains("lines went back in time: give a rotated recording's files oldest first"), "\(backwards.err)")
    }

    @Test("Replay runs the rules about the brand's answer as the watch ran them: off for a source with no brand_accounts whose recording holds no answer, on where the source names them, where the recording holds the brand's answers there, or with --brand on the embedded config; its --query names the brand")
    func answerRulesAsTheWatchRanThem() async throws {
        // A complaint reshared every 3 minutes for two hours, never answered; on one source.
        func recording(source: String, answerElsewhere: Bool = false) throws -> String {
            var lines = [#"{"type":"post","time":1700000000,"source":"\#(source)","id":"1","author":"dana","followers":300,"text":"@acme lost my bag and nobody answers. Worst airline ever."}"#]
            if answerElsewhere {
                lines.append(#"{"type":"post","time":1700000001,"source":"\#(source)","id":"2","author":"sam","text":"@acme where is my refund"}"#)
                lines.append(#"{"type":"answer","time":1700000060,"source":"\#(source)","post":"2","author":"acme"}"#)
            }
            for step in 1...40 { lines.append(#"{"type":"reshare","time":\#(1_700_000_000 + step * 180),"source":"\#(source)","post":"1","user":"u\#(step)","followers":300}"#) }
            return try writeTemporaryFile(lines.joined(separator: "\n") + "\n", name: "r.jsonl")
        }
        func config(brand: String) throws -> String {
            try writeTemporaryFile("""
            { sources: [{ name: "m", kind: "hackernews", query: "acme"\(brand) }],
              rules: [{ name: "slow-answer", severity: "critical", when: { unanswered_for_at_least: "1h" } }] }
            """)
        }
        func pages(_ out: String) -> Bool { out.contains("FIRING critical slow-answer") || out.contains("FIRING critical unanswered-complaint") }
        let blind = await runForeshock(["replay", try recording(source: "m"), "--config", try config(brand: "")])
        #expect(blind.0 == .success && !pages(blind.out), "\(blind.out)")
        #expect(blind.err.contains("slow-answer was off for m: the config names no brand_accounts there and the recording holds no answer of the brand's there, "
                                   + "so no complaint there is known to be unanswered, as in a watch without them (if the watch had them, give the config's sources brand_accounts)"),
                "\(blind.err)")
        let seeing = await runForeshock(["replay", try recording(source: "m"), "--config", try config(brand: #", brand_accounts: ["acme"]"#)])
        #expect(seeing.0 == .success && pages(seeing.out) && !seeing.err.contains("was off"), "\(seeing.out)\n\(seeing.err)")
        // A rule that was off counts none of the posts it could not see for its figures.
        var figures: [String] = []
        for brand in ["", #", brand_accounts: ["acme"]"#] {
            figures.append(await runForeshock(["replay", try recording(source: "m"), "--config", try config(brand: brand), "--target", "30", "--format", "json"]).out)
        }
        #expect(figures[0].contains(#""slow-answer":{"posts_alerted":0,"notifications":0,"pages":0,"pages_per_day":0,"reached_target":0,"#)
                && figures[1].contains(#""reached_target":1,"caught_before":1"#), "\(figures)")
        // An answer on the source, to another post: that watch looked for them there.
        let looked = await runForeshock(["replay", try recording(source: "m", answerElsewhere: true), "--config", try config(brand: "")])
        #expect(looked.0 == .success && pages(looked.out) && !looked.err.contains("was off"), "\(looked.out)\n\(looked.err)")
        // The embedded config's mastodon source, as `watch --query acme` with and without --brand.
        let embedded = await runForeshock(["replay", try recording(source: "mastodon")])
        #expect(embedded.0 == .success && !pages(embedded.out), "\(embedded.out)")
        #expect(embedded.err.contains("unanswered-complaint and spreading-after-answer were off for mastodon")
                && embedded.err.contains("(if the watch had them, replay --brand HANDLE as the watch had it)"), "\(embedded.err)")
        let branded = await runForeshock(["replay", try recording(source: "mastodon"), "--brand", "acme"])
        #expect(branded.0 == .success && pages(branded.out) && !branded.err.contains("were off"), "\(branded.out)\n\(branded.err)")
        #expect(branded.err.contains("warning: no --query: the embedded config knows the brand by the query the watch had") && embedded.err.contains("warning: no --query"),
                "\(branded.err)")
        // The embedded config knows the brand by the watch's --query: "Acme lost my bag." is a
        // complaint about it only then (the brand's answer to another post: answers were read).
        let named = try writeTemporaryFile(try String(contentsOfFile: try recording(source: "mastodon", answerElsewhere: true), encoding: .utf8)
            .replacingOccurrences(of: "@acme lost my bag and nobody answers. Worst airline ever.", with: "Acme lost my bag."), name: "named.jsonl")
        let unnamed = await runForeshock(["replay", named])
        let queried = await runForeshock(["replay", named, "--query", "acme"])
        #expect(!queried.err.contains("warning"), "\(queried.err)")
        #expect(unnamed.0 == .success && !pages(unnamed.out) && queried.0 == .success && pages(queried.out), "\(unnamed.out)\n\(queried.out)")
        // Rules off for different sources each get their clause; a source with no line is not named.
        let said = ReplayCommand.answerRulesOff([("a-rule", ["a", "quiet"]), ("b-rule", ["b"]), ("c-rule", ["a", "quiet"])], recorded: ["a", "b"], ownConfig: true)
        #expect(said?.hasPrefix("foreshock replay: a-rule and c-rule were off for a; b-rule was off for b: ") == true, "\(said ?? "nil")")
        #expect(ReplayCommand.answerRulesOff([("a-rule", ["quiet"])], recorded: ["a"], ownConfig: true) == nil)
        let both = await runForeshock(["replay", try recording(source: "m"), "--brand", "acme", "--config", try config(brand: "")])
        #expect(both.0 == .usage && both.err.contains("--brand goes with the embedded default config"), "\(both.err)")
    }

    @Test("Lines carried into a file's start: a post known only from them is said to have begun before the recording; carried again once the post has lines of its own, they are dropped")
    func carriedPostsAreSaid() async throws {
        let carried = try writeTemporaryFile("""
        {"type":"post","time":1700000000,"seen":1700003600,"carried":true,"created_at":1699999940,"source":"x","id":"p1","author":"dana","followers":300,"text":"hi"}
        {"type":"counts","time":1700003590,"seen":1700003600,"carried":true,"source":"x","post":"p1","reshares":200}
        {"type":"post","time":1700003620,"source":"x","id":"p2","author":"sam","text":"hello"}
        {"type":"counts","time":1700003660,"source":"x","post":"p1","reshares":203}
        {"type":"post","time":1700003620,"seen":1700003670,"carried":true,"source":"x","id":"p2","author":"sam","text":"hello"}
        {"type":"counts","time":1700003660,"seen":1700003670,"carried":true,"source":"x","post":"p1","reshares":203}

        """, name: "carried.jsonl")
        let text = await runForeshock(["replay", carried])
        // The span is the recording's own, from its first line not carried.
        #expect(text.0 == .success && text.out.contains("4 observations, 2 posts over 40s (1 of them begun before the recording, known from the lines carried into its start; "
                                                        + "replay the file before it too, if there is one)"), "\(text.out)")
        let json = await runForeshock(["replay", carried, "--format", "json"])
        #expect(json.out.contains(#""observations":4,"posts":2,"posts_without_line":0,"posts_carried_in":1,"#), "\(json.out)")
    }

    @Test("Carried lines do not count for a source's volume: the few posts still active at a rotation are not its traffic, and against them the file's own traffic would be a storm")
    func carriedLinesAreNotVolume() async throws {
        let start = 1_700_007_200
        // 12 posts found over the two hours before the file, carried into it; then 2 a minute.
        let carried = (0..<12).map { #"{"type":"post","time":\#(start - 7_200 + $0 * 600),"carried":true,"seen":\#(start),"created_at":\#(start - 7_200 + $0 * 600),"source":"x","id":"c\#($0)","text":"hi"}"# }
        let own = (0..<120).map { #"{"type":"post","time":\#(start + $0 * 30),"created_at":\#(start + $0 * 30),"source":"x","id":"p\#($0)","text":"hello"}"# }
        let config = try writeTemporaryFile(#"{ sources: [{ name: "x", kind: "hackernews", query: "acme" }], rules: [{ name: "storm", severity: "warning", when: { volume_spike_ratio_at_least: 3 } }] }"#)
        let rotated = try writeTemporaryFile((carried + own).joined(separator: "\n") + "\n", name: "rotated.jsonl")
        let alone = await runForeshock(["replay", rotated, "--config", config])
        #expect(alone.0 == .success && !alone.out.contains("FIRING warning storm") && alone.out.contains("12 of them begun before the recording"), "\(alone.out)")
        let swept = await runForeshock(["replay", rotated, "--config", config, "--sweep", "storm.volume_spike_ratio_at_least=2,3"])
        // Each value's row: no pages.
        let rows = swept.out.split(separator: "\n").filter { $0.hasPrefix("2 ") || $0.hasPrefix("3 ") }
        #expect(swept.0 == .success && rows.count == 2 && rows.allSatisfy { $0.split(separator: " ").dropFirst().first == "0" }, "\(swept.out)")
        // The same lines as a recording's own: a trickle, then a storm.
        let trickle = try writeTemporaryFile((carried + own).joined(separator: "\n").replacingOccurrences(of: #""carried":true,"#, with: "") + "\n", name: "own.jsonl")
        let storm = await runForeshock(["replay", trickle, "--config", config])
        #expect(storm.0 == .success && storm.out.contains("FIRING warning storm"), "\(storm.out)")
    }

    @Test("A carried line whose mark is not true or false, dated after it was written, or out of order among the carried lines is said and skipped: it would have been taken for the recording's own, or moved its clock a day on")
    func hostileCarriedLines() async throws {
        let path = try writeTemporaryFile("""
        {"type":"post","time":1700000000,"carried":"yes","seen":1700003600,"created_at":1700000000,"source":"x","id":"p1","text":"hi"}
        {"type":"counts","time":1700090000,"carried":true,"seen":1700003600,"source":"x","post":"p1","reshares":20}
        {"type":"counts","time":1700000100,"carried":null,"seen":1700003600,"source":"x","post":"p1","reshares":20}
        {"type":"post","time":1700000200,"carried":true,"seen":1700000200,"created_at":1700000000,"source":"x","id":"p3","text":"hey"}
        {"type":"counts","time":1700000100,"carried":true,"seen":1700000100,"source":"x","post":"p3","reshares":4}
        {"type":"post","time":1700003610,"source":"x","id":"p2","text":"hello"}

        """, name: "hostile.jsonl")
        let (status, out, err) = await runForeshock(["replay", path])
        #expect(status == .success && err.contains("line 1: \"carried\" is not true or false; skipped")
                && err.contains("line 2: a carried line dated after its \"seen\", when it was written; skipped")
                && err.contains("line 3: \"carried\" is not true or false; skipped")
                && err.contains("line 5: a carried line out of time order"), "\(err)")
        #expect(out.contains("2 observations, 2 posts over 0s") && out.contains("4 lines skipped"), "\(out)")
    }

    @Test("JSON output: the alerts, a summary, and a bad line or a misspelt type reported by number and skipped")
    func json() async throws {
        let path = try tweetRecording(extra: [#"{"type":"reshare","time":"#, #"{"type":"reshar","time":1700000001,"post":"t1"}"#])
        let (status, out, err) = await runForeshock(["replay", path, "--format", "json"])
        #expect(status == .success)
        #expect(err.contains("line 2: not valid JSON"))
        #expect(err.contains("line 3: unknown type \"reshar\" (a line is a post, reshare, counts or answer); skipped"), "\(err)")
        let lines = out.split(separator: "\n").map { try! JSONValue.parse(Data($0.utf8)) }
        let alerts = lines.filter { $0["type"]?.stringValue == "alert" }
        // Warm first, then the same alert escalates once the calibrated prediction passes 1,000.
        #expect(alerts.first?["rule"]?.stringValue == "heating-up")
        #expect(alerts.first?["state"]?.stringValue == "firing")
        #expect(alerts.first?["post"]?.stringValue == "t1")
        // The warning's why is SEISMIC's, said in words before its terms.
        let warmWhy = try #require(alerts.first?["why"]?.stringValue)
        #expect(warmWhy.hasPrefix("each reshare brings about 0.") && warmWhy.contains(" of its audience still to reach (SEISMIC's p̂·n*, as calibrated)"), "\(warmWhy)")
        // Its first ten resharers reach less than the author's 2,290 followers: nothing said of them.
        #expect(!warmWhy.contains("its resharers reach"), "\(warmWhy)")
        let escalation = try #require(alerts.first { $0["reason"]?.stringValue == "escalated" })
        #expect(escalation["rule"]?.stringValue == "going-viral" && escalation["severity"]?.stringValue == "critical")
        #expect((escalation["reshares"]?.intValue ?? 0) < 1000)
        // The alert says why: this small account's post kept coming evenly.
        let why = try #require(escalation["why"]?.stringValue)
        #expect(why.hasPrefix("kept ") && why.contains("reshares a minute") && why.contains("evenly, from an author with"), "\(why)")
        let summary = try #require(lines.last)
        #expect(summary["type"]?.stringValue == "summary")
        #expect(summary["skipped_lines"]?.intValue == 2)
        #expect(summary["posts"]?.intValue == 1)
    }

    @Test("--trace prints the post's scores at each multiple of the interval, computed at that time")
    func trace() async throws {
        let (status, out, _) = await runForeshock(["replay", try tweetRecording(), "--format", "json", "--trace", "t1", "--trace-every", "10m"])
        #expect(status == .success)
        let traces = out.split(separator: "\n").map { try! JSONValue.parse(Data($0.utf8)) }.filter { $0["type"]?.stringValue == "trace" }
        #expect(traces.count == 13) // 0, 10 m, … 120 m
        let at600 = try #require(traces.first { $0["time"]?.stringValue == "2023-11-14T22:23:20Z" })
        #expect(at600["reshares"]?.intValue == 32)
        #expect(abs((at600["seismic_infectiousness"]?.doubleValue ?? 0) / 0.00752179 - 1) < 0.001)
        #expect(abs((at600["seismic_predicted"]?.doubleValue ?? 0) / 263.0 - 1) < 0.001)
        // Every term of the prediction: at 10 minutes and 32 reshares (about 3 a minute) the
        // sustained spread has something to read, and the prediction is the larger half.
        let perMinute = try #require(at600["sustained_per_min"]?.doubleValue)
        #expect(perMinute > 1 && perMinute < 10 && (9...10).contains(at600["sustained_minutes"]?.doubleValue ?? 0)) // since the first reshare, 11 s in
        #expect(at600["sustained_weakest_part"]?.doubleValue != nil && at600["sustained_audience_discount"]?.doubleValue == 1)
        let halves = [at600["calibrated_seismic"]?.doubleValue, at600["sustained_predicted"]?.doubleValue].compactMap { $0 }
        #expect(halves.count == 2 && at600["predicted"]?.doubleValue == halves.max())
        let at1800 = try #require(traces.first { $0["time"]?.stringValue == "2023-11-14T22:43:20Z" })
        #expect(at1800["supercritical"]?.boolValue == true && at1800["seismic_predicted"]?.isNull == true)
    }

    @Test("The summary counts an alert that escalated to a rule under that rule, and how long before the post reached the target it fired")
    func summaryCountsEscalations() async throws {
        // The shipped recording: heating-up fires at 10 reshares and escalates to going-viral at 15.
        let (status, out, _) = await runForeshock(["replay", repositoryRoot.appendingPathComponent("fixtures/recordings/seismic_tweet_6h.jsonl").path])
        #expect(status == .success)
        #expect(out.contains("ESCALATED critical going-viral"))
        let summary = try #require(out.components(separatedBy: "lines skipped").last)
        #expect(summary.contains("rule going-viral (critical): 1 post alerted, 2 pages (8.0 a day)\n  median reshares at the alert: 15\n"
            + "  caught before 1,000: 1 of the 1 post that reached it, median 1h1m ahead"), "\(summary)")
        #expect(summary.contains("rule heating-up (warning): 1 post alerted, 1 page"))
        // --target moves what "caught before" asks: the post never reached 10,000 in these six hours.
        let (_, high, _) = await runForeshock(["replay", repositoryRoot.appendingPathComponent("fixtures/recordings/seismic_tweet_6h.jsonl").path, "--target", "10000"])
        #expect(high.contains("caught before 10,000: 0 of the 0 posts that reached it"), "\(high)")
        #expect(high.contains("stayed under 1,000: 0 of 1"))
    }

    @Test("--trace in text mode is a table; an unknown --trace post is one line naming it, exit 2")
    func traceTable() async throws {
        let path = try tweetRecording()
        let (status, out, _) = await runForeshock(["replay", path, "--trace", "t1", "--trace-every", "10m"])
        #expect(status == .success)
        let table = try #require(out.components(separatedBy: "Trace of t1:\n").last)
        let rows = table.split(separator: "\n")
        #expect(rows.first?.hasPrefix("  AGE") == true && rows.first?.contains("SEISMIC (90%)") == true)
        #expect(rows.count >= 13)
        // At 10 minutes: 32 reshares and SEISMIC's 263 with its interval, no 17-digit numbers.
        let at600 = try #require(rows.first { $0.hasPrefix("  10m ") })
        #expect(at600.contains(" 32 ") && at600.contains(" 263 ("), "\(at600)")
        #expect(!out.contains("0000000"), "a number printed to 17 digits")
        // Before the replay, not after it: nothing printed but the one line.
        let (missing, nothing, err) = await runForeshock(["replay", path, "--trace", "nosuch"])
        #expect(missing == .usage && nothing.isEmpty)
        #expect(err == "foreshock replay: --trace: the recording has no post \"nosuch\" (give its id or source:id as the post line has it).\n", "\(err)")
        // An id JSON may write otherwise is not looked for before: it may be there.
        let (escaped, _, escapedErr) = await runForeshock(["replay", path, "--trace", "pâté"])
        #expect(escaped == .usage && escapedErr.contains("has no post \"pâté\""), "\(escapedErr)")
        // An id the file holds, but not on a post line, is found missing at the end.
        let (late, _, lateErr) = await runForeshock(["replay", path, "--trace", "orig"])
        #expect(late == .usage && lateErr.contains("has no post \"orig\""), "\(lateErr)")
    }

    @Test("Text output writes what a recording's post says terminal-safe: no escapes, no bidi overrides, no javascript: link")
    func hostileRecording() async throws {
        let cascade = try loadCascade("seismic_tweet.csv")
        var lines = [#"{"type":"post","time":1700000000,"source":"x","id":"t1","author":"evil\u202egnp.exe\u001b[31m","followers":2290,"text":"Hi \u001b]0;PWNED\u0007 \u202eesrever\r","url":"javascript:alert(1)"}"#]
        for share in cascade.dropFirst() where share.time <= 1800 {
            lines.append(#"{"type":"reshare","time":\#(1_700_000_000 + share.time),"source":"x","post":"t1","user":"u","followers":\#(Int(share.followers))}"#)
        }
        let path = try writeTemporaryFile(lines.joined(separator: "\n") + "\n", name: "hostile.jsonl")
        let (status, out, _) = await runForeshock(["replay", path])
        #expect(status == .success)
        #expect(out.contains("FIRING"), "\(out)")
        #expect(out.contains("evil\\u202egnp.exe\\x1b[31m"), "the author, escaped: \(out)")
        #expect(!out.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x0D || $0.value == 0x202E })
        #expect(!out.contains("javascript:"))
    }

    @Test("Absurd numbers in a recording: followers of 1e19 are unknown, a counter of 2,000,000,000 is counted whole, nothing traps")
    func absurdNumbers() async throws {
        var lines = [#"{"type":"post","time":1700000000,"source":"x","id":"p1","author":"a","followers":1e19,"text":"hi"}"#,
                     #"{"type":"post","time":1700000000,"source":"x","id":"p2","author":"b","followers":100,"text":"hi"}"#]
        for index in 0..<12 { lines.append(#"{"type":"reshare","time":\#(1_700_000_005 + 5 * index),"source":"x","post":"p1","user":"u\#(index)","followers":1e300}"#) }
        lines.append(#"{"type":"counts","time":1700000060,"source":"x","post":"p2","reshares":2000000000}"#)
        let path = try writeTemporaryFile(lines.joined(separator: "\n") + "\n", name: "absurd.jsonl")
        let (status, out, err) = await runForeshock(["replay", path, "--trace", "p1"])
        #expect(status == .success, "\(err)")
        #expect(out.contains("[x] a: 10 reshares") && out.contains("reach 0") && out.contains("[x] b: 2000000000 reshares"), "\(out)")
        let (json, jsonOut, _) = await runForeshock(["replay", path, "--format", "json"])
        #expect(json == .success && jsonOut.contains(#""reshares":2000000000"#))
    }

    @Test("--report never replaces what is not a report: the recording itself, a directory, a device or a pipe (as root, /dev/full became a file)")
    func reportTargets() async throws {
        let recording = try tweetRecording()
        let before = try Data(contentsOf: URL(fileURLWithPath: recording))
        let (itself, _, itselfErr) = await runForeshock(["replay", recording, "--report", recording])
        #expect(itself == .usage && itselfErr.contains("is the recording itself") && itselfErr.split(separator: "\n").count == 1, "\(itselfErr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: recording)) == before)
        let directory = try makeTemporaryDirectory()
        let pipe = directory.appendingPathComponent("pipe").path
        #expect(mkfifo(pipe, 0o600) == 0)
        let (status, _, err) = await runForeshock(["replay", recording, "--report", pipe])
        #expect(status == .failure && err.contains("cannot write the report to \(pipe): is not a regular file") && !err.contains("NSCocoaErrorDomain"), "\(err)")
        // A directory, or a place with no directory, is refused before the replay runs.
        let missing = directory.appendingPathComponent("gone/r.html").path
        for (target, reason) in [(directory.path, "is a directory"), (missing, "the directory \(directory.path)/gone does not exist")] {
            let (status, out, err) = await runForeshock(["replay", recording, "--report", target])
            #expect(status == .usage && out.isEmpty && err.split(separator: "\n") == ["foreshock replay: --report \(target)\(reason.hasPrefix("is") ? " " : ": ")\(reason)\(reason.hasPrefix("is") ? "; name the file to write." : ".")"], "\(err)")
        }
        var info = stat()
        #expect(stat(pipe, &info) == 0 && info.st_mode & S_IFMT == S_IFIFO, "the pipe is still a pipe")
    }

    @Test("A file with no line of a recording (a cascade's CSV, the config given for the recording) is a failure naming it, not a summary of nothing")
    func notARecording() async throws {
        let config = try writeTemporaryFile("{ rules: [] }\n")
        for file in [repositoryRoot.appendingPathComponent("fixtures/cascades/seismic_tweet.csv").path, config] {
            let (status, out, err) = await runForeshock(["replay", file])
            #expect(status == .failure && !out.contains("observations"), "\(out)")
            #expect(err.split(separator: "\n").last?.hasPrefix("foreshock replay: no line of \(file) is a recording (") == true, "\(err)")
        }
        // An empty recording is a recording of nothing, and one line says nothing was replayed.
        let emptyFile = try writeTemporaryFile("", name: "empty.jsonl")
        let (empty, out, emptyErr) = await runForeshock(["replay", emptyFile])
        #expect(empty == .success && out.contains("0 observations"), "\(out)")
        #expect(emptyErr == "foreshock replay: \(emptyFile) holds no observations: nothing was replayed.\n", "\(emptyErr)")
    }

    @Test("Text output ends with a summary people can tune thresholds with")
    func text() async throws {
        let (status, out, _) = await runForeshock(["replay", try tweetRecording()])
        #expect(status == .success)
        #expect(out.contains("FIRING warning heating-up [x] orig"))
        #expect(out.contains("ESCALATED critical going-viral [x] orig"))
        #expect(out.contains("rule heating-up (warning): 1 post alerted"))
        #expect(out.contains("median reshares at the alert"))
    }
}
