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
}
