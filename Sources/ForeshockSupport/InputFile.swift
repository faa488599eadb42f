import Foundation

/// Reads a file a person named (a recording, a payload, a config, a template): a regular file,
/// or a pipe or device such as `/dev/stdin`, which Foundation's `contents(atPath:)` refuses as
/// "permission denied". Bounded, so `/dev/zero` is an error, not all of memory.
package enum InputFile {
    /// - Parameters:
    ///   - atMost: the most bytes to take from a regular file; one that holds more is refused.
    ///   - streamsAtMost: the most to take from a pipe or a device, which may never end.
    /// - Throws: `SystemReason.FileProblem`: the system's reason ("no such file or directory"), or the bound passed.
    package static func read(_ path: String, atMost: Int, streamsAtMost: Int? = nil) throws(SystemReason.FileProblem) -> Data {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw SystemReason.FileProblem(SystemReason.describe(errno: errno))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw SystemReason.FileProblem(SystemReason.describe(errno: errno)) }
        if info.st_mode & S_IFMT == S_IFDIR { throw SystemReason.FileProblem("is a directory") }
        let regular = info.st_mode & S_IFMT == S_IFREG
        if regular, Int(info.st_size) > atMost { throw SystemReason.FileProblem("is larger than \(ByteSize.text(atMost))") }
        let limit = regular ? atMost : streamsAtMost ?? atMost
        var data = Data()
        if regular { data.reserveCapacity(Int(info.st_size)) }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw SystemReason.FileProblem(SystemReason.describe(errno: errno)) }
            if count == 0 { return data }
            data.append(contentsOf: buffer[..<count])
            if data.count > limit { throw SystemReason.FileProblem(regular ? "grew past \(ByteSize.text(limit)) while read" : "gave more than \(ByteSize.text(limit)) (a device that never ends?)") }
        }
    }
}
