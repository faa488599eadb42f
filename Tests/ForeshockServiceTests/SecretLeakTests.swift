import Foundation
import Synchronization
import Testing
@testable import ForeshockSupport
@testable import ForeshockTestSupport

/// Servers that repeat what they were sent: a source's 401 that quotes the Authorization
/// header and the URL's api_key, a receiver whose 404 names the secret path of its webhook URL.
/// None of it reaches a log line, `status`, the state directory or the metrics in clear.
@Suite("Secrets stay secret")
struct SecretLeakTests {
    static let token = "tok-5ecr3tT0kenValue"
    static let apiKey = "K3yS3cr3tValue77"
    static let hookPath = "/hooks/T0SECRETPATHabc123"

    /// Every file under `directory`, read as text.
    static func files(_ directory: String) -> [(String, String)] {
        let names = (FileManager.default.enumerator(atPath: directory)?.allObjects as? [String]) ?? []
        return names.compactMap { name in
            FileManager.default.contents(atPath: directory + "/" + name).map { (name, String(decoding: $0, as: UTF8.self)) }
        }
    }

    static func leaks(_ text: String) -> [String] {
        [token, apiKey, "T0SECRETPATHabc123"].filter { text.contains($0) }
    }

    @Test("A 401 quoting the bearer token and the api_key, a 404 quoting the webhook's path: redacted in logs, status, state files, metrics and test-alert")
    func echoedSecrets() async throws {
        let echo = #"{"error": "invalid credentials: Authorization: Bearer \#(Self.token) with api_key=\#(Self.apiKey)"}"#
        let api = try await ScriptedAPI(["/feed": [["status": 401, "body": echo]]])
        defer { api.stop() }
        let hook = try await FixtureServer.start("http_server.py", ["--script", try NotifierFixtures.script([
            Self.hookPath: #"[{"status": 404, "body": "no such hook: \#(Self.hookPath)"}]"#,
        ])])
        defer { hook.stop() }
        let state = try makeTemporaryDirectory().path
        let config = try writeTemporaryFile("""
        { sources: [{ name: "feed", kind: "json", url: "\(api.base)/feed?api_key=\(Self.apiKey)&lang=en", token_env: "FEED_TOKEN",
                      items: ".", fields: { id: "id" }, interval: "1s" }],
          source_down_after: "2s", alerting: { group_wait: "0s" }, shutdown_timeout: "2s",
          sinks: [{ name: "hook", kind: "webhook", url: "\(hook.base)\(Self.hookPath)" }],
          rules: [{ name: "going-viral", severity: "critical", when: { min_reshares: 100 } }] }
        """)
        let environment = ["FEED_TOKEN": Self.token]
        let child = try ChildProcess(["watch", "--config", config, "--state-dir", state, "--mentions", "none"], environment: environment)
        // The source-down alert goes to the webhook, which answers 404: a dead letter.
        let attempted = try await eventually(timeout: 30) { try await !NotifierFixtures.requests(hook, path: Self.hookPath).isEmpty }
        #expect(attempted, "\(child.stderr)")
        let deadLettered = await eventually(timeout: 10) { FileManager.default.fileExists(atPath: state + "/dead-letter.jsonl") }
        #expect(deadLettered, "\(child.stderr)")
        child.signal(SIGTERM)
        #expect(await child.waitForExit(timeout: 15) == 0)

        #expect(child.stderr.contains("poll failed"), "\(child.stderr)")
        #expect(Self.leaks(child.stderr).isEmpty, "stderr: \(child.stderr)")
        let stateFiles = Self.files(state)
        #expect(stateFiles.contains { $0.0 == "status.json" && $0.1.contains("access refused (401)") }, "\(stateFiles.map(\.0))")
        for (name, text) in stateFiles {
            #expect(Self.leaks(text).isEmpty, "\(name): \(text.prefix(2000))")
        }
        let (_, shown, _) = await runForeshock(["status", "--state-dir", state])
        #expect(shown.contains("access refused (401)"), "\(shown)")
        #expect(Self.leaks(shown).isEmpty, "\(shown)")

        let (sent, out, err) = await runForeshock(["test-alert", "--config", config], environment: environment)
        #expect(sent == .failure)
        #expect(err.contains("HTTP 404"), "\(err)")
        #expect(Self.leaks(out + err).isEmpty, "\(out)\(err)")
    }

    @Test("URLs in text lose their query values and userinfo; known secrets and bearer tokens anywhere become <redacted>")
    func redactor() {
        let redactor = Redactor(secrets: ["hunter2hunter2"], secretURLs: ["https://hooks.slack.com/services/T000/B000/XXXXSECRET"],
                                urls: ["https://api.example/feed?api_key=K3yS3cr3tValue77&lang=en"])
        let text = "failed https://user:pw@api.example/x?key=abc&lang=en: Bearer eyJabc.def hunter2hunter2 /services/T000/B000/XXXXSECRET K3yS3cr3tValue77"
        let clean = redactor.scrub(text)
        #expect(!clean.contains("pw@") && !clean.contains("key=abc") && !clean.contains("eyJabc") && !clean.contains("hunter2"), "\(clean)")
        #expect(!clean.contains("XXXXSECRET") && !clean.contains("K3yS3cr3tValue77"), "\(clean)")
        #expect(clean.contains("lang=<redacted>") && clean.contains("https://<redacted>@api.example/x"), "\(clean)")
        #expect(Redactor.url("https://a.example/feed?api_key=K&x=1") == "https://a.example/feed?api_key=<redacted>&x=<redacted>")
        #expect(redactor.scrub("a basic check failed; Bearer refused") == "a basic check failed; Bearer refused")
        #expect(redactor.scrub(#"{"error":"Bearer abcdefghij12345"}"#) == #"{"error":"Bearer <redacted>"}"#)
        // A log line quotes its values; the handler scrubs them before, so escapes survive.
        let lines = Mutex<[String]>([])
        let handler = StreamLogHandler(format: .json) { line in lines.withLock { $0.append(line) } }
        handler.redact(redactor)
        handler.log(level: .warning, message: "failed \"https://api.example/x?key=abc\" hunter2hunter2", metadata: [("error", "say \"hunter2hunter2\"")], time: Date())
        let line = lines.withLock { $0.joined() }
        #expect(!line.contains("hunter2") && !line.contains("key=abc"), "\(line)")
        #expect((try? JSONValue.parse(Data(line.utf8))) != nil, "not JSON any more: \(line)")
    }
}
