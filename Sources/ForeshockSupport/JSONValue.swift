import Foundation

/// Any JSON value, decoded without a fixed shape so that configs and API payloads can be
/// walked with paths and checked key by key.
@usableFromInline
package enum JSONValue: Sendable, Equatable, Decodable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    @usableFromInline package init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else {
            // A nested value that cannot be read comes up through the containers as it is, so
            // the error names where it is rather than "expected an object" at the top.
            do { self = .array(try container.decode([JSONValue].self)); return } catch let error as UnreadableValue { throw error } catch {}
            do { self = .object(try container.decode([String: JSONValue].self)); return } catch let error as UnreadableValue { throw error } catch {}
            throw UnreadableValue(path: decoder.codingPath)
        }
    }

    /// A value JSON5 allows but Foundation's decoder cannot read: a number a `Double` cannot
    /// hold (`1e400`), or a string with a raw control character or an unpaired surrogate
    /// escape (JSON5 allows both in strings; the decoder does not).
    struct UnreadableValue: Error {
        let path: [any CodingKey]

        var reason: String {
            let where_ = path.map { key in key.intValue.map { "[\($0)]" } ?? ".\(key.stringValue)" }.joined()
            let at = where_.hasPrefix(".") ? String(where_.dropFirst()) : where_
            return "the value\(at.isEmpty ? "" : " at \(at)") cannot be read (a number beyond ±1.8e308, or an unpaired \\uD800–\\uDFFF escape?)"
        }
    }

    /// Decodes JSON, or JSON5 when `json5` is true (comments, trailing commas, unquoted keys).
    /// - Throws: `JSONSyntaxError` with a one-line reason.
    package static func parse(_ data: Data, json5: Bool = false) throws(JSONSyntaxError) -> JSONValue {
        if !json5 { return try parse(bytes: [UInt8](data)) }
        let decoder = JSONDecoder()
        decoder.allowsJSON5 = json5
        do {
            return try decoder.decode(JSONValue.self, from: data)
        } catch let error as UnreadableValue {
            // JSON5 allows a raw control byte in a string; the decoder does not. The locator
            // names it by its code and place (never itself: the reason goes to a terminal).
            throw JSONSyntaxError(reason: JSONSyntaxLocator.locate([UInt8](data), json5: json5) ?? error.reason)
        } catch DecodingError.dataCorrupted {
            let located = JSONSyntaxLocator.locate([UInt8](data), json5: json5)
            throw JSONSyntaxError(reason: located ?? "the text could not be read as \(json5 ? "JSON5" : "JSON")")
        } catch {
            throw JSONSyntaxError(reason: "\(error)")
        }
    }

    /// Decodes strict JSON from UTF-8 bytes.
    /// - Throws: `JSONSyntaxError` with a one-line reason.
    /// - Parameter exactIntegers: whole numbers of more than 15 digits as their text, as ids
    ///   need them (see `JSONParser.exactIntegers`).
    package static func parse(bytes: [UInt8], exactIntegers: Bool = false) throws(JSONSyntaxError) -> JSONValue {
        // A UTF-8 byte order mark, which RFC 8259 lets a reader ignore (Windows tools write one).
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { return try parse(bytes: Array(bytes.dropFirst(3)), exactIntegers: exactIntegers) }
        if let value = JSONParser.parse(bytes, exactIntegers: exactIntegers) { return value }
        throw JSONSyntaxError(reason: JSONSyntaxLocator.locate(bytes, json5: false) ?? "the text could not be read as JSON")
    }

    /// The value at a dotted path (`data.children`, `user.public_metrics.followers_count`);
    /// numeric segments index arrays.
    package subscript(path path: String) -> JSONValue? {
        var current: JSONValue? = self
        for segment in path.split(separator: ".", omittingEmptySubsequences: true) {
            switch current {
            case .object(let object): current = object[String(segment)]
            case .array(let array):
                guard let index = Int(segment), array.indices.contains(index) else { return nil }
                current = array[index]
            default: return nil
            }
        }
        return current
    }

    package subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    package var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// A number, or a string holding one (APIs send counts both ways).
    package var doubleValue: Double? {
        switch self {
        case .number(let value): return value
        // A count sent as a string is read as decimal digits (with a sign, a point, an
        // exponent), as a person would: `Double` alone also takes "0x10", "inf" and "nan".
        case .string(let value):
            guard let first = value.utf8.first, first == UInt8(ascii: "-") || (48...57).contains(first),
                  value.utf8.allSatisfy({ (48...57).contains($0) || "+-.eE".utf8.contains($0) }),
                  let number = Double(value), number.isFinite else { return nil }
            return number
        default: return nil
        }
    }

    package var intValue: Int? {
        guard let value = doubleValue, value.isFinite, value.rounded() == value, abs(value) < 9e15 else { return nil }
        return Int(value)
    }

    package var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    package var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    package var objectValue: [String: JSONValue]? {
        if case .object(let value) = self { return value }
        return nil
    }

    package var isNull: Bool { self == .null }

    /// What a person would call this kind of value, for error messages.
    package var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

/// Text that is not valid JSON (or JSON5).
package struct JSONSyntaxError: Error, Sendable, CustomStringConvertible {
    package var reason: String
    package var description: String { "not valid JSON: \(reason)" }
}

extension JSONValue {
    /// Compact JSON text; object keys sorted, so the same value always writes the same bytes.
    package var jsonText: String {
        switch self {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .number(let number): return JSONText.number(number)
        case .string(let text): return JSONText.quote(text)
        case .array(let items): return "[" + items.map(\.jsonText).joined(separator: ",") + "]"
        case .object(let object):
            return "{" + object.keys.sorted().map { JSONText.quote($0) + ":" + object[$0]!.jsonText }.joined(separator: ",") + "}"
        }
    }
}
