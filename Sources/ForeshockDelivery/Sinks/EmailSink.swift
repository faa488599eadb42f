import ForeshockConfig
import ForeshockCore
import ForeshockSupport
import ForeshockTransport
import Foundation

/// Mail through the libcurl SMTP client: `email.txt` (its first line the subject) and
/// `email.html` as a `multipart/alternative` message. Follow-ups of an alert (escalated,
/// repeated, resolved) carry `In-Reply-To` and `References` to the message that started it, so
/// mail clients thread them.
package struct EmailSink: AlertSink {
    package let name: String
    package let maxPerMinute: Int?
    private let client: SMTPClient
    private let from: String
    private let to: [String]
    private let subject: NotificationTemplate
    private let text: NotificationTemplate
    private let html: NotificationTemplate
    private let redactor: Redactor

    /// - Parameters:
    ///   - text: `email.txt`: `Subject: …`, a blank line, then the body.
    package init(config: SinkConfig, text: NotificationTemplate, subject: NotificationTemplate, html: NotificationTemplate) {
        name = config.name
        maxPerMinute = config.maxPerMinute
        var settings = config.smtp ?? SMTPSettings(url: "")
        settings.timeout = config.timeout
        client = SMTPClient(settings: settings)
        from = config.from ?? ""
        to = config.to
        self.subject = subject
        self.text = text
        self.html = html
        redactor = config.redactor
    }

    /// The Message-ID of the mail that started an alert: derived from the alert and when it
    /// first fired, so every follow-up can name it without remembering anything.
    static func threadID(_ note: AlertNotification) -> String {
        let safe = String(note.alertKey.unicodeScalars.map { scalar -> Character in
            let c = Character(scalar)
            return (c.isASCII && (c.isLetter || c.isNumber)) || c == "." || c == "-" || c == "_" ? c : "-"
        }.prefix(120))
        // A dot-atom has no empty atom (RFC 5322 §3.6.4): `a..b`, or a key cut at a dot, would
        // make `..` with the dots around it, which strict readers refuse and do not thread.
        let atoms = safe.split(separator: ".", omittingEmptySubsequences: true).joined(separator: ".")
        return "<alert.\(atoms.isEmpty ? "-" : atoms).\(Int(note.firedAt ?? note.time))@foreshock>"
    }

    /// Grouped alerts' HTML as one document: what each holds inside its `<body>`, one after
    /// another under a rule, in the first one's page (several `<!DOCTYPE html>` in one part is
    /// no HTML). Pages without a body (a template of one's own) are joined as they are.
    static func oneDocument(_ pages: [String]) -> String {
        guard pages.count > 1 else { return pages.first ?? "" }
        func body(_ page: String) -> Range<String.Index>? {
            guard let open = page.range(of: "<body", options: .caseInsensitive),
                  let start = page.range(of: ">", range: open.upperBound..<page.endIndex),
                  let close = page.range(of: "</body>", options: [.caseInsensitive, .backwards]), start.upperBound <= close.lowerBound else { return nil }
            return start.upperBound..<close.lowerBound
        }
        let inner = pages.map(body)
        guard let first = inner[0], inner.allSatisfy({ $0 != nil }) else { return pages.joined(separator: "\n<hr>\n") }
        let parts = zip(pages, inner).map { page, range in String(page[range!]) }
        return String(pages[0][..<first.lowerBound]) + parts.joined(separator: "\n<hr>\n") + String(pages[0][first.upperBound...])
    }

    package func render(_ notes: [AlertNotification], id: String) -> [(id: String, body: Data)] {
        guard let first = notes.first else { return [] }
        // The most urgent leads, in the subject and first in the body: a critical page grouped
        // after a warning went out under `[Foreshock WARNING]`, the critical one "and 3 more".
        func urgency(_ note: AlertNotification) -> Int { note.reason == .resolved ? 0 : note.severity == .critical ? 2 : 1 }
        let lead = notes.indices.max { urgency(notes[$0]) < urgency(notes[$1]) } ?? 0
        let values = ([notes[lead]] + notes.enumerated().filter { $0.offset != lead }.map(\.element)).map(TemplateValues.init)
        var subjectLine = subject.render(values[0], context: .header)
        if notes.count > 1 { subjectLine += " (and \(notes.count - 1) more)" }
        let separator = "\n\n" + String(repeating: "─", count: 40) + "\n\n"
        let body = values.map { text.render($0, context: .text) }.joined(separator: separator)
        let page = Self.oneDocument(values.map { html.render($0, context: .html) })
        // The mail that starts an alert (alone, or grouped with later changes of the same alert)
        // is the thread's root, under the id every follow-up names.
        let oneAlert = Set(notes.map(\.alertKey)).count == 1
        let starts = oneAlert ? notes.first { $0.reason == .started } : nil
        let messageID = starts.map(Self.threadID) ?? "<\(id)@foreshock>"
        var message = MailMessage(from: from, to: to, subject: subjectLine, messageID: messageID, date: Date(timeIntervalSince1970: first.time), text: body, html: page)
        let roots = notes.map(Self.threadID).filter { $0 != messageID }
        var seen = Set<String>()
        message.references = roots.filter { seen.insert($0).inserted }
        // A reply to the alert's first message when it is about that one alert only (several
        // changes of it grouped included); a group of several alerts only references each.
        if oneAlert, message.references.count == 1 { message.inReplyTo = message.references[0] }
        // One header per alert, not one list: a key holds whatever its source's name and the
        // network's post id hold, spaces and commas included, so no separator would be safe.
        var named = Set<String>()
        let keys = notes.map(\.alertKey).filter { named.insert($0).inserted }
        message.extraHeaders = keys.map { ("X-Foreshock-Alert", $0) } + [("Auto-Submitted", "auto-generated")]
        return [(id, message.data)]
    }

    package func send(_ body: Data, id: String) async throws(DeliveryError) {
        do {
            try await client.send(SMTPMessage(from: from, recipients: to, data: body))
        } catch {
            throw DeliveryError.transport(error).redacted(by: redactor)
        }
    }
}
