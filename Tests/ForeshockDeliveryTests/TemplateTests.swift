import Foundation
import Testing
@testable import ForeshockSupport
@testable import ForeshockCore
@testable import ForeshockDelivery
@testable import ForeshockTestSupport

@Suite("Notification templates")
struct TemplateTests {
    @Test("The compiled-in defaults are exactly the files in alerts/, every one of them (Package.swift embeds each by name)")
    func embeddedMatchFiles() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: repositoryRoot.appendingPathComponent("alerts").path).filter { !$0.hasSuffix(".md") }
        #expect(Set(names) == Set(DefaultTemplates.files.keys))
        for name in names {
            let file = try String(contentsOf: repositoryRoot.appendingPathComponent("alerts/\(name)"), encoding: .utf8)
            #expect(DefaultTemplates.files[name].map { $0 + "\n" } == file, "alerts/\(name) differs from the compiled-in copy")
        }
    }

    @Test("Each subject reads as itself: a source that is down is not a post with 0 reshares, a volume spike names its source")
    func subjects() {
        let down = AlertNotification(.sourceDown(source: "toots", since: 1_000, message: "Source toots has failed for 12 min: HTTP 503."),
                                     time: 1_720, rule: "source-down", severity: .critical, reason: .started, sinks: [], firedAt: 1_000)
        let values = TemplateValues(down)
        #expect(values["headline"].text == "FIRING: source toots is not answering", "\(values["headline"].text)")
        #expect(values["source"].text == "toots")
        #expect(values["post"].text == "")
        #expect(down.alertKey == "foreshock:source-down/toots")
        #expect(down.jsonLine.contains(#""post":null,"source":"toots""#), "\(down.jsonLine)")
        #expect(AlertText.line(down).hasSuffix("FIRING critical source-down [toots] Source toots has failed for 12 min: HTTP 503."), "\(AlertText.line(down))")
        let spike = AlertNotification(.volume(source: "hn", ratio: 4.5, z: 6), time: 0, rule: "volume", severity: .warning, reason: .started, sinks: [])
        #expect(TemplateValues(spike)["headline"].text == "FIRING: mentions on hn at 4.5× the usual volume")
        #expect(spike.alertKey == "volume:hn" && spike.post == nil && spike.reshares == 0)
        let resolved = AlertNotification(down.subject, time: 2_000, rule: "source-down", severity: .critical, reason: .resolved, sinks: [])
        #expect(resolved.state == .resolved)
        #expect(TemplateValues(resolved)["headline"].text == "RESOLVED: source toots answers again")
    }

    @Test("A post with no reshare in the velocity window is not headlined as spreading: a reminder of a complaint that stopped says it has its reshares, none lately")
    func stoppedPostHeadline() {
        var note = AlertNotification.sample
        #expect(TemplateValues(note)["headline"].text.contains("'s complaint, unanswered for 33m, is spreading: 412 reshares, heading for 2,350"), "\(TemplateValues(note)["headline"].text)")
        note.post?.velocityPerMin = 0
        note.reason = .repeated
        #expect(TemplateValues(note)["headline"].text == "STILL FIRING: dana@example.social's complaint, unanswered for 33m, has 412 reshares, none in the last 5 minutes, heading for 2,350",
                "\(TemplateValues(note)["headline"].text)")
    }

    @Test("A de-escalation says so in the headline, the status and the console line, at its new severity")
    func deescalatedHeadline() {
        var note = AlertNotification.sample
        note.reason = .deescalated
        note.severity = .warning
        note.rule = "spreading-after-answer"
        let values = TemplateValues(note)
        #expect(values["status"].text == "DE-ESCALATED" && values["reason"].text == "deescalated" && values["severity_upper"].text == "WARNING")
        #expect(values["headline"].text.hasPrefix("DE-ESCALATED: dana@example.social's complaint, unanswered for 33m, is spreading"), "\(values["headline"].text)")
        // A rule that waits two minutes pages about a complaint as one too, as its why says.
        var soon = AlertNotification.sample
        soon.post?.unansweredFor = 150
        #expect(TemplateValues(soon)["headline"].text.hasPrefix("FIRING: dana@example.social's complaint, unanswered for 2m30s, is spreading"), "\(TemplateValues(soon)["headline"].text)")
        soon.post?.unansweredFor = 30
        #expect(TemplateValues(soon)["headline"].text.hasPrefix("FIRING: dana@example.social's post is spreading"))
        // Answered, or not a complaint: a post.
        var answered = note
        answered.post?.unansweredFor = nil
        #expect(TemplateValues(answered)["headline"].text.hasPrefix("DE-ESCALATED: dana@example.social's post is spreading"), "\(TemplateValues(answered)["headline"].text)")
        #expect(AlertText.line(note).contains(" DE-ESCALATED warning spreading-after-answer ["), "\(AlertText.line(note))")
    }

    @Test("A reach partly assumed says so in every sink: a Reddit post's upvotes at an assumed audience are not people seen; one all known says nothing more")
    func reachAssumedSaid() throws {
        let templates = AlertTemplates(directory: nil)
        var note = AlertNotification.sample
        var post = note.post!
        post.reachAssumed = 59
        note.subject = .post(note.key, post)
        let values = TemplateValues(note)
        let said = "59 reshares at an assumed audience: their resharers' followers are not known"
        let email = try templates.loadEmail(override: nil).body.render(values, context: .text)
        #expect(email.contains("Reach      1,284,000 people (\(said))"), "\(email)")
        #expect(try templates.load("email.html", context: .html).render(values, context: .html).contains(HTMLText.escape(said)))
        #expect(try templates.load("slack.json", context: .slack).render(values, context: .slack).contains(said))
        for name in ["webhook.json", "pagerduty.json"] {
            let json = try JSONValue.parse(Data(try templates.load(name, context: .json).render(values, context: .json).utf8))
            #expect((json["custom_details"] ?? json)["reach_assumed_reshares"]?.intValue == 59, "\(name)")
        }
        #expect(AlertText.line(note).contains("reach 1284000, 59 of its reshares at an assumed audience"), "\(AlertText.line(note))")
        let plain = try templates.loadEmail(override: nil).body.render(TemplateValues(AlertNotification.sample), context: .text)
        #expect(plain.contains("Reach      1,284,000 people\n"), "\(plain)")
    }

    @Test("Every sink says why: the rule, its severity and the conditions that held, what the source watches, and the command that silences it")
    func sayWhy() throws {
        let templates = AlertTemplates(directory: nil)
        var note = AlertNotification.sample
        note.subject = .post(PostKey(source: "mastodon", id: "it's; rm -rf"), note.post!)
        let values = TemplateValues(note)
        let silence = "foreshock silence add --post 'mastodon:it'\\''s; rm -rf' --for 2h --comment 'on it'"
        #expect(values["silence_command"].text == silence)
        let slack = try JSONValue.parse(Data(try templates.load("slack.json", context: .slack).render(values, context: .slack).utf8))
        #expect(slack["text"]?.stringValue?.hasPrefix("[CRITICAL] FIRING: ") == true)
        let slackText = (slack["blocks"]?.arrayValue ?? []).map { "\($0)" }.joined()
        for expected in ["Rule *going-viral* (critical): predicted 2,350 ≥ 1,000", "watching mastodon #acme", "rm -rf"] {
            #expect(slackText.contains(expected), "\(expected) not in \(slackText)")
        }
        for name in ["webhook.json", "pagerduty.json"] {
            let rendered = try templates.load(name, context: .json).render(values, context: .json)
            let json = try JSONValue.parse(Data(rendered.utf8))
            let details = json["custom_details"] ?? json
            #expect(details["silence"]?.stringValue == silence, "\(name)")
            #expect(details["watching"]?.stringValue == "mastodon #acme", "\(name)")
            #expect((details["held"] ?? details["rule"])?.stringValue?.contains("412 reshares ≥ 5") == true, "\(name)")
        }
        let email = try templates.loadEmail(override: nil).body.render(values, context: .text)
        #expect(email.contains("Rule       going-viral (critical): predicted 2,350 ≥ 1,000; 412 reshares ≥ 5; age 33m ≤ 30d"))
        #expect(email.contains("Silence it for two hours: \(silence)"))
        // A resolution has nothing left to hold back: no command in any sink.
        let resolved = AlertNotification(note.subject, time: note.time + 600, rule: note.rule, severity: note.severity, reason: .resolved, sinks: [])
        let calm = TemplateValues(resolved)
        #expect(!calm["silence_command"].isSet && (try? JSONValue.parse(Data(resolved.jsonLine.utf8)))?["silence"]?.isNull == true)
        let bodies = try [templates.loadEmail(override: nil).body.render(calm, context: .text),
                          templates.load("email.html", context: .html).render(calm, context: .html),
                          templates.load("slack.json", context: .slack).render(calm, context: .slack)]
        for body in bodies {
            #expect(!body.contains("Silence it") && !body.contains("silence add") && body.contains("RESOLVED"), "\(body)")
        }
        #expect(try JSONValue.parse(Data(bodies[2].utf8))["blocks"] != nil)
        // The webhook's and PagerDuty's JSON say so as the file sink's does: null, not "".
        let webhook = try JSONValue.parse(Data(templates.load("webhook.json", context: .json).render(calm, context: .json).utf8))
        let pagerduty = try JSONValue.parse(Data(templates.load("pagerduty.json", context: .json).render(calm, context: .json).utf8))
        #expect(webhook["silence"]?.isNull == true && pagerduty[path: "custom_details.silence"]?.isNull == true, "\(webhook)")
    }

    @Test("Hostile post text: 100 KB, CR/LF, quotes, HTML, bidi overrides, braces — valid JSON, escaped HTML, one header line")
    func hostileText() throws {
        var note = AlertNotification.sample
        note.post?.excerpt = String(repeating: "x", count: 100_000) + "\r\nX-Evil: 1\"}],\"admin\":true <b>{{rule}}</b> \u{202E}\u{0007}"
        note.post?.author = "Mallory\r\nBcc: a@b.c"
        let values = TemplateValues(note)
        let templates = AlertTemplates(directory: nil)
        let webhook = try templates.load("webhook.json", context: .json).render(values, context: .json)
        let object = try JSONValue.parse(Data(webhook.utf8))
        let text = try #require(object["text"]?.stringValue)
        #expect(text.count == 500 && text.hasSuffix("…"))
        #expect(object["admin"] == nil)
        let email = try templates.loadEmail(override: nil)
        let subject = email.subject.render(values, context: .header)
        #expect(!subject.contains("\r") && !subject.contains("\n"))
        let header = MailMessage.header("Subject", subject)
        // "Bcc:" stays inside the subject's one line: it never starts a header of its own.
        #expect(!header.contains("\n") && !header.contains("\r") && header.hasPrefix("Subject: "))
        note.post?.excerpt = "<b>{{rule}}</b> \u{202E}"
        let html = try templates.load("email.html", context: .html).render(TemplateValues(note), context: .html)
        #expect(html.contains("&lt;b&gt;{{rule}}&lt;/b&gt;") && !html.contains("\u{202E}"))
    }

    @Test("A post cannot pass for the alert's own words: its later lines start under its first in a mail's text, a name is one line everywhere, and an encoded-word in it is no header's own")
    func forgedRows() throws {
        var note = AlertNotification.sample
        note.post?.excerpt = "acme lost my bag\nRule       going-viral (critical): FAKE\nsecond line"
        note.post?.author = "evil\r\nBcc: victim@evil.com\nRule x"
        let templates = AlertTemplates(directory: nil)
        let email = try templates.loadEmail(override: nil)
        let body = email.body.render(TemplateValues(note), context: .text)
        let lines = body.components(separatedBy: "\n")
        #expect(lines.contains("Said       acme lost my bag"), "\(body)")
        #expect(lines.contains("           Rule       going-viral (critical): FAKE") && lines.contains("           second line"), "\(body)")
        #expect(!lines.contains { $0.hasPrefix("Rule       going-viral (critical): FAKE") })
        #expect(lines.contains { $0.hasPrefix("Who        evil Bcc: victim@evil.com Rule x") } && !lines.contains { $0.hasPrefix("Bcc:") }, "\(body)")
        for (template, context) in [("slack.json", NotificationTemplate.Context.slack), ("pagerduty.json", .json), ("webhook.json", .json)] {
            let rendered = try templates.load(template, context: context).render(TemplateValues(note), context: context)
            #expect(!rendered.contains("victim@evil.com\\n") && rendered.contains("victim@evil.com Rule x"), "\(template): a name keeps no line break")
            #expect(rendered.contains("acme lost my bag\\n"), "\(template): the post keeps its own")
        }
        // Slack links channel names and mentions in a text that is not verbatim: every text of
        // the default is, the name's headline and context lines too.
        let slack = try JSONValue.parse(Data(templates.load("slack.json", context: .slack).render(TemplateValues(note), context: .slack).utf8))
        func texts(_ value: JSONValue) -> [JSONValue] {
            if let array = value.arrayValue { return array.flatMap(texts) }
            guard case .object(let object) = value else { return [] }
            return (value["type"]?.stringValue == "mrkdwn" ? [value] : []) + object.values.flatMap(texts)
        }
        let mrkdwn = texts(slack)
        #expect(mrkdwn.count > 5 && mrkdwn.allSatisfy { $0["verbatim"]?.boolValue == true })
        // An encoded-word written in a name would be decoded by a mail client as the subject's own.
        let smuggled = "=?utf-8?b?" + Data("RESOLVED \u{202E}gnp.exe".utf8).base64EncodedString() + "?="
        let header = MailMessage.header("Subject", "[Foreshock CRITICAL] \(smuggled)'s post")
        #expect(!header.contains(smuggled) && header.hasPrefix("Subject: =?UTF-8?B?"), "\(header)")
        #expect(MailMessage.header("Subject", "plain words") == "Subject: plain words")
    }

    @Test("A text placeholder outside quotes in a JSON template becomes a whole JSON string")
    func jsonPlaceholders() throws {
        let template = try NotificationTemplate(#"{"a": {{author}}, "b": "{{reshares}} now", "c": {{reshares}}, "d": {{answered}}}"#, name: "t")
        let value = try JSONValue.parse(Data(template.render(TemplateValues(.sample), context: .json).utf8))
        #expect(value["a"]?.stringValue == "dana@example.social")
        #expect(value["b"]?.stringValue == "412 now")
        #expect(value["c"]?.intValue == 412)
        #expect(value["d"]?.boolValue == false)
        // Whole seconds, whatever fraction the times carry.
        var note = AlertNotification.sample
        note.time += 0.597
        let age = try JSONValue.parse(Data(try NotificationTemplate(#"{"age_s": {{age_seconds}}}"#, name: "t").render(TemplateValues(note), context: .json).utf8))
        #expect(age["age_s"] == .number(1980))
    }

    @Test("A section shows what it holds only when its value is there; a section tag alone on its line takes the line with it")
    func sections() throws {
        let template = try NotificationTemplate("a\n  {{#url}}  \nlink {{url}}\n{{/url}}\n{{^url}}no link{{/url}}|{{#replies}}{{replies}} replies{{#answered}}, answered{{/answered}}{{/replies}}", name: "t")
        var note = AlertNotification.sample
        #expect(template.render(TemplateValues(note), context: .text) == "a\nlink https://example.social/@dana/113456789012345678\n|37 replies")
        note.post?.url = "javascript:alert(1)"
        note.post?.replies = nil
        #expect(template.render(TemplateValues(note), context: .text) == "a\nno link|")
        // A CRLF template loses its tag lines the same way.
        let crlf = try NotificationTemplate("a\r\n{{#url}}\r\n{{url}}\r\n{{/url}}\r\nb", name: "t")
        #expect(crlf.render(TemplateValues(.sample), context: .text) == "a\r\nhttps://example.social/@dana/113456789012345678\r\nb")
        // Inside a JSON string a section's text stays in the string; a section can hold a whole member.
        let json = try NotificationTemplate(#"{"a": "x{{#url}} {{author}}{{/url}}", {{#url}}"u": {{url}}, {{/url}}"n": {{reshares}}}"#, name: "t")
        let value = try JSONValue.parse(Data(json.render(TemplateValues(.sample), context: .json).utf8))
        #expect(value["a"]?.stringValue == "x dana@example.social" && value["u"]?.stringValue?.hasPrefix("https://") == true)
        let without = try JSONValue.parse(Data(json.render(TemplateValues(note), context: .json).utf8))
        #expect(without["a"]?.stringValue == "x" && without["u"] == nil && without["n"]?.intValue == 412)
        for (text, problem) in [("{{#url}}x", "the section {{#url}} is never closed with {{/url}}"),
                                ("{{#url}}x{{/author}}", "{{/author}} closes the section {{#url}}"),
                                ("x{{/url}}", "{{/url}} closes no section"),
                                ("{{#nope}}x{{/nope}}", "unknown placeholder {{#nope}}")] {
            #expect(throws: NotificationTemplate.Problem.self, "\(text)") { try NotificationTemplate(text, name: "t") }
            do { _ = try NotificationTemplate(text, name: "t") } catch { #expect(error.description.hasPrefix("t: " + problem), "\(error.description)") }
        }
    }

    @Test("The velocity's window is the one the scoring used, said as a sentence says it")
    func velocityWindow() throws {
        let email = try AlertTemplates(directory: nil).loadEmail(override: nil).body
        var note = AlertNotification.sample
        #expect(email.render(TemplateValues(note), context: .text).contains("Velocity   14.2 reshares a minute (last 5 minutes)\n"))
        note.post?.velocityWindow = 60
        #expect(email.render(TemplateValues(note), context: .text).contains("(last 1 minute)\n"))
        #expect([90, 7200, 0].map { TemplateValues.spoken($0) } == ["90 seconds", "2 hours", "0 seconds"])
    }

    @Test("A JSON template is checked with a section shown and left out: one that leaves a hole in the JSON for a bare post is refused at start")
    func sectionsChecked() throws {
        let directory = try makeTemporaryDirectory()
        try #"{"f": {{#author_followers}}{{author_followers}}{{/author_followers}}, "t": "{{text}}"}"#.write(to: directory.appendingPathComponent("webhook.json"), atomically: true, encoding: .utf8)
        do {
            _ = try AlertTemplates(directory: directory.path).load("webhook.json", context: .json)
            Issue.record("a template that renders \"f\": , was taken")
        } catch {
            #expect(error.description.contains("does not render to JSON for a post with no link, text or numbers"), "\(error.description)")
        }
        try #"{"f": {{author_followers}}, "t": "{{#text}}{{text}}{{/text}}{{^text}}-{{/text}}"}"#.write(to: directory.appendingPathComponent("webhook.json"), atomically: true, encoding: .utf8)
        #expect(throws: Never.self) { try AlertTemplates(directory: directory.path).load("webhook.json", context: .json) }
        // Slack quotes every line of a value placed after `>`, also when a section opens between.
        let slack = try NotificationTemplate(#"{"text": ">{{#text}}{{text}}{{/text}}"}"#, name: "t")
        var note = AlertNotification.sample
        note.post?.excerpt = "one\ntwo"
        #expect(try JSONValue.parse(Data(slack.render(TemplateValues(note), context: .slack).utf8))["text"]?.stringValue == ">one\n>two")
    }

    @Test("The default templates leave out what an alert does not have: no empty link, no unknown followers, no post rows or advice for a source that is down")
    func defaultsLeaveOutWhatIsMissing() throws {
        let templates = AlertTemplates(directory: nil)
        let email = try templates.loadEmail(override: nil)
        let html = try templates.load("email.html", context: .html)
        let slack = try templates.load("slack.json", context: .slack)
        // Every text in the message's blocks, one to a line.
        func slackText(_ note: AlertNotification) throws -> String {
            func texts(_ value: JSONValue) -> [String] {
                switch value {
                case .string(let text): return [text]
                case .array(let items): return items.flatMap(texts)
                case .object(let members): return members.keys.sorted().flatMap { texts(members[$0]!) }
                default: return []
                }
            }
            return texts(try JSONValue.parse(Data(slack.render(TemplateValues(note), context: .slack).utf8))["blocks"] ?? .null).joined(separator: "\n")
        }
        let sample = AlertNotification.sample
        let full = email.body.render(TemplateValues(sample), context: .text)
        for expected in ["\n\nWho        dana@example.social (2,290 followers)\nSaid       This is a test alert", "\nLink       https://example.social/@dana/113456789012345678\n\nReshares   412 now",
                         "\nPredicted  2,350 reshares\nWhy        kept 14.2", "\nAnswered   NOT YET (33m since the post)\n\nWhat works: Answer in public"] {
            #expect(full.contains(expected), "\(expected) not in \(full)")
        }
        #expect(html.render(TemplateValues(sample), context: .html).contains(#"<a href="https://example.social/@dana/113456789012345678">Open the post</a>"#))
        #expect(try slackText(sample).contains("(2,290 followers)"))
        #expect(try slackText(sample).contains("|Open the post>"))
        // What the customer wrote is shown as written: no channel names or mentions linked.
        let blocks = try JSONValue.parse(Data(slack.render(TemplateValues(sample), context: .slack).utf8))["blocks"]?.arrayValue ?? []
        #expect(blocks.first { $0[path: "text.text"]?.stringValue?.contains("have a nice day") == true }?[path: "text.verbatim"] == .bool(true))

        var bare = sample
        bare.post?.url = nil
        bare.post?.authorFollowers = nil
        let text = email.body.render(TemplateValues(bare), context: .text)
        #expect(!text.contains("Link ") && !text.contains("unknown followers") && text.contains("\nWho        dana@example.social\nSaid "), "\(text)")
        #expect(!html.render(TemplateValues(bare), context: .html).contains("Open the post"))
        #expect(try !slackText(bare).contains("Open the post") && !slackText(bare).contains("unknown followers") && slackText(bare).contains("*dana@example.social*\n>"))

        let down = AlertNotification(.sourceDown(source: "toots", since: 1_000, message: "Source toots has failed for 12 min: HTTP 503."),
                                     time: 1_720, rule: "source-down", severity: .critical, reason: .started, sinks: [], firedAt: 1_000)
        let downText = email.body.render(TemplateValues(down), context: .text)
        // What failed, said once under the headline; no post rows.
        #expect(downText.hasPrefix("FIRING: source toots is not answering\n\nSource toots has failed for 12 min: HTTP 503.\n\nRule       source-down (critical)"), "\(downText)")
        #expect(html.render(TemplateValues(down), context: .html).contains("<p>Source toots has failed for 12 min: HTTP 503.</p>"))
        #expect(try slackText(down).contains("Source toots has failed for 12 min: HTTP 503."))
        for absent in ["Reshares", "Who", "What works", "Post age"] { #expect(!downText.contains(absent), "\(absent) in \(downText)") }
        #expect(!html.render(TemplateValues(down), context: .html).contains("Reshares"))
        #expect(try !slackText(down).contains("Reshares") && slackText(down).contains("source-down"))
        // Only a post can be answered: the webhook says null and PagerDuty nothing, not "yes".
        let webhook = try JSONValue.parse(Data(templates.load("webhook.json", context: .json).render(TemplateValues(down), context: .json).utf8))
        let pagerduty = try JSONValue.parse(Data(templates.load("pagerduty.json", context: .json).render(TemplateValues(down), context: .json).utf8))
        #expect(webhook["answered"]?.isNull == true, "\(webhook)")
        #expect(pagerduty[path: "custom_details.answered"]?.stringValue?.contains("yes") != true, "\(pagerduty)")
        #expect(try JSONValue.parse(Data(templates.load("webhook.json", context: .json).render(TemplateValues(sample), context: .json).utf8))["answered"] == .bool(false))
        // Nor on a source whose brand's answers nobody looks for: not "yes", not "NOT YET".
        var unwatched = sample
        if case .post(let key, var post) = unwatched.subject { post.answerWatched = false; post.unansweredFor = nil; unwatched.subject = .post(key, post) }
        #expect(try JSONValue.parse(Data(templates.load("webhook.json", context: .json).render(TemplateValues(unwatched), context: .json).utf8))["answered"]?.isNull == true)
        let said = try JSONValue.parse(Data(templates.load("pagerduty.json", context: .json).render(TemplateValues(unwatched), context: .json).utf8))[path: "custom_details.answered"]?.stringValue
        #expect(said == "not looked for: the source names no brand_accounts", "\(String(describing: said))")
        #expect(!email.body.render(TemplateValues(unwatched), context: .text).contains("yes, the brand has replied"))
    }
}
