/// The templates in `alerts/`, compiled in: `Package.swift` embeds each file
/// (`resources: .embedInCode`, through the symlink `Resources/alerts`), so the binary needs no
/// files beside it and the copy cannot drift from the files people edit.
enum DefaultTemplates {
    static let files: [String: String] = [
        "email.txt": text(PackageResources.email_txt),
        "email.html": text(PackageResources.email_html),
        "slack.json": text(PackageResources.slack_json),
        "webhook.json": text(PackageResources.webhook_json),
        "pagerduty.json": text(PackageResources.pagerduty_json),
    ]

    /// A file's text without its final line break: a rendered message ends where its last line does.
    private static func text(_ bytes: [UInt8]) -> String {
        let text = String(decoding: bytes, as: UTF8.self)
        return text.hasSuffix("\n") ? String(text.dropLast()) : text
    }
}
