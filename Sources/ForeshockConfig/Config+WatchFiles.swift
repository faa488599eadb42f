import ForeshockSupport
import Foundation

extension Config {
    /// Files only a watch process uses, checked where one starts (check-config, watch and each
    /// reload), not by every command that reads the config: a source's CA bundle that cannot be
    /// read fails every poll of that source, and a metrics file with no directory to go in is
    /// never written; both were found only at first use, the one as a source down.
    /// - Parameters:
    ///   - origin: the file the config came from, for each problem's line.
    ///   - stateDir: the state directory the watch uses, which it makes at start: a metrics file
    ///     meant to go in it is fine before it exists.
    /// - Returns: a problem per file, at its key.
    package func watchFileProblems(origin: String, stateDir: String) -> [ConfigProblem] {
        let files = FileManager.default
        var problems: [ConfigProblem] = []
        for (index, source) in sources.enumerated() {
            guard let ca = source.caFile, !files.isReadableRegularFile(atPath: ca) else { continue }
            problems.append(ConfigProblem(origin: origin, path: "sources[\(index)].ca_file", message: "\(ca) is not a file it can read"))
        }
        if let metrics = metricsFile {
            switch files.placeProblem(ofFile: metrics) {
            case .isDirectory:
                problems.append(ConfigProblem(origin: origin, path: "metrics_file", message: "\(metrics) is a directory (give the file's path)"))
            case .noDirectory(let directory) where Self.absolute(directory) != Self.absolute(stateDir):
                problems.append(ConfigProblem(origin: origin, path: "metrics_file", message: "\(directory) is not a directory"))
            default:
                break
            }
        }
        return problems
    }

    private static func absolute(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.path }
}
