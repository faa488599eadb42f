import Foundation

/// Paths of the watch's web server, as links and clients write them.
package enum WebPath {
    /// A path segment: every byte but the unreserved ones percent-encoded (a post id may hold
    /// `/`, `?`, `#` or anything else; the server decodes it back).
    package static func segment(_ text: String) -> String {
        // `.` and `..` alone are dot-segments, which browsers resolve away before asking.
        if text == "." || text == ".." { return String(repeating: "%2E", count: text.count) }
        return text.utf8.map { byte in
            let scalar = Unicode.Scalar(byte)
            let plain = (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || "-._~:@".unicodeScalars.contains(scalar)
            return plain ? String(Character(scalar)) : String(format: "%%%02X", byte)
        }.joined()
    }

    /// A post's page, `/posts/{source}/{id}`, as notifications, the live page and the API link it.
    package static func post(source: String, id: String) -> String {
        "/posts/" + segment(source) + "/" + segment(id)
    }
}
