import Foundation
import Synchronization

/// Appends observations to a recording (`watch --record FILE`), one JSON line each, so that
/// `replay` can later show what other thresholds would have done with the same traffic.
public final class RecordingFile: Sendable {
    private let handle: Mutex<FileHandle>

    /// Opens (or creates) the file for appending.
    /// - Throws: when it cannot be opened, with the system's reason.
    public init(path: String) throws {
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
            }
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        self.handle = Mutex(handle)
    }

    public func append(_ observations: [Observation]) {
        guard !observations.isEmpty else { return }
        let text = observations.map(RecordingWriter.line).joined(separator: "\n") + "\n"
        handle.withLock { try? $0.write(contentsOf: Data(text.utf8)) }
    }

    public func close() {
        handle.withLock { try? $0.close() }
    }
}
