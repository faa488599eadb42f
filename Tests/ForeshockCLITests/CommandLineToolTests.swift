import Foundation
import Testing
@testable import ForeshockSupport
@testable import ForeshockCLI
@testable import ForeshockTestSupport

@Suite("The foreshock command line")
struct CommandLineToolTests {
    @Test("check-config: a misspelt key and a bad duration exit 2 and name both key paths")
    func checkConfigReportsBoth() async throws {
        let path = try writeTemporaryFile("""
        { sources: [ { name: "hn", kind: "hackernews", query: "acme", intervall: "30s", timeout: "10 seconds" } ] }
        """)
        let (status, _, err) = await runForeshock(["check-config", path])
        #expect(status == .usage)
        #expect(err.contains("\(path): sources[0].intervall: unknown key (did you mean \"interval\"?)"))
        #expect(err.contains("\(path): sources[0].timeout: \"10 seconds\" is not a duration"))
    }

    @Test("Every pointer from the binary to the README (\"README: Section\") names a section that is there")
    func readmePointers() throws {
        let readme = try String(contentsOf: repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let headings = Set(readme.split(separator: "\n").filter { $0.hasPrefix("#") }.map { $0.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces) })
        let sources = FileManager.default.enumerator(atPath: repositoryRoot.appendingPathComponent("Sources").path)?.allObjects as? [String] ?? []
        var pointers: [String] = []
        for file in sources where file.hasSuffix(".swift") {
            let text = try String(contentsOf: repositoryRoot.appendingPathComponent("Sources/\(file)"), encoding: .utf8)
            var rest = Substring(text)
            while let found = rest.range(of: "(README: ") {
                let tail = rest[found.upperBound...]
                guard let close = tail.firstIndex(of: ")") else { break }
                pointers.append(String(tail[..<close]))
                rest = tail[close...]
            }
        }
        #expect(!pointers.isEmpty, "no pointer found: the scan is broken")
        for pointer in pointers { #expect(headings.contains(pointer), "README has no section \"\(pointer)\"") }
    }

    @Test("check-config says every problem at once: the files a config names beside its other errors, and each sink's template, not the first sink's only")
    func everyProblemAtOnce() async throws {
        let files = try writeTemporaryFile(#"{ sources: [{ name: "x", kind: "hackernews" }], metrics_file: "/nonexistent/dir/m.prom", templates_dir: "/nonexistent/t" }"#)
        let (first, _, firstErr) = await runForeshock(["check-config", files])
        let said = firstErr.split(separator: "\n").map(String.init)
        #expect(first == .usage && said.contains { $0.hasSuffix("sources[0].query: missing (what to search for: a word, a hashtag or a subreddit)") }
                && said.contains { $0.hasSuffix("metrics_file: /nonexistent/dir is not a directory") }
                && said.contains { $0.hasSuffix("templates_dir: /nonexistent/t is not a directory") } && said.last?.hasSuffix("3 errors; the config cannot be used") == true, "\(firstErr)")
        let template = try writeTemporaryFile("Subject: {{nosuch}}\n\nhi\n", name: "email.txt")
        let sinks = try writeTemporaryFile(#"{ sources: [], sinks: [{ name: "e", kind: "email", smtp_url: "smtp://127.0.0.1:25", from: "a@b.c", to: ["o@b.c"], template: "\#(template)" }, { name: "w", kind: "webhook", url: "http://127.0.0.1:1/x", template: "/nonexistent.json" }] }"#)
        let (second, _, secondErr) = await runForeshock(["check-config", sinks])
        #expect(second == .usage && secondErr.contains(#"sinks[0] ("e"): \#(template): unknown placeholder {{nosuch}}"#)
                && secondErr.contains(#"sinks[1] ("w"): template /nonexistent.json cannot be read"#) && secondErr.contains("2 errors"), "\(secondErr)")
        // A sink with an error of its own, a templates_dir that is not there, and another sink's missing directory: all three.
        let mixed = try writeTemporaryFile(#"{ sources: [], templates_dir: "/nonexistent/tpl", sinks: [{ name: "w", kind: "webhook", url: "ftp://x" }, { name: "f", kind: "file", path: "/nonexistent/d/a.jsonl" }] }"#)
        let (third, _, thirdErr) = await runForeshock(["check-config", mixed])
        #expect(third == .usage && thirdErr.contains("sinks[0].url: not an http(s) URL") && thirdErr.contains("templates_dir: /nonexistent/tpl is not a directory")
                && thirdErr.contains(#"sinks[1] ("f"): path /nonexistent/d/a.jsonl: /nonexistent/d is not a directory"#) && thirdErr.contains("3 errors"), "\(thirdErr)")
    }

    @Test("A templates_dir that is not a directory stops check-config (every built-in template would be used without a word), not a command that sends nothing")
    func templatesDirectory() async throws {
        let config = try writeTemporaryFile(#"{ sources: [], templates_dir: "/nonexistent/templates", rules: [{ name: "r", severity: "critical", when: { min_reshares: 10 } }] }"#)
        let (checked, _, err) = await runForeshock(["check-config", config])
        #expect(checked == .usage && err.contains("templates_dir: /nonexistent/templates is not a directory"), "\(err)")
        // A silence added from another directory during an incident needs no templates.
        let state = try makeTemporaryDirectory().path
        let (listed, _, listErr) = await runForeshock(["silence", "list", "--config", config, "--state-dir", state])
        #expect(listed == .success && listErr.isEmpty, "\(listErr)")
        // Files a sink needs at its first notification are checked at the start too, not found at 3 a.m.
        for (sink, said) in [(#"{ name: "hook", kind: "webhook", url: "https://hooks.example/a", ca_file: "/nonexistent/ca.pem" }"#, #"sinks[0] ("hook"): ca_file /nonexistent/ca.pem is not a file it can read"#),
                             (#"{ name: "mail", kind: "email", smtp_url: "smtps://127.0.0.1:465", from: "a@b.c", to: ["o@b.c"], ca_file: "/tmp" }"#, #"sinks[0] ("mail"): ca_file /tmp is not a file it can read"#),
                             (#"{ name: "log", kind: "file", path: "/nonexistent/dir/alerts.jsonl" }"#, #"sinks[0] ("log"): path /nonexistent/dir/alerts.jsonl: /nonexistent/dir is not a directory"#),
                             (#"{ name: "log", kind: "file", path: "/tmp" }"#, #"sinks[0] ("log"): path /tmp is a directory"#)] {
            let file = try writeTemporaryFile(#"{ sources: [], sinks: [\#(sink)] }"#)
            let (status, _, err) = await runForeshock(["check-config", file])
            #expect(status == .usage && err.contains(said), "\(err)")
        }
    }

    @Test("A source's ca_file it cannot read and a metrics_file with nowhere to go stop check-config and watch, not the first poll or the first write; one in the state directory watch makes is fine")
    func watchFiles() async throws {
        let source = #"{ name: "masto", kind: "mastodon", base_url: "https://mastodon.example", query: "acme", ca_file: "/nonexistent/ca.pem" }"#
        let file = try writeTemporaryFile(#"{ sources: [\#(source)], metrics_file: "/nonexistent/dir/foreshock.prom" }"#)
        let (checked, _, err) = await runForeshock(["check-config", file])
        #expect(checked == .usage, "\(err)")
        #expect(err.contains("sources[0].ca_file: /nonexistent/ca.pem is not a file it can read"), "\(err)")
        #expect(err.contains("metrics_file: /nonexistent/dir is not a directory") && err.contains("2 errors; the config cannot be used"), "\(err)")
        let state = try makeTemporaryDirectory().path
        let (watched, _, watchErr) = await runForeshock(["watch", "--config", file, "--state-dir", state, "--once"])
        #expect(watched == .usage && watchErr.contains("sources[0].ca_file: /nonexistent/ca.pem"), "\(watchErr)")
        let directory = try writeTemporaryFile(#"{ sources: [], metrics_file: "/tmp" }"#)
        let (refused, _, dirErr) = await runForeshock(["check-config", directory])
        #expect(refused == .usage && dirErr.contains("metrics_file: /tmp is a directory"), "\(dirErr)")
        // The state directory is made when watch starts: a metrics file in it is fine before then.
        let fresh = state + "/not-yet"
        let inState = try writeTemporaryFile(#"{ sources: [], state_dir: "\#(fresh)", metrics_file: "\#(fresh)/foreshock.prom" }"#)
        let (ok, _, okErr) = await runForeshock(["check-config", inState])
        #expect(ok == .success, "\(okErr)")
    }

    @Test("check-config: a good config exits 0 and lists the rules in effect; a secret whose variable is unset is refused, as watch refuses it")
    func checkConfigGood() async throws {
        let path = try writeTemporaryFile(ConfigFixtures.example)
        let secrets = ["MASTODON_TOKEN": "token-0123456789", "SMTP_PASSWORD": "hunter2-long", "OPS_WEBHOOK_URL": "https://hooks.example.com/ops",
                       "OPS_WEBHOOK_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]
        let (status, out, err) = await runForeshock(["check-config", path], environment: secrets)
        #expect(status == .success, "\(err)")
        #expect(out.contains("ok: 2 sources, 1 rule, 2 sinks"))
        #expect(out.contains("rules in effect:\n  going-viral (critical): "), "\(out)")
        let (unset, _, refused) = await runForeshock(["check-config", path])
        #expect(unset == .usage)
        #expect(refused.contains("environment variable MASTODON_TOKEN is not set"), "\(refused)")
    }

    @Test("A config file that is missing or a directory is one line and exit 2, for every command that takes one", arguments: [
        ["check-config", "/nonexistent/foreshock.json5"], ["check-config", "/"], ["test-alert", "--config", "/nonexistent/foreshock.json5"],
        ["replay", "/dev/null", "--config", "/nonexistent/foreshock.json5"],
    ])
    func configMissing(arguments: [String]) async {
        let (status, _, err) = await runForeshock(arguments)
        #expect(status == .usage)
        #expect(err.contains("does not exist") || err.contains("is a directory"), "\(err)")
        #expect(err.split(separator: "\n").count == 1, "\(err)")
    }

    @Test("An input that is a directory or is missing says so in words, not Foundation's error numbers")
    func inputMissing() async {
        for (path, reason) in [("/tmp", "is a directory"), ("/nonexistent/rec.jsonl", "no such file or directory")] {
            let (status, _, err) = await runForeshock(["replay", path])
            #expect(status == .failure)
            #expect(err == "foreshock replay: cannot read \(path): \(reason)\n", "\(err)")
        }
        // A pipe or a device is read as a file is (`zcat rec.jsonl.gz | foreshock replay
        // /dev/stdin`), as far as a bound: Foundation's reader said "permission denied".
        let (empty, emptyOut, emptyErr) = await runForeshock(["replay", "/dev/null"])
        #expect(empty == .success && emptyOut.contains("0 observations"), "\(emptyErr)")
        let (endless, _, endlessErr) = await runForeshock(["check-config", "/dev/zero"])
        #expect(endless == .usage && endlessErr == "/dev/zero: gave more than 16 MB (a device that never ends?)\n", "\(endlessErr)")
        let (payload, _, payloadErr) = await runForeshock(["parse", "--source", "mastodon", "/dev/zero"])
        #expect(payload == .failure && payloadErr.contains("gave more than 256 MB"), "\(payloadErr)")
    }

    @Test("usage errors exit 2 with one line", arguments: [
        ["wach"], ["watch", "--bogus"], ["check-config"], ["replay", "--format"], ["watch", "--query", "x", "--log-format", "xml"], ["watch"],
        ["eval", "--seed", "one"], ["eval", "--poll-interval", "0s"], ["bench", "--posts", "0"], ["replay", "/dev/null", "--trace-every", "5m"],
        // Absurd values: refused in words, never trapped on or run for ever.
        ["bench", "--posts", "9223372036854775807"], ["bench", "--posts", "100000000000"], ["bench", "--runs", "100000"],
        ["watch", "--query", "a", "--record", "/nonexistent/r.jsonl", "--record-max-size", "1e400MB"],
        ["watch", "--query", "a", "--record", "/nonexistent/r.jsonl", "--record-max-size", "9223372036854775807B"],
        ["replay", "/dev/null", "--trace", "p", "--trace-every", "1ms"],
        // A value outside the option's own list: status and watch took any.
        ["status", "--format", "xml"], ["watch", "--query", " "], ["watch", "--config", "/nonexistent.json5", "--query", "acme"], ["watch", "--query", "a", "--mentions", "xml"], ["replay", "/dev/null", "--format", "xml"], ["status", "--format=\u{1b}]0;x"],
    ])
    func usageErrors(arguments: [String]) async {
        let (status, out, err) = await runForeshock(arguments)
        #expect(status == .usage)
        #expect(out.isEmpty)
        #expect(err.split(separator: "\n").count == 1)
    }

    @Test("every subcommand has --help", arguments: Commands.all.map(\.name))
    func help(command: String) async {
        let (status, out, _) = await runForeshock([command, "--help"])
        #expect(status == .success)
        #expect(out.hasPrefix("Usage: foreshock \(command)"))
    }

    @Test("Usage errors read as sentences: a choice lists its values with 'or', a missing argument says so, help help is help")
    func usageSentences() async {
        let (_, _, format) = await runForeshock(["status", "--format", "xml"])
        #expect(format == "foreshock status: --format must be text or json, not \"xml\".\n", "\(format)")
        let (_, _, missing) = await runForeshock(["silence"])
        #expect(missing.hasPrefix("foreshock silence: an argument is missing. Usage: foreshock silence add"), "\(missing)")
        let (_, _, many) = await runForeshock(["parse", "a", "b"])
        #expect(many.hasPrefix("foreshock parse: takes 1 argument, not 2. Usage:"), "\(many)")
        let (status, out, _) = await runForeshock(["help", "help"])
        #expect(status == .success && out.contains("Usage: foreshock COMMAND"))
    }

    @Test("--version names the release and libcurl")
    func version() async {
        let (status, out, _) = await runForeshock(["--version"])
        #expect(status == .success)
        #expect(out.contains(Foreshock.version))
        #expect(out.contains("libcurl"))
    }

    @Test("Output that cannot be written (a file size limit, a full disk) is lost, not the process: Foundation's write(_:) would trap")
    func unwritableOutput() throws {
        let out = try makeTemporaryDirectory().appendingPathComponent("help.txt").path
        // prlimit's soft limit on file size, stdout a file: 16 bytes of the help fit.
        let run = try runProgramNow("/bin/bash", ["-c", #"exec /usr/bin/prlimit --fsize=16: "$0" --help > "$1""#, ChildProcess.binary, out])
        #expect(run.status == 0, "\(run.err)")
        #expect((try FileManager.default.attributesOfItem(atPath: out)[.size] as? Int) == 16)
    }
}
