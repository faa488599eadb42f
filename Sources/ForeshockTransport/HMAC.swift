import CCrypto
import Foundation

/// HMAC-SHA256 from the system's OpenSSL. It lives in `Transport/` because it is the only
/// other place C buffers are handed across (webhook signatures).
package enum HMAC {
    /// - Returns: the 32-byte HMAC-SHA256 of `message` under `key`.
    package static func sha256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        // An empty array has no base address; OpenSSL wants a pointer even for zero bytes.
        let keyBytes = key.isEmpty ? [0] : key, messageBytes = message.isEmpty ? [0] : message
        let ok = keyBytes.withUnsafeBufferPointer { k in
            messageBytes.withUnsafeBufferPointer { m in
                out.withUnsafeMutableBufferPointer { o in
                    ccrypto_hmac_sha256(k.baseAddress, key.count, m.baseAddress, message.count, o.baseAddress)
                }
            }
        }
        // Only an allocation failure inside OpenSSL can make this fail.
        precondition(ok == 1, "HMAC-SHA256 failed in libcrypto")
        return out
    }
}

/// SHA-256 and a comparison that takes the same time wherever two secrets differ, from the
/// system's OpenSSL.
package enum Digest {
    /// - Returns: the 32-byte SHA-256 of `message`.
    package static func sha256(_ message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        let bytes = message.isEmpty ? [0] : message
        bytes.withUnsafeBufferPointer { m in out.withUnsafeMutableBufferPointer { o in ccrypto_sha256(m.baseAddress, message.count, o.baseAddress) } }
        return out
    }

    /// `bytes` as lower-case hexadecimal, two digits each: how a digest is written in an id.
    package static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    /// Whether `given` is `expected`, comparing every byte whatever the first that differs
    /// (the lengths may differ in time: a token's length is not its secret).
    package static func constantTimeEqual(_ given: [UInt8], _ expected: [UInt8]) -> Bool {
        guard given.count == expected.count, !expected.isEmpty else { return false }
        return given.withUnsafeBytes { a in expected.withUnsafeBytes { b in ccrypto_equal(a.baseAddress, b.baseAddress, expected.count) == 1 } }
    }
}
