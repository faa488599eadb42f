import Foundation

/// Appends to a file, creating it, and waits for the disk (fsync) before returning: what the
/// outbox journal, the dead letters and the file sink need so a crash loses nothing written.
package enum AppendOnlyFile {
    /// The file did not exist and could not be made (no such folder, no permission).
    package struct CannotCreate: Error, CustomStringConvertible {
        var path: String
        package var description: String { "cannot create \(path)" }
    }

    package static func append(_ data: Data, to path: String) throws {
        let handle = try open(path)
        defer { try? handle.close() }
        try handle.write(contentsOf: data)
        try handle.synchronize()
    }

    /// Opens `path` for appending, creating it: for writers that keep the file open (recordings).
    package static func open(_ path: String) throws -> FileHandle {
        if !FileManager.default.fileExists(atPath: path), !FileManager.default.createFile(atPath: path, contents: nil) {
            throw CannotCreate(path: path)
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        return handle
    }
}
