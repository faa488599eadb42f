/// Finds where JSON or JSON5 text goes wrong, because Foundation's decoder only says that it
/// does: after a failed decode, a line and column; after a good one, the keys an object gives
/// twice (the decoder keeps one of them without a word, and in a config that hides a mistake).
/// It builds no values.
package struct JSONSyntaxLocator {
    private let bytes: [UInt8]
    private let json5: Bool
    private var index = 0
    /// Where the scan is, as a config's key path (`sources[0].query`).
    private var path: [String] = []
    private var duplicates: [(path: String, line: Int)] = []

    /// The keys an object of valid JSON(5) text gives more than once: each later one's key path
    /// and line.
    package static func duplicateKeys(_ bytes: [UInt8], json5: Bool) -> [(path: String, line: Int)] {
        var locator = JSONSyntaxLocator(bytes: bytes, json5: json5)
        locator.skipSpace()
        // Text that is not valid stops the walk; the duplicates before it still count.
        try? locator.value(depth: 0)
        return locator.duplicates
    }

    private var keyPath: String {
        path.reduce("") { text, part in part.hasPrefix("[") || text.isEmpty ? text + part : text + "." + part }
    }

    private var line: Int { bytes[..<min(index, bytes.count)].reduce(1) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) } }

    /// The first syntax error as "line L, column C: what was expected", or nil if none found.
    static func locate(_ bytes: [UInt8], json5: Bool) -> String? {
        var locator = JSONSyntaxLocator(bytes: bytes, json5: json5)
        do {
            locator.skipSpace()
            try locator.value(depth: 0)
            locator.skipSpace()
            if let open = locator.openComment {
                locator.index = open
                throw locator.fail("a /* comment is never closed with */")
            }
            if locator.index < bytes.count { throw locator.fail("unexpected text after the end") }
            return nil
        } catch {
            return (error as? Failure)?.message
        }
    }

    private init(bytes: [UInt8], json5: Bool) {
        self.bytes = bytes
        self.json5 = json5
    }

    private struct Failure: Error { var message: String }

    private func fail(_ what: String) -> Failure {
        var line = 1, column = 1
        for byte in bytes[..<min(index, bytes.count)] {
            if byte == UInt8(ascii: "\n") { line += 1; column = 1 } else if byte & 0xC0 != 0x80 { column += 1 }
        }
        // A control byte or a stray byte of UTF-8 is written as its code: the line goes to a terminal.
        let found = index >= bytes.count ? "the end of the file"
            : bytes[index] >= 0x20 && bytes[index] < 0x7F ? "'\(String(decoding: [bytes[index]], as: UTF8.self))'"
            : String(format: "byte 0x%02x", bytes[index])
        return Failure(message: "line \(line), column \(column): \(what), found \(found)")
    }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }
    /// Where a `/*` that is never closed began: the rest of the file is its comment.
    private var openComment: Int?

    private mutating func skipSpace() {
        while let byte = current {
            if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || (json5 && (byte == 0x0B || byte == 0x0C)) {
                index += 1
            } else if json5, byte == UInt8(ascii: "/"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "/") {
                while let next = current, next != 0x0A { _ = next; index += 1 }
            } else if json5, byte == UInt8(ascii: "/"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "*") {
                let start = index
                index += 2
                while index + 1 < bytes.count, !(bytes[index] == UInt8(ascii: "*") && bytes[index + 1] == UInt8(ascii: "/")) { index += 1 }
                if index + 1 >= bytes.count { openComment = openComment ?? start }
                index += 2
            } else {
                return
            }
        }
    }

    private mutating func value(depth: Int) throws(Failure) {
        guard depth < 512 else { throw fail("nested too deeply") }
        guard let byte = current else { throw fail("expected a value") }
        switch byte {
        case UInt8(ascii: "{"): try container(close: UInt8(ascii: "}"), depth: depth, keyed: true)
        case UInt8(ascii: "["): try container(close: UInt8(ascii: "]"), depth: depth, keyed: false)
        case UInt8(ascii: "\""): try string()
        case UInt8(ascii: "'") where json5: try string()
        default:
            let start = index
            while let next = current, isWordByte(next) { index += 1 }
            let word = String(decoding: bytes[start..<index], as: UTF8.self)
            if ["true", "false", "null"].contains(word) { return }
            if json5, ["Infinity", "+Infinity", "-Infinity", "NaN", "+NaN", "-NaN"].contains(word) { return }
            if isNumber(word) { return }
            index = start
            throw fail("expected a value")
        }
    }

    private mutating func container(close: UInt8, depth: Int, keyed: Bool) throws(Failure) {
        index += 1
        skipSpace()
        if current == close { index += 1; return }
        var seen = Set<String>(), element = 0
        while true {
            if keyed {
                let name = try key()
                path.append(name)
                if !seen.insert(name).inserted { duplicates.append((keyPath, line)) }
                skipSpace()
                guard current == UInt8(ascii: ":") else { throw fail("expected ':' after a key") }
                index += 1
                skipSpace()
            } else {
                path.append("[\(element)]")
                element += 1
            }
            try value(depth: depth + 1)
            path.removeLast()
            skipSpace()
            if current == close { index += 1; return }
            guard current == UInt8(ascii: ",") else {
                throw fail(keyed ? "expected ',' or '}'" : "expected ',' or ']'")
            }
            index += 1
            skipSpace()
            if json5, current == close { index += 1; return }
        }
    }

    /// - Returns: the key's text, quotes off and escapes undone: `"m\u0061tchers"` is `matchers`
    ///   given again, which a reader keeping the last would take.
    private mutating func key() throws(Failure) -> String {
        let start = index
        if current == UInt8(ascii: "\"") || (json5 && current == UInt8(ascii: "'")) {
            try string()
            let raw = bytes[(start + 1)..<(index - 1)]
            guard raw.contains(UInt8(ascii: "\\")) else { return String(decoding: raw, as: UTF8.self) }
            return JSONParser.parse([UInt8(ascii: "\"")] + raw + [UInt8(ascii: "\"")])?.stringValue ?? String(decoding: raw, as: UTF8.self)
        }
        guard json5, let first = current, isIdentifierByte(first), !(0x30...0x39).contains(first) else {
            throw fail(json5 ? "expected a key" : "expected a key in double quotes")
        }
        while let next = current, isIdentifierByte(next) { index += 1 }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private mutating func string() throws(Failure) {
        let quote = bytes[index]
        index += 1
        while let byte = current {
            index += 1
            if byte == quote { return }
            if byte == UInt8(ascii: "\\") { index += 1; continue }
            if byte == 0x0A { index -= 1; throw fail("a string must end on the line it starts") }
            // JSON forbids them, and JSON5 allows them but Foundation's decoder (which reads
            // configs) does not: a tab too.
            if byte < 0x20 { index -= 1; throw fail("a control character in a string must be written as a \\u escape") }
        }
        throw fail("unterminated string")
    }

    private func isWordByte(_ byte: UInt8) -> Bool {
        isIdentifierByte(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
    }

    private func isIdentifierByte(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
            || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "$") || byte >= 0x80
    }

    private func isNumber(_ word: String) -> Bool {
        var text = Substring(word)
        if text.hasPrefix("-") || (json5 && text.hasPrefix("+")) { text = text.dropFirst() }
        if json5, text.lowercased().hasPrefix("0x") { return text.count > 2 && text.dropFirst(2).allSatisfy(\.isHexDigit) }
        // Double(_:) also reads "nan" and "inf", which no JSON number is: a digit first (or a
        // JSON5 leading point).
        guard let first = text.first, first.isASCII, first.isNumber || (json5 && first == ".") else { return false }
        return Double(String(text)) != nil
    }
}
