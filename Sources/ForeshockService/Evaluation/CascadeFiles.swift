import ForeshockFeeds
import ForeshockSupport
import Foundation

/// Reading the published cascade files `eval` and `bench` take, as others export them too:
/// CRLF or LF, a byte-order mark, CSV with its header's columns in any order, quoted fields.
/// A line that cannot be a cascade's is skipped and said (`warn`, one line naming the file
/// and the line); a file with no cascade in it is an error naming it. Nothing is dropped
/// without a word: a whole data set read as nothing looked like a quiet model.
extension CascadeEvaluation {
    /// Where a file's lines went wrong, said once per file: the first few lines each, then how
    /// many more.
    package struct Problems {
        let file: String
        let warn: (String) -> Void
        private(set) var count = 0
        static let saidInFull = 5

        init(_ path: String, warn: @escaping (String) -> Void) {
            file = path
            self.warn = warn
        }

        mutating func line(_ number: Int, _ what: String) {
            count += 1
            if count <= Self.saidInFull { warn("\(file): line \(number): \(what); skipped") }
        }

        func finish() {
            if count > Self.saidInFull { warn("\(file): \(count - Self.saidInFull) more lines skipped (\(count) in all)") }
        }
    }

    /// The file's lines, numbered from 1, without a byte-order mark and without empty lines.
    static func lines(_ path: String) throws -> [(number: Int, text: Substring)] {
        guard var text = String(data: try Data(contentsOf: URL(fileURLWithPath: path)), encoding: .utf8) else {
            throw NoCascade(description: "\(path): not UTF-8 text")
        }
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        // `\r\n` is one Character: split on "\n" alone, a CRLF file was one line.
        return text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated()
            .map { ($0.offset + 1, $0.element) }.filter { !$0.text.allSatisfy(\.isWhitespace) }
    }

    /// A file with no cascade in it, named in `description`.
    package struct NoCascade: Error, CustomStringConvertible {
        package var description: String
    }

    /// A count or a time as written in a CSV or space-separated field: a finite number, quotes
    /// and spaces around it allowed.
    static func number(_ field: Substring) -> Double? {
        let trimmed = field.trimmingCharacters(in: CharacterSet(charactersIn: "\"' \t"))
        guard let value = Double(trimmed), value.isFinite, !trimmed.lowercased().contains("x") else { return nil }
        return value
    }

    /// What stands for "no count" in exports (R's NA, pandas' NaN, JSON's null, nothing).
    static func isMissing(_ field: Substring) -> Bool {
        ["", "na", "nan", "null", "none", "-"].contains(field.trimmingCharacters(in: CharacterSet(charactersIn: "\"' \t")).lowercased())
    }

    /// Times after the post, each with its resharer's followers, in time order: sorted when the
    /// file is not (and said), so a cascade's reshares never run backwards.
    static func ordered(_ rows: [(time: Double, followers: Double?)], problems: Problems) -> [(time: Double, followers: Double?)] {
        guard zip(rows, rows.dropFirst()).contains(where: { $0.time > $1.time }) else { return rows }
        problems.warn("\(problems.file): its reshares are not in time order; read sorted")
        return rows.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
    }

    /// TiDeH's `RTn.txt` (`count start_day`, then `seconds followers` per event, the original
    /// first) and the reference package's `seismic_tweet.csv` (a header, then
    /// `relative_time_second,number_of_followers`). A file without the header line is read
    /// from its first line, the original at second 0.
    package static func loadTiDeH(_ path: String, warn: @escaping (String) -> Void = { _ in }) throws -> Cascade {
        var problems = Problems(path, warn: warn)
        defer { problems.finish() }
        var rows: [(time: Double, followers: Double?)] = []
        var unknown = 0
        for (index, (lineNumber, line)) in try lines(path).enumerated() {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" || $0 == ";" })
            // A header: words (the CSV's), or TiDeH's count and start day (the original is at 0).
            if index == 0, fields.contains(where: { Self.number($0) == nil && !isMissing($0) }) || (fields.count >= 2 && Self.number(fields[0]).map { $0 != 0 } ?? false) {
                continue
            }
            guard fields.count >= 2 else {
                problems.line(lineNumber, "expected `seconds followers`, got \(SafeText.cut(String(line), 40))")
                continue
            }
            guard let time = Self.number(fields[0]), time >= 0 else {
                problems.line(lineNumber, "\"\(SafeText.cut(String(fields[0]), 20))\" is no time in seconds after the post")
                continue
            }
            let followers = Self.number(fields[1]).flatMap { $0 >= 0 ? $0 : nil }
            if followers == nil { unknown += 1 }
            rows.append((time, followers))
        }
        guard let post = rows.first else { throw NoCascade(description: "\(path): no cascade in it (expected `seconds followers` lines, the original first)") }
        if unknown > 0 { warn("\(path): \(unknown) follower count\(unknown == 1 ? "" : "s") missing or unreadable; taken as unknown") }
        let reshares = ordered(rows.dropFirst().map { (max(0, $0.time - post.time), $0.followers) }, problems: problems)
        return Cascade(name: (path as NSString).lastPathComponent, times: reshares.map(\.time), followers: [post.followers] + reshares.map(\.followers))
    }

    /// One JSON Lines cascade file's objects, each with its line number: what is not a JSON
    /// object, or repeats an `id` already read, is said and skipped.
    static func jsonLines(_ path: String, problems: inout Problems) throws -> [(number: Int, value: JSONValue)] {
        var out: [(number: Int, value: JSONValue)] = []
        var seen: [String: Int] = [:]
        for (number, line) in try lines(path) {
            let value: JSONValue
            do { value = try JSONValue.parse(Data(line.utf8)) } catch {
                problems.line(number, "\(error.description) (one JSON object a line)")
                continue
            }
            guard value.objectValue != nil else {
                problems.line(number, "\(value.kindName), not a JSON object (one cascade a line)")
                continue
            }
            if let id = value["id"]?.idString {
                if let first = seen[id] {
                    problems.line(number, "id \(SafeText.cut(id, 40)) again (first on line \(first))")
                    continue
                }
                seen[id] = number
            }
            out.append((number, value))
        }
        return out
    }

    /// A JSON array of times: each a finite number at least 0, or nil with what is wrong.
    static func times(_ value: JSONValue) -> (times: [Double]?, problem: String?) {
        guard let items = value["times"]?.arrayValue else { return (nil, "no `times` array") }
        var times: [Double] = []
        for (index, item) in items.enumerated() {
            guard case .number(let time) = item, time.isFinite, time >= 0 else {
                return (nil, "times[\(index)] is \(SafeText.cut(item.jsonText, 20)), not seconds after the post")
            }
            times.append(time)
        }
        return (times, nil)
    }

    /// Liang's random sample of ordinary tweets: one JSON object a line, `id`,
    /// `author_followers`, `times` (seconds after the post) and `followers` (each resharer's),
    /// any of the follower counts null.
    package static func loadLiang(_ path: String, warn: @escaping (String) -> Void = { _ in }) throws -> [Cascade] {
        try perLine(path, warn: warn, expected: "one JSON object a line with `times` and `followers`") { value, read, name, problems in
            let resharers = value["followers"]?.arrayValue?.map { $0.doubleValue.flatMap { $0 >= 0 ? $0 : nil } } ?? Array(repeating: nil, count: read.count)
            guard resharers.count == read.count else { return .failure(.init("\(resharers.count) followers for \(read.count) times")) }
            let rows = ordered(zip(read, resharers).map { ($0, $1) }, problems: problems)
            let author = value["author_followers"]?.doubleValue.flatMap { $0 >= 0 ? $0 : nil }
            return .success(Cascade(name: name, times: rows.map(\.time), followers: [author] + rows.map(\.followers)))
        }
    }

    /// What a line's reader says of a line it cannot take, for `perLine` to name.
    struct LineProblem: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }

    /// One cascade a JSON line: `cascade` makes it from the line and its `times` (read and
    /// checked first), or says what is wrong with the line, which is named and skipped.
    /// - Throws: `NoCascade` when no line gave one (`expected` says what a line holds).
    private static func perLine(_ path: String, warn: @escaping (String) -> Void, expected: String,
                                _ cascade: (_ value: JSONValue, _ times: [Double], _ name: String, _ problems: Problems) -> Swift.Result<Cascade, LineProblem>) throws -> [Cascade] {
        var problems = Problems(path, warn: warn)
        defer { problems.finish() }
        var cascades: [Cascade] = []
        for (number, value) in try jsonLines(path, problems: &problems) {
            let (read, problem) = times(value)
            guard let read else {
                problems.line(number, problem ?? "no `times` array")
                continue
            }
            switch cascade(value, read, value["id"]?.idString ?? "line \(number)", problems) {
            case .success(let made): cascades.append(made)
            case .failure(let wrong): problems.line(number, wrong.message)
            }
        }
        guard !cascades.isEmpty else { throw NoCascade(description: "\(path): no cascade in it (expected \(expected))") }
        return cascades
    }

    /// Rizoiu et al.'s SMH cascades: CSV `time,magnitude,user_id` (columns found by the
    /// header's names, in any order; by position without one), the post first, times in
    /// seconds after it, magnitude the account's followers.
    package static func loadSMH(_ path: String, warn: @escaping (String) -> Void = { _ in }) throws -> Cascade {
        var problems = Problems(path, warn: warn)
        defer { problems.finish() }
        var rows: [(time: Double, followers: Double?)] = []
        var timeColumn = 0, followersColumn = 1
        for (index, (number, line)) in try lines(path).enumerated() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            let names = fields.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\"' \t")).lowercased() }
            if index == 0, Self.number(fields[0]) == nil {
                timeColumn = names.firstIndex(of: "time") ?? 0
                followersColumn = names.firstIndex(of: "magnitude") ?? names.firstIndex(of: "followers") ?? 1
                continue
            }
            guard fields.count > max(timeColumn, followersColumn), let time = Self.number(fields[timeColumn]) else {
                problems.line(number, "expected a time in seconds and the followers, got \(SafeText.cut(String(line), 40))")
                continue
            }
            rows.append((time, Self.number(fields[followersColumn]).flatMap { $0 >= 0 ? $0 : nil }))
        }
        guard let post = rows.first else { throw NoCascade(description: "\(path): no cascade in it (expected `time,magnitude,user_id` rows, the post first)") }
        let reshares = ordered(rows.dropFirst().map { ($0.time - post.time, $0.followers) }, problems: problems)
        if reshares.contains(where: { $0.time < 0 }) { warn("\(path): reshares before the post (the first row); taken as at the post") }
        return Cascade(name: (path as NSString).lastPathComponent, times: reshares.map { max(0, $0.time) },
                       followers: [post.followers] + reshares.map(\.followers))
    }

    /// Twitter15/16 trees: `times` with the source first, no followers.
    package static func loadTwitter1516(_ path: String, warn: @escaping (String) -> Void = { _ in }) throws -> [Cascade] {
        try perLine(path, warn: warn, expected: "one JSON object a line with `times`") { _, read, name, _ in
            guard !read.isEmpty else { return .failure(.init("`times` is empty (the source post comes first)")) }
            return .success(Cascade(name: name, times: Array(read.dropFirst()).sorted(), followers: nil))
        }
    }
}
