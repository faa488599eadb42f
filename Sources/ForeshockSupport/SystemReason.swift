import Foundation

/// Why a file operation failed, as the few words that end a sentence: "no such file or
/// directory", "is a directory", "permission denied".
///
/// Foundation's `localizedDescription` on Linux says "The operation could not be completed.
/// (NSCocoaErrorDomain error 256.)" for a directory, and ends in a full stop that doubles the
/// sentence's own; the POSIX error underneath says what happened.
package enum SystemReason {
    /// A file that was not read or written, and why, in the words that end a sentence ("is a
    /// directory"): what `of(_:)` gives back for it.
    package struct FileProblem: LocalizedError, CustomStringConvertible {
        package var description: String
        package var errorDescription: String? { description }
        package init(_ description: String) { self.description = description }
    }

    package static func of(_ error: any Error) -> String {
        // A file of the wrong shape: which key, not "the data isn't in the correct format".
        if let decoding = error as? DecodingError { return describe(decoding) }
        let error = error as NSError
        // On Linux the underlying error is a `POSIXError`, which does not cast to `NSError`.
        if let posix = error.userInfo[NSUnderlyingErrorKey] as? POSIXError {
            return describe(errno: posix.code.rawValue)
        }
        if let underlying = error.userInfo[NSUnderlyingErrorKey] as? any Error, (underlying as NSError).domain == NSPOSIXErrorDomain {
            return describe(errno: Int32((underlying as NSError).code))
        }
        if error.domain == NSPOSIXErrorDomain { return describe(errno: Int32(error.code)) }
        var text = error.localizedDescription
        while text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// A decoding error as where in the file and what: `"alerts" is not an array`.
    /// - Parameter snakeCase: the file's keys are the coding keys in snake_case (decoded with
    ///   `.convertFromSnakeCase`), as it should name them.
    package static func describe(_ error: DecodingError, snakeCase: Bool = false) -> String {
        func name(_ key: String) -> String {
            snakeCase ? key.reduce(into: "") { out, character in out += character.isUppercase ? "_" + character.lowercased() : String(character) } : key
        }
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? "." + name($0.stringValue) }.joined().drop { $0 == "." }.description
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "no \"\(path(context.codingPath + [key]))\""
        case .typeMismatch(let type, let context):
            return context.codingPath.isEmpty ? "it is not \(kind(type))" : "\"\(path(context.codingPath))\" is not \(kind(type))"
        case .valueNotFound(let type, let context):
            return context.codingPath.isEmpty ? "it is null" : "\"\(path(context.codingPath))\" is null, not \(kind(type))"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "it is not JSON" : "\"\(path(context.codingPath))\" cannot be read"
        @unknown default:
            return "it is not in the expected shape"
        }
    }

    private static func kind(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        case is Int.Type, is Int32.Type, is Int64.Type, is Double.Type: return "a number"
        default:
            let name = "\(type)"
            return name.hasPrefix("Array") ? "an array" : name.hasPrefix("Dictionary") ? "an object" : "an object (\(name))"
        }
    }

    /// `strerror`'s text, lower-cased as the middle of a sentence.
    package static func describe(errno code: Int32) -> String {
        let text = String(cString: strerror(code))
        return text.prefix(1).lowercased() + text.dropFirst()
    }
}
