import Foundation

/// Why a file operation failed, as the few words that end a sentence: "no such file or
/// directory", "is a directory", "permission denied".
///
/// Foundation's `localizedDescription` on Linux says "The operation could not be completed.
/// (NSCocoaErrorDomain error 256.)" for a directory, and ends in a full stop that doubles the
/// sentence's own; the POSIX error underneath says what happened.
package enum SystemReason {
    package static func of(_ error: any Error) -> String {
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

    /// `strerror`'s text, lower-cased as the middle of a sentence.
    package static func describe(errno code: Int32) -> String {
        let text = String(cString: strerror(code))
        return text.prefix(1).lowercased() + text.dropFirst()
    }
}
