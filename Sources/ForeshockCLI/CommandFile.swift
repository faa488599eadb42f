import Foundation

/// Input files named on the command line.
enum CommandFile {
    /// Reads a whole file.
    /// - Throws: `CommandError` with one line naming the command, the file and the system's reason.
    static func read(_ path: String, command: String) throws(CommandError) -> Data {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw CommandError(.runtime, "foreshock \(command): cannot read \(path): \((error as NSError).localizedDescription)")
        }
    }
}
