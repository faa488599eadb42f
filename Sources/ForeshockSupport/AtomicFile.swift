import Foundation

/// Replaces a file as a whole or not at all (temp file, fsync, rename), and moves a corrupt one
/// aside so the process can start fresh without destroying what a person may want to look at.
package enum AtomicFile {
    /// Writes `data` to `path` so a crash leaves the old contents or the new, never half.
    /// - Throws: when the temporary file cannot be written or renamed, or when `path` is there
    ///   and is not a regular file: renamed over, a directory's name or a device (`/dev/full`,
    ///   as root) would be replaced by the file.
    package static func write(_ data: Data, to path: String) throws {
        var info = stat()
        if stat(path, &info) == 0, info.st_mode & S_IFMT != S_IFREG {
            throw SystemReason.FileProblem(info.st_mode & S_IFMT == S_IFDIR ? "is a directory" : "is not a regular file (a device, a pipe or a socket)")
        }
        let temporary = path + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: nil) else {
            throw AppendOnlyFile.CannotCreate(path: temporary)
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
        do {
            try handle.write(contentsOf: data)
            try handle.synchronize()
            try handle.close()
        } catch {
            try? handle.close()
            throw error
        }
        // rename(2) within one directory is atomic.
        guard rename(temporary, path) == 0 else {
            let reason = SystemReason.describe(errno: errno)
            unlink(temporary)
            throw SystemReason.FileProblem(reason)
        }
    }

    /// Copies a damaged file next to itself (`<path>.damaged-<time>`) before it is rewritten.
    /// - Returns: the copy's path, or nil when it could not be made.
    package static func copyAside(_ path: String, now: Date = Date()) -> String? {
        let stamp = Timestamp.format(now).replacingOccurrences(of: ":", with: "")
        let target = "\(path).damaged-\(stamp)"
        return (try? FileManager.default.copyItem(atPath: path, toPath: target)) != nil ? target : nil
    }

    /// Renames a file that cannot be read to `<path>.corrupt-<UTC time>`.
    /// - Returns: the new path, or nil when it could not be moved.
    @discardableResult
    package static func moveAside(_ path: String, now: Date = Date()) -> String? {
        let stamp = Timestamp.format(now).replacingOccurrences(of: ":", with: "")
        let target = "\(path).corrupt-\(stamp)"
        return rename(path, target) == 0 ? target : nil
    }
}
