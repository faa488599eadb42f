import ForeshockSupport
import Foundation

/// Collects every problem found while reading one config file.
final class ConfigReader {
    let origin: String
    let environment: [String: String]
    /// Whether an unset `_env` variable is an error (watch) or a warning (check-config).
    let requireSecrets: Bool
    private(set) var problems: [ConfigProblem] = []

    init(origin: String, environment: [String: String], requireSecrets: Bool) {
        self.origin = origin
        self.environment = environment
        self.requireSecrets = requireSecrets
    }

    func error(_ path: String, _ message: String) {
        problems.append(ConfigProblem(origin: origin, path: path, message: message))
    }

    func warning(_ path: String, _ message: String) {
        problems.append(ConfigProblem(origin: origin, path: path, message: message, severity: .warning))
    }

    var hasErrors: Bool { problems.contains { $0.severity == .error } }
}

/// Reads one JSON object of the config key by key. Every accessor names a key as known, so
/// `finish()` can report the keys that are not (a typo must never be silently ignored).
final class ObjectReader {
    let path: String
    private let fields: [String: JSONValue]
    private let reader: ConfigReader
    private var known: [String] = []

    /// Nil (with a problem reported) when the value is not an object.
    init?(_ value: JSONValue, path: String, reader: ConfigReader) {
        guard case .object(let fields) = value else {
            reader.error(path, "expected an object, found \(value.kindName)")
            return nil
        }
        self.path = path
        self.fields = fields
        self.reader = reader
    }

    func keyPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The keys asked for so far: read from an empty object, the keys its reader knows.
    var askedKeys: [String] { known }

    /// True when the object has no keys at all.
    var isEmpty: Bool { fields.isEmpty }

    func has(_ key: String) -> Bool {
        if let value = fields[key] { return value != .null }
        return false
    }

    private func take(_ key: String, required: Bool, expected: String) -> JSONValue? {
        known.append(key)
        guard let value = fields[key], value != .null else {
            if required { reader.error(keyPath(key), "missing (\(expected) is required)") }
            return nil
        }
        return value
    }

    private func wrongType(_ key: String, _ value: JSONValue, _ expected: String) {
        // "expected a whole number, found a number" says nothing: say which number.
        let found = if case .number(let number) = value { number.isNaN ? "NaN" : number.isInfinite ? (number < 0 ? "-Infinity" : "Infinity") : format(number) } else { value.kindName }
        reader.error(keyPath(key), "expected \(expected), found \(found)")
    }

    func string(_ key: String, required: Bool = false, nonEmpty: Bool = true) -> String? {
        guard let value = take(key, required: required, expected: "a string") else { return nil }
        guard case .string(let text) = value else { wrongType(key, value, "a string"); return nil }
        if nonEmpty, text.trimmingCharacters(in: .whitespaces).isEmpty {
            reader.error(keyPath(key), "is empty (give a value or leave the key out)")
            return nil
        }
        return text
    }

    /// A JSON feed's path into its answer: keys and array indices joined by dots
    /// (`data.children.0.title`). A JSONPath (`$.data`, `items[0]`, `*`) would read nothing,
    /// silently; a `$` inside a key (MongoDB's `_id.$oid`) is a key's.
    func dottedPath(_ key: String, required: Bool = false) -> String? {
        guard let path = string(key, required: required) else { return nil }
        if path.hasPrefix("$") || path.contains(where: { "[]*".contains($0) }) {
            reader.error(keyPath(key), "\"\(path)\" is not a dotted path (keys and indices joined by dots, e.g. \"data.items.0.title\"; not JSONPath)")
            return nil
        }
        return path
    }

    func bool(_ key: String) -> Bool? {
        guard let value = take(key, required: false, expected: "true or false") else { return nil }
        guard case .bool(let flag) = value else { wrongType(key, value, "true or false"); return nil }
        return flag
    }

    func double(_ key: String, required: Bool = false, min: Double? = nil, max: Double? = nil) -> Double? {
        guard let value = take(key, required: required, expected: "a number") else { return nil }
        guard case .number(let number) = value, number.isFinite else { wrongType(key, value, "a finite number"); return nil }
        if let min, number < min { reader.error(keyPath(key), "\(format(number)) is too small (at least \(format(min)))"); return nil }
        if let max, number > max { reader.error(keyPath(key), "\(format(number)) is too large (at most \(format(max)))"); return nil }
        return number
    }

    func int(_ key: String, required: Bool = false, min: Int? = nil, max: Int? = nil) -> Int? {
        guard let value = take(key, required: required, expected: "a whole number") else { return nil }
        guard case .number(let whole) = value else { wrongType(key, value, "a whole number"); return nil }
        guard let number = value.intValue else {
            if whole.isFinite, whole.rounded() == whole {
                let bound = whole < 0 ? min.map { " (at least \($0))" } : max.map { " (at most \($0))" }
                reader.error(keyPath(key), "\(format(whole)) is too \(whole < 0 ? "small" : "large")\(bound ?? "")")
            } else {
                wrongType(key, value, "a whole number")
            }
            return nil
        }
        if let min, number < min { reader.error(keyPath(key), "\(number) is too small (at least \(min))"); return nil }
        if let max, number > max { reader.error(keyPath(key), "\(number) is too large (at most \(max))"); return nil }
        return number
    }

    /// A duration string, in seconds.
    func duration(_ key: String, required: Bool = false, min: Double? = nil, max: Double = DurationText.longest) -> Double? {
        let hint = "use e.g. \"500ms\", \"30s\", \"5m\", \"1h30m\", \"2d\""
        guard let value = take(key, required: required, expected: "a duration") else { return nil }
        guard case .string(let text) = value else {
            reader.error(keyPath(key), "expected a duration string, found \(value.kindName) (\(hint))")
            return nil
        }
        guard let seconds = DurationText.seconds(text) else {
            reader.error(keyPath(key), "\"\(text)\" is not a duration (\(hint))")
            return nil
        }
        if let min, seconds < min {
            reader.error(keyPath(key), "\"\(text)\" is too short (at least \(DurationText.format(min)))")
            return nil
        }
        if seconds > max {
            reader.error(keyPath(key), "\"\(text)\" is too long (at most \(DurationText.format(max)))")
            return nil
        }
        return seconds
    }

    /// An RFC 3339 timestamp.
    func date(_ key: String) -> Date? {
        guard let text = string(key) else { return nil }
        guard let date = Timestamp.parse(text) else {
            reader.error(keyPath(key), "\"\(text)\" is not a time (use RFC 3339, e.g. \"2026-12-31T00:00:00Z\")")
            return nil
        }
        return date
    }

    func strings(_ key: String, required: Bool = false, nonEmpty: Bool = false) -> [String]? {
        guard let value = take(key, required: required, expected: "a list of strings") else { return nil }
        guard case .array(let items) = value else { wrongType(key, value, "a list of strings"); return nil }
        var result: [String] = []
        for (index, item) in items.enumerated() {
            guard case .string(let text) = item, !text.isEmpty else {
                reader.error("\(keyPath(key))[\(index)]", "expected a non-empty string, found \(item.kindName)")
                continue
            }
            result.append(text)
        }
        if nonEmpty, items.isEmpty { reader.error(keyPath(key), "is empty (give at least one)") }
        return result
    }

    /// A string map (`fields`, `headers`).
    func stringMap(_ key: String) -> [String: String]? {
        guard let object = object(key) else { return nil }
        return object.remainingStrings()
    }

    /// HTTP headers: names are tokens (RFC 9110), values hold no line break or other control
    /// character, since either would let the config add headers of its own to every request.
    /// A bad header is an error at its key path and is left out.
    func headerMap(_ key: String) -> [String: String]? {
        guard let object = object(key) else { return nil }
        var headers: [String: String] = [:]
        for (name, value) in object.remainingStrings() {
            let path = object.keyPath(name)
            if name.isEmpty || !name.unicodeScalars.allSatisfy(Self.isTokenCharacter) {
                reader.error(path, "is not a header name (letters, digits and !#$%&'*+-.^_`|~ only)")
            } else if Self.hasControlCharacter(value, allowingTab: true) {
                reader.error(path, "the value holds a line break or control character (it could add headers of its own)")
            } else {
                headers[name] = value
            }
        }
        return headers
    }

    /// The required `name` of a source, rule or sink, which lands in alert keys, log lines and
    /// every terminal: a control or text-direction character in it is an error.
    /// - Parameter why: where the name lands, for the message.
    func name(_ why: String) -> String? {
        let name = string("name", required: true)
        if let name, name.unicodeScalars.contains(where: SafeText.isUnsafe) {
            reader.error(keyPath("name"), "holds a control or text-direction character (\(why))")
        }
        return name
    }

    /// A string that goes on the wire as it is (a URL, an address, a User-Agent): one without
    /// control characters, else an error at its key path naming `what` it is.
    func wireString(_ key: String, _ what: String, required: Bool = false) -> String? {
        guard let text = string(key, required: required) else { return nil }
        guard !Self.hasControlCharacter(text, allowingTab: false) else {
            reader.error(keyPath(key), "the \(what) holds a line break or control character")
            return nil
        }
        return text
    }

    /// Checks a URL given at `key` (a secret's value among them): an http(s) URL with a host
    /// and no space or control character, else an error that does not repeat the value.
    /// - Parameter example: what a right one looks like, for the message.
    /// - Parameter from: where the value came from when it is not the key's own (a variable, a
    ///   file), so the message names what to fix.
    func checkWebURL(_ url: String?, key: String, example: String, from: String? = nil) {
        guard let url else { return }
        if Self.hasControlCharacter(url, allowingTab: false) || url.contains(" ") {
            reader.error(keyPath(key), "\(from ?? "the URL") holds a line break, space or control character")
            return
        }
        let parts = URLParts(url)
        if parts.scheme.map({ $0 == "http" || $0 == "https" }) != true || parts.host == nil {
            reader.error(keyPath(key), (from.map { "\($0) is " } ?? "") + "not an http(s) URL (e.g. \(example))")
        } else if !parts.hasValidAuthority {
            reader.error(keyPath(key), "\(from.map { "\($0): " } ?? "")the URL's host and port cannot be read: a host, then at most :PORT from 1 to 65535 (an IPv6 address in [ ])")
        }
    }

    /// `checkWebURL` for a secret: a wrong value from `url_env` or `url_file` is said at that key,
    /// naming the variable or file, not at `url`, which the config does not have.
    func checkWebURL(_ secret: Secret?, key: String, example: String) {
        guard let secret else { return }
        switch secret.origin {
        case .literal: checkWebURL(secret.value, key: key, example: example)
        case .environment(let name): checkWebURL(secret.value, key: key + "_env", example: example, from: "the value of \(name)")
        case .file(let path): checkWebURL(secret.value, key: key + "_file", example: example, from: "the contents of \(path)")
        }
    }

    static func isTokenCharacter(_ scalar: Unicode.Scalar) -> Bool {
        scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || "!#$%&'*+-.^_`|~".unicodeScalars.contains(scalar))
    }

    /// C0 controls (CR and LF among them), DEL and the C1 controls; a tab only when not allowed.
    static func hasControlCharacter(_ text: String, allowingTab: Bool) -> Bool {
        text.unicodeScalars.contains { scalar in
            (scalar.value < 0x20 && !(allowingTab && scalar == "\t")) || (0x7F...0x9F).contains(scalar.value)
        }
    }

    /// One of a fixed set of words.
    func choice<T: RawRepresentable & CaseIterable>(_ key: String, _ type: T.Type, required: Bool = false) -> T? where T.RawValue == String {
        let names = T.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
        guard let text = string(key, required: required) else { return nil }
        guard let choice = T(rawValue: text) else {
            let hint = Suggestion.closest(to: text, among: T.allCases.map(\.rawValue)).map { "did you mean \"\($0)\"? " } ?? ""
            reader.error(keyPath(key), "\"\(text)\" is not one of \(names) (\(hint)use one of those)")
            return nil
        }
        return choice
    }

    func object(_ key: String, required: Bool = false) -> ObjectReader? {
        guard let value = take(key, required: required, expected: "an object") else { return nil }
        return ObjectReader(value, path: keyPath(key), reader: reader)
    }

    /// Each element of an array of objects, with its own reader.
    func objects(_ key: String) -> [ObjectReader] {
        guard let value = take(key, required: false, expected: "a list") else { return [] }
        guard case .array(let items) = value else { wrongType(key, value, "a list"); return [] }
        return items.enumerated().compactMap { ObjectReader($1, path: "\(keyPath(key))[\($0)]", reader: reader) }
    }

    /// A secret given as `key` (inline), `key_env` or `key_file`.
    func secret(_ key: String, required: Bool = false) -> Secret? {
        let envKey = key + "_env", fileKey = key + "_file"
        let given = [key, envKey, fileKey].filter { has($0) }
        let literal = string(key, nonEmpty: false), variable = string(envKey), file = string(fileKey)
        if given.count > 1 {
            reader.error(keyPath(key), "given as \(given.joined(separator: " and ")) (give only one of \(key), \(envKey), \(fileKey))")
            return nil
        }
        if let variable {
            let value = reader.environment[variable]
            if value == nil || value?.isEmpty == true {
                let message = "environment variable \(variable) is " + (value == nil ? "not set" : "set but empty") + " (it must be set where Foreshock runs)"
                if reader.requireSecrets { reader.error(keyPath(envKey), message) } else { reader.warning(keyPath(envKey), message) }
                return Secret(origin: .environment(variable), value: nil)
            }
            return Secret(origin: .environment(variable), value: value)
        }
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else {
                reader.error(keyPath(fileKey), "cannot read \(file) (give a readable file holding the secret)")
                return nil
            }
            var text = String(decoding: data, as: UTF8.self)
            while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
            return Secret(origin: .file(file), value: text)
        }
        if let literal {
            let secret = Secret(origin: .literal, value: literal)
            if !secret.isPlainLoopbackURL {
                reader.warning(keyPath(key), "a literal secret in the config (use \(envKey) or \(fileKey) outside local testing)")
            }
            return secret
        }
        if required { reader.error(keyPath(key), "missing (give \(key)_env, \(key)_file or \(key))") }
        return nil
    }

    /// The remaining fields as strings, for free-form maps; any other value is reported.
    private func remainingStrings() -> [String: String] {
        var result: [String: String] = [:]
        for (key, value) in fields {
            known.append(key)
            if case .string(let text) = value { result[key] = text } else { wrongType(key, value, "a string") }
        }
        return result
    }

    /// How many unknown keys of one object are named, each with its hint; the rest are counted.
    static let unknownKeysNamed = 20

    /// Reports the keys that no accessor asked for: the first `unknownKeysNamed` by name, the
    /// rest in one line, so a generated file with thousands of them is a screenful, not minutes
    /// of suggestions.
    /// - Parameter elsewhere: keys another object takes, with their place there
    ///   (`scoring.lexicon`): a key put one level too high is pointed to where it goes.
    func finish(elsewhere: [String: String] = [:]) {
        let asked = Set(known)
        let unknown = fields.keys.filter { !asked.contains($0) }.sorted()
        for key in unknown.prefix(Self.unknownKeysNamed) {
            let hint = elsewhere[key].map { "it goes in \($0.split(separator: ".").first ?? ""): \($0)" }
                ?? Suggestion.closest(to: key, among: known).map { "did you mean \"\($0)\"?" }
                ?? "known keys: \(known.sorted().joined(separator: ", "))"
            reader.error(keyPath(key), "unknown key (\(hint))")
        }
        if unknown.count > Self.unknownKeysNamed {
            reader.error(path, "\(unknown.count - Self.unknownKeysNamed) more unknown keys, not named one by one")
        }
    }

    private func format(_ number: Double) -> String {
        number.rounded() == number && abs(number) < 1e15 ? String(Int(number)) : String(number)
    }
}

/// The closest known word to a misspelt one.
package enum Suggestion {
    package static func closest(to word: String, among candidates: [String]) -> String? {
        let scored = candidates.map { ($0, distance(word.lowercased(), $0.lowercased())) }
        guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
        return best.1 <= max(2, word.count / 3) ? best.0 : nil
    }

    /// Levenshtein distance.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var row = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where j <= b.count {
                row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = row
        }
        return previous[b.count]
    }
}
