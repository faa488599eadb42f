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
