import Foundation

package extension FileManager {
    /// Whether `path` is a directory (through links): true or false for what is there, nil
    /// when nothing is. One spelling of `fileExists(atPath:isDirectory:)`'s ObjCBool dance.
    func isDirectory(atPath path: String) -> Bool? {
        var isDirectory: ObjCBool = false
        return fileExists(atPath: path, isDirectory: &isDirectory) ? isDirectory.boolValue : nil
    }

    /// Whether `path` is a file this process can read: not missing, not a directory (which
    /// `isReadableFile` says yes to), as a CA bundle must be.
    func isReadableRegularFile(atPath path: String) -> Bool {
        isReadableFile(atPath: path) && isDirectory(atPath: path) == false
    }

    /// What stands in the way of writing a file at `path` later, if anything: `path` is a
    /// directory, or the directory it would go in is not one (nil: its place is fine).
    func placeProblem(ofFile path: String) -> FilePlaceProblem? {
        if isDirectory(atPath: path) == true { return .isDirectory }
        let directory = (path as NSString).deletingLastPathComponent
        return !directory.isEmpty && isDirectory(atPath: directory) != true ? .noDirectory(directory) : nil
    }
}

/// Why a file cannot go where it is meant to (`FileManager.placeProblem(ofFile:)`).
package enum FilePlaceProblem: Equatable {
    case isDirectory
    /// The directory it would go in, which is missing or not a directory.
    case noDirectory(String)
}
