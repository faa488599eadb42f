import ForeshockSupport
import Foundation

/// Files named on the command line: inputs, and the reports commands write.
enum CommandFile {
    /// Writes a report (whole or not at all) and says on stderr where, and how large.
    /// - Throws: `CommandError` with one line naming the command, the file and the system's reason.
    static func writeReport(_ html: String, to path: String, command: String, terminal: Terminal) throws(CommandError) {
        do {
            try AtomicFile.write(Data(html.utf8), to: path)
        } catch {
            throw CommandError(.runtime, "foreshock \(command): cannot write the report to \(path): \(SystemReason.of(error))")
        }
        terminal.printError("\(command): report written to \(path) (\(html.utf8.count / 1024) KB)")
    }

    /// Checks, before any work, that a report can go where `--report` says: a run of minutes
    /// must not end in "cannot write".
    /// - Throws: `CommandError` (usage) naming the option and what is wrong with the place.
    static func checkReportPlace(_ path: String?, command: String) throws(CommandError) {
        guard let path else { return }
        switch FileManager.default.placeProblem(ofFile: path) {
        case .isDirectory?:
            throw CommandError(.usage, "foreshock \(command): --report \(SafeText.terminal(path)) is a directory; name the file to write.")
        case .noDirectory(let directory)?:
            throw CommandError(.usage, "foreshock \(command): --report \(SafeText.terminal(path)): the directory \(SafeText.terminal(directory)) does not exist.")
        case nil:
            return
        }
    }

    /// Whether two paths name one file (by device and inode, through links).
    static func same(_ a: String, _ b: String) -> Bool {
        var first = stat(), second = stat()
        return stat(a, &first) == 0 && stat(b, &second) == 0 && first.st_dev == second.st_dev && first.st_ino == second.st_ino
    }

    /// Reads a whole file, or a pipe (`/dev/stdin`), up to `atMost` bytes (1 GB of a pipe: a
    /// device that never ends must not take all of a small machine's memory first).
    /// - Throws: `CommandError` with one line naming the command, the file and the system's reason.
    static func read(_ path: String, command: String, atMost: Int = .max) throws(CommandError) -> Data {
        do {
            return try InputFile.read(path, atMost: atMost, streamsAtMost: min(atMost, 1 << 30))
        } catch {
            throw CommandError(.runtime, "foreshock \(command): cannot read \(path): \(error.description)")
        }
    }
}
