import ForeshockSupport
import Foundation

/// Timing of the alert lifecycle: `alerting` in the config.
package struct AlertingConfig: Sendable, Equatable {
    /// Notifications for one sink within this many seconds of a first one go out together.
    package var groupWait = 10.0
    /// A firing alert is sent again after this long.
    package var repeatInterval = 4 * 3600.0
    /// An alert resolves after this long with no rule holding.
    package var resolveAfter = 1800.0

    package init() {}

    static func read(_ object: ObjectReader) -> AlertingConfig {
        var alerting = AlertingConfig()
        alerting.groupWait = object.duration("group_wait", min: 0) ?? alerting.groupWait
        alerting.repeatInterval = object.duration("repeat_interval", min: 60) ?? alerting.repeatInterval
        alerting.resolveAfter = object.duration("resolve_after", min: 0) ?? alerting.resolveAfter
        object.finish()
        return alerting
    }
}

/// One condition a silence puts on an alert, as amtool writes them: `rule=going-viral`,
/// `author!=acme`, `author=~"dana.*"`, `source!~"hn|x"`. A regex must match the whole value.
package struct SilenceMatcher: Sendable, Equatable, CustomStringConvertible {
    package enum Field: String, Sendable, CaseIterable { case post, author, rule, source }
    package enum Op: String, Sendable, CaseIterable {
        case equal = "=", notEqual = "!=", matches = "=~", notMatches = "!~"
    }

    package let field: Field
    package let op: Op
    package let value: String
    /// The regex of `=~` and `!~`, compiled once: silences are checked against every
    /// notification and, for the web page, every firing alert every couple of seconds.
    let regex: NSRegularExpression?

    /// The equality matchers of a `match` object (`post`, `author`, `rule`, `source`), the
    /// form silences took before matchers: `value` gives each field's string, if there is one.
    package static func equalities(_ value: (String) -> String?) -> [SilenceMatcher] {
        Field.allCases.compactMap { field in value(field.rawValue).map { SilenceMatcher(field, .equal, $0) } }
    }

    package init(_ field: Field, _ op: Op = .equal, _ value: String) {
        self.field = field
        self.op = op
        // Post keys write a control or text-direction character as %XX where they are read
        // (`SafeText.identifier`): a post or source written as it came matches the key too.
        self.value = (field == .post || field == .source) && (op == .equal || op == .notEqual) ? SafeText.identifier(value) : value
        // Anchored to the whole value as Alertmanager's are (`\z`: not before a final line
        // break either); an author's without case, as its equality is.
        regex = op == .matches || op == .notMatches
            ? try? NSRegularExpression(pattern: "\\A(?:" + value + ")\\z", options: field == .author ? [.caseInsensitive] : []) : nil
    }

    /// The same matcher: the regex is made from the rest.
    package static func == (a: SilenceMatcher, b: SilenceMatcher) -> Bool {
        a.field == b.field && a.op == b.op && a.value == b.value
    }

    /// `rule=going-viral`, as `silence list` shows it and `silence add` takes it.
    package var description: String { field.rawValue + op.rawValue + value }

    /// As `parse` reads back whatever the value holds (quotes, spaces, operators): the value
    /// in double quotes. What a command sends to a remote watch.
    package var quoted: String { field.rawValue + op.rawValue + "\"" + value + "\"" }

    /// Reads `NAME OP VALUE`.
    /// - Throws: `Problem`, one sentence naming what is wrong.
    package static func parse(_ text: String) throws(Problem) -> SilenceMatcher {
        guard let opRange = ["!=", "=~", "!~", "="].lazy.compactMap({ text.range(of: $0) }).min(by: { $0.lowerBound < $1.lowerBound }) else {
            throw Problem(description: "\"\(text)\" is not a matcher: write NAME=VALUE, NAME!=VALUE, NAME=~REGEX or NAME!~REGEX")
        }
        // At the first operator, the longest that starts there (`=~` over `=`).
        let start = opRange.lowerBound
        let op = Op.allCases.filter { text[start...].hasPrefix($0.rawValue) }.max { $0.rawValue.count < $1.rawValue.count }!
        let name = String(text[..<start]).trimmingCharacters(in: .whitespaces)
        var value = String(text[text.index(start, offsetBy: op.rawValue.count)...])
        if value.count >= 2, let first = value.first, first == value.last, first == "\"" || first == "'" { value = String(value.dropFirst().dropLast()) }
        guard let field = Field(rawValue: name) else {
            throw Problem(description: "\"\(name)\" in \"\(text)\" is not something a silence matches (post, author, rule or source)")
        }
        guard !value.isEmpty else { throw Problem(description: "\"\(text)\" matches an empty \(name): give a value") }
        if op == .matches || op == .notMatches, field == .post || field == .source, value.unicodeScalars.contains(where: SafeText.isUnsafe) {
            // Keys write such a character as %XX, which a pattern cannot be escaped into.
            throw Problem(description: "\"\(SafeText.terminal(value))\" in a regular expression on \(name) holds a control or text-direction character: post keys write it as %XX, so match that")
        }
        let matcher = SilenceMatcher(field, op, value)
        if op == .matches || op == .notMatches, matcher.regex == nil {
            throw Problem(description: "\"\(value)\" in \"\(text)\" is not a regular expression")
        }
        return matcher
    }

    package struct Problem: Error, Sendable, CustomStringConvertible {
        package var description: String
    }

    /// Whether the alert's values satisfy this matcher: `values` are what the field may be
    /// called for the alert (a post is its id or `source:id`); none is the empty value, as an
    /// absent label is in Alertmanager. Authors compare without case.
    package func holds(for values: [String]) -> Bool {
        let values = values.isEmpty ? [""] : values
        let hit: Bool
        switch op {
        case .equal, .notEqual:
            hit = values.contains { field == .author ? $0.lowercased() == value.lowercased() : $0 == value }
        case .matches, .notMatches:
            guard let regex else { return false }
            hit = values.contains { regex.firstMatch(in: $0, range: NSRange($0.startIndex..., in: $0)) != nil }
        }
        return op == .equal || op == .matches ? hit : !hit
    }

    /// Why a silence with these matchers may not be made, if it may not: as Alertmanager
    /// refuses them, matchers that all hold for an alert with nothing set would silence
    /// everything (`author!=acme` alone holds a source-down alert too).
    package static func refusal(_ matchers: [SilenceMatcher]) -> String? {
        guard !matchers.isEmpty else { return "give at least one matcher, such as rule=going-viral" }
        guard matchers.allSatisfy({ $0.holds(for: []) }) else { return nil }
        return "\(matchers.map(\.description).joined(separator: " ")) would hold back every alert that has no such value; add a matcher that needs one (rule=…, source=…, post=…)"
    }
}

extension Config {
    /// A matcher that names (with `=` or `!=`) a rule or a source this config does not have:
    /// a silence for a typo would hold nothing back and look as if it did.
    /// - Returns: the sentence that says so, nil when every name is known.
    package func unknownName(in matchers: [SilenceMatcher]) -> String? {
        SilenceMatcher.unknownName(in: matchers, rules: rules.map(\.name), sources: sources.map(\.name))
    }
}

extension SilenceMatcher {
    /// `Config.unknownName(in:)` for a watch known only by its rules' and sources' names (as its
    /// `status.json` lists them).
    package static func unknownName(in matchers: [SilenceMatcher], rules: [String], sources: [String]) -> String? {
        for matcher in matchers where matcher.op == .equal || matcher.op == .notEqual {
            let known: [String]
            switch matcher.field {
            case .rule: known = rules + ["source-down"]
            case .source: known = sources
            default: continue
            }
            guard !known.contains(matcher.value) else { continue }
            let hint = Suggestion.closest(to: matcher.value, among: known).map { " Did you mean \($0)?" } ?? ""
            return "no \(matcher.field.rawValue) \"\(matcher.value)\" (it has \(known.joined(separator: ", "))).\(hint)"
        }
        return nil
    }
}

/// Notifications held back for matching alerts: `silences[]` in the config.
package struct SilenceConfig: Sendable, Equatable {
    /// All must hold.
    package var matchers: [SilenceMatcher]
    package var until: Date
    package var comment: String?

    package init(matchers: [SilenceMatcher], until: Date, comment: String? = nil) {
        self.matchers = matchers
        self.until = until
        self.comment = comment
    }

    /// The longest a silence added by hand may last: a year and a day. One meant for longer is
    /// a rule to change, and a time past it (`for: 99999999h`) is a typo.
    package static let longest: Double = 366 * 86400

    /// Why a silence for `seconds` cannot be added, nil when it can.
    package static func refusal(lasting seconds: Double) -> String? {
        seconds > 0 ? seconds <= longest ? nil : "a silence lasts at most 366d (a year and a day); change the rule for longer"
                    : "a silence lasts longer than zero"
    }

    /// `rule=going-viral author=~dana.*`.
    package var matcherText: String { matchers.map(\.description).joined(separator: " ") }

    static func read(_ object: ObjectReader, reader: ConfigReader, now: Date) -> SilenceConfig? {
        var matchers: [SilenceMatcher] = []
        if let match = object.object("match") {
            matchers += SilenceMatcher.equalities { match.string($0) }
            match.finish()
        }
        for (index, text) in (object.strings("matchers") ?? []).enumerated() {
            do { matchers.append(try SilenceMatcher.parse(text)) } catch { reader.error(object.keyPath("matchers[\(index)]"), error.description) }
        }
        if matchers.isEmpty, !reader.hasErrors {
            reader.error(object.path, "matches nothing (give match: { post, author, rule or source } or matchers: [\"rule=going-viral\", …])")
        } else if let refusal = SilenceMatcher.refusal(matchers) {
            reader.error(object.path, refusal)
        }
        let until = object.date("until")
        let span = object.duration("for", min: 1)
        if let span, let refusal = refusal(lasting: span) { reader.error(object.keyPath("for"), refusal) }
        let comment = object.string("comment")
        if object.has("until") == object.has("for") {
            reader.error(object.path, "give exactly one of until (a time) or for (a duration)")
        }
        object.finish()
        guard let end = until ?? span.map({ now.addingTimeInterval($0) }) else { return nil }
        return SilenceConfig(matchers: matchers, until: end, comment: comment)
    }
}
