import ForeshockCore
import ForeshockSupport
import Foundation

/// Finds and checks the templates sinks use: a sink's own file, else `templates_dir`, else
/// the copies of `alerts/` compiled into the binary. Every template is parsed and rendered
/// with a sample alert at start (JSON ones must give valid JSON), so a broken template is a
/// config error, not a failure at 3 a.m.
package struct AlertTemplates: Sendable {
    package struct Problem: Error, Sendable, CustomStringConvertible {
        package var description: String
    }

    package let directory: String?

    package init(directory: String?) {
        self.directory = directory
    }

    /// - Parameters:
    ///   - name: the default file, such as `slack.json`.
    ///   - override: a sink's own template file.
    /// - Throws: `Problem` naming the file and what is wrong with it.
    package func load(_ name: String, override: String? = nil, context: NotificationTemplate.Context) throws(Problem) -> NotificationTemplate {
        let (text, origin) = try source(name, override: override)
        let template: NotificationTemplate
        do { template = try NotificationTemplate(text, name: origin) } catch { throw Problem(description: error.description) }
        if context == .json || context == .slack {
            // Every shape an alert takes, so that each side of every section is rendered once.
            for (shape, note) in AlertNotification.shapes {
                let rendered = template.render(TemplateValues(note), context: context)
                do { _ = try JSONValue.parse(Data(rendered.utf8)) } catch {
                    throw Problem(description: "\(origin): does not render to JSON for \(shape) (\(error.description)); "
                                  + "text placeholders go inside quotes: \"{{author}}\", and a section must leave JSON whether it shows or not")
                }
            }
        }
        return template
    }

    /// `email.txt` split into its subject line and its body.
    package func loadEmail(override: String?) throws(Problem) -> (subject: NotificationTemplate, body: NotificationTemplate) {
        let (text, origin) = try source("email.txt", override: override)
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n")
        guard normalized.hasPrefix("Subject:"), let end = normalized.range(of: "\n\n") else {
            throw Problem(description: "\(origin): must start with a \"Subject: …\" line and a blank line before the body")
        }
        do {
            let subject = try NotificationTemplate(String(normalized[..<end.lowerBound].dropFirst("Subject:".count)).trimmingCharacters(in: .whitespaces), name: origin)
            let body = try NotificationTemplate(String(normalized[end.upperBound...]), name: origin)
            return (subject, body)
        } catch {
            throw Problem(description: error.description)
        }
    }

    private func source(_ name: String, override: String?) throws(Problem) -> (String, String) {
        let path = override ?? directory.map { ($0 as NSString).appendingPathComponent(name) }
        if let path, override != nil || FileManager.default.fileExists(atPath: path) {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw Problem(description: "template \(path) cannot be read")
            }
            guard let text = String(data: data, encoding: .utf8) else { throw Problem(description: "template \(path) is not UTF-8") }
            return (text, path)
        }
        guard let text = DefaultTemplates.files[name] else { throw Problem(description: "no template \(name)") }
        return (text, "alerts/\(name) (built in)")
    }
}
