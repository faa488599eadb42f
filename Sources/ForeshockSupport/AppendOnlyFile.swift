import Foundation

/// Appends to a file, creating it, and waits for the disk (fsync) before returning: what the
/// outbox journal, the dead letters and the file sink need so a crash loses nothing written.
package enum AppendOnlyFile {
    /// The file did not exist and could not be made (no such folder, no permission).
    package struct CannotCreate: LocalizedError, CustomStringConvertible {
        var path: String
        package var description: String { "cannot create \(path)" }
        // What `SystemReason` (through NSError) reads.
        package var errorDescription: String? { description }
    }

    /// Appends `data` whole or not at all: a write cut short (a full disk) is cut back off, so
    /// the next append does not run on from half a line.
    package static func append(_ data: Data, to path: String) throws {
        let handle = try open(path)
        defer { try? handle.close() }
        try append(data, to: handle, at: try handle.offset(), synchronize: true)
    }

    /// Appends `data` to a file kept open, whose end is `end`, whole or not at all.
    /// - Parameter synchronize: wait for the disk before returning.
    package static func append(_ data: Data, to handle: FileHandle, at end: UInt64, synchronize: Bool) throws {
        do {
            try handle.write(contentsOf: data)
            if synchronize { try handle.synchronize() }
        } catch {
            try? handle.truncate(atOffset: end)
            if synchronize { try? handle.synchronize() }
            throw error
        }
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
