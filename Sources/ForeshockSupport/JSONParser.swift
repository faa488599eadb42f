import Foundation

/// A strict JSON (RFC 8259) parser straight into `JSONValue`. Foundation's decoder, asked for a
/// value of unknown shape, tries each type in turn and throws on every miss; reading API bodies
/// and recordings line after line needs something an order of magnitude cheaper.
///
/// Inlinable, as swift-nio's hot paths are: replay reads a recording line by line through
/// `members` from another target, and across the target boundary its closures were called
/// unspecialized (replay measured 12–16% slower until it could be inlined where it is used).
@usableFromInline
package struct JSONParser {
    /// The text, a slice of a larger buffer when reading one line of a file (indices are the
    /// buffer's).
    @usableFromInline let bytes: ArraySlice<UInt8>
    @usableFromInline var index: Int
    @usableFromInline var depth = 0
    /// Whole numbers of more than 15 digits as their text (`.string`), which a Double would
    /// round: ids that APIs write as numbers (snowflakes run past 2⁵³), where two posts must
    /// not become one. `doubleValue` still reads them as numbers.
    @usableFromInline var exactIntegers = false
    @usableFromInline static let maxDepth = 512

    @usableFromInline struct Failure: Error { @usableFromInline init() {} }

    @inlinable init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        index = bytes.startIndex
    }

    /// - Returns: the value, or nil when the text is not exactly one JSON value.
    @inlinable static func parse(_ bytes: [UInt8], exactIntegers: Bool = false) -> JSONValue? {
        var parser = JSONParser(bytes[...])
        parser.exactIntegers = exactIntegers
        guard let value = try? parser.value() else { return nil }
        parser.skipSpace()
        return parser.index == bytes.endIndex ? value : nil
    }

    /// Reads a text that is one JSON object, keeping the members `slot` gives a place to (a
    /// name that comes twice keeps its last value, as `parse` does) and checking and passing
    /// over the others, without building the object: a recording line has a dozen names, and
    /// hashing each into a dictionary was most of what reading one cost.
    /// - Parameters:
    ///   - slot: the place for a member's name (its UTF-8 bytes), nil to pass it over.
    ///   - keep: receives each member kept, with its place.
    /// - Returns: false when the text is not exactly one JSON object or a name has an escape;
    ///   `parse` then tells what is wrong with it.
    @inlinable package static func members(_ bytes: ArraySlice<UInt8>, slot: (ArraySlice<UInt8>) -> Int?, keep: (Int, JSONValue) -> Void) -> Bool {
        var parser = JSONParser(bytes)
        do throws(Failure) {
            parser.skipSpace()
            guard parser.index < bytes.endIndex, bytes[parser.index] == UInt8(ascii: "{") else { return false }
            parser.index += 1
            parser.depth = 1
            parser.skipSpace()
            if parser.index < bytes.endIndex, bytes[parser.index] == UInt8(ascii: "}") {
                parser.index += 1
            } else {
                while true {
                    parser.skipSpace()
                    guard parser.index < bytes.endIndex, bytes[parser.index] == UInt8(ascii: "\"") else { return false }
                    let nameStart = parser.index + 1
                    var nameEnd = nameStart
                    while nameEnd < bytes.endIndex, bytes[nameEnd] != UInt8(ascii: "\""), bytes[nameEnd] != UInt8(ascii: "\\"), bytes[nameEnd] >= 0x20 { nameEnd += 1 }
                    guard nameEnd < bytes.endIndex, bytes[nameEnd] == UInt8(ascii: "\"") else { return false }
                    parser.index = nameEnd + 1
                    parser.skipSpace()
                    guard parser.index < bytes.endIndex, bytes[parser.index] == UInt8(ascii: ":") else { return false }
                    parser.index += 1
                    let value = try parser.value()
                    if let place = slot(bytes[nameStart..<nameEnd]) { keep(place, value) }
                    parser.skipSpace()
                    guard parser.index < bytes.endIndex else { return false }
                    if bytes[parser.index] == UInt8(ascii: ",") { parser.index += 1; continue }
                    if bytes[parser.index] == UInt8(ascii: "}") { parser.index += 1; break }
                    return false
                }
            }
            parser.skipSpace()
            return parser.index == bytes.endIndex
        } catch {
            return false
        }
    }

    @inlinable mutating func skipSpace() {
        while index < bytes.endIndex, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 { index += 1 }
    }

    @inlinable mutating func value() throws(Failure) -> JSONValue {
        skipSpace()
        guard index < bytes.endIndex else { throw Failure() }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal(Self.trueBytes); return .bool(true)
        case UInt8(ascii: "f"): try literal(Self.falseBytes); return .bool(false)
        case UInt8(ascii: "n"): try literal(Self.nullBytes); return .null
        default:
            let start = index
            let number = try number()
            if exactIntegers, index - start > 15, !bytes[start..<index].contains(where: { $0 == UInt8(ascii: ".") || $0 | 0x20 == UInt8(ascii: "e") }) {
                return .string(String(decoding: bytes[start..<index], as: UTF8.self))
            }
            return .number(number)
        }
    }

    @usableFromInline static let trueBytes = Array("true".utf8), falseBytes = Array("false".utf8), nullBytes = Array("null".utf8)

    @inlinable mutating func literal(_ expected: [UInt8]) throws(Failure) {
        guard index + expected.count <= bytes.endIndex, bytes[index..<(index + expected.count)].elementsEqual(expected) else { throw Failure() }
        index += expected.count
    }

    @inlinable mutating func object() throws(Failure) -> JSONValue {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maxDepth else { throw Failure() }
        index += 1
        var object: [String: JSONValue] = [:]
        skipSpace()
        if index < bytes.endIndex, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(object) }
        while true {
            skipSpace()
            guard index < bytes.endIndex, bytes[index] == UInt8(ascii: "\"") else { throw Failure() }
            let key = try string()
            skipSpace()
            guard index < bytes.endIndex, bytes[index] == UInt8(ascii: ":") else { throw Failure() }
            index += 1
            object[key] = try value()
            skipSpace()
            guard index < bytes.endIndex else { throw Failure() }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(object) }
            throw Failure()
        }
    }

    @inlinable mutating func array() throws(Failure) -> JSONValue {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maxDepth else { throw Failure() }
        index += 1
        var array: [JSONValue] = []
        skipSpace()
        if index < bytes.endIndex, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(array) }
        while true {
            array.append(try value())
            skipSpace()
            guard index < bytes.endIndex else { throw Failure() }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(array) }
            throw Failure()
        }
    }

    @inlinable mutating func string() throws(Failure) -> String {
        index += 1
        let start = index
        // Fast path: no escapes.
        while index < bytes.endIndex, bytes[index] != UInt8(ascii: "\""), bytes[index] != UInt8(ascii: "\\") {
            guard bytes[index] >= 0x20 else { throw Failure() }
            index += 1
        }
        guard index < bytes.endIndex else { throw Failure() }
        if bytes[index] == UInt8(ascii: "\"") {
            index += 1
            return String(decoding: bytes[start..<(index - 1)], as: UTF8.self)
        }
        var out = Array(bytes[start..<index])
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return String(decoding: out, as: UTF8.self)
            }
            guard byte >= 0x20 else { throw Failure() }
            if byte != UInt8(ascii: "\\") {
                out.append(byte)
                index += 1
                continue
            }
            index += 1
            guard index < bytes.endIndex else { throw Failure() }
            let escape = bytes[index]
            index += 1
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800..<0xDC00).contains(scalar), index + 1 < bytes.endIndex, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
                    index += 2
                    let low = try hex4()
                    if (0xDC00..<0xE000).contains(low) {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else {
                        out.append(contentsOf: Array("\u{FFFD}".utf8))
                        scalar = low
                    }
                }
                let character = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                out.append(contentsOf: Array(String(Character(character)).utf8))
            default:
                throw Failure()
            }
        }
        throw Failure()
    }

    @inlinable mutating func hex4() throws(Failure) -> UInt32 {
        guard index + 4 <= bytes.endIndex else { throw Failure() }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case 0x30...0x39: digit = byte - 0x30
            case 0x41...0x46: digit = byte - 0x37
            case 0x61...0x66: digit = byte - 0x57
            default: throw Failure()
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    @inlinable mutating func number() throws(Failure) -> Double {
        let start = index
        if index < bytes.endIndex, bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.endIndex, (0x30...0x39).contains(bytes[index]) else { throw Failure() }
        if bytes[index] == 0x30 {
            index += 1
        } else {
            while index < bytes.endIndex, (0x30...0x39).contains(bytes[index]) { index += 1 }
        }
        var integral = true
        if index < bytes.endIndex, bytes[index] == UInt8(ascii: ".") {
            integral = false
            index += 1
            guard index < bytes.endIndex, (0x30...0x39).contains(bytes[index]) else { throw Failure() }
            while index < bytes.endIndex, (0x30...0x39).contains(bytes[index]) { index += 1 }
        }
        if index < bytes.endIndex, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            integral = false
            index += 1
            if index < bytes.endIndex, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.endIndex, (0x30...0x39).contains(bytes[index]) else { throw Failure() }
            while index < bytes.endIndex, (0x30...0x39).contains(bytes[index]) { index += 1 }
        }
        if integral, index - start <= 15 {
            var value = 0.0, position = start, negative = false
            if bytes[position] == UInt8(ascii: "-") { negative = true; position += 1 }
            while position < index { value = value * 10 + Double(bytes[position] - 0x30); position += 1 }
            return negative ? -value : value
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        guard let value = Double(text) else { throw Failure() }
        return value
    }
}
