import Foundation
import Testing
@testable import ForeshockTestSupport

/// The targets' arrows run one way, feed → observation → scoring → rules → outbox → sink, and
/// the C libraries stay in the transport. The compiler refuses a dependency `Package.swift` does
/// not declare only where it checks explicitly, so this reads every source file's imports.
@Suite("Package layout: one target per stage, imports run one way")
struct PackageLayoutTests {
    /// The targets in pipeline order: each may import only those before it.
    static let order = ["ForeshockSupport", "ForeshockTransport", "ForeshockConfig", "ForeshockFeeds", "ForeshockCore",
                        "ForeshockDelivery", "ForeshockService", "ForeshockCLI"]
    /// The C modules and the one target each may be imported from.
    static let cModules = ["CCurl": "ForeshockTransport", "CCrypto": "ForeshockTransport", "CMicroHTTPD": "ForeshockTransport", "CSystem": "ForeshockSupport"]

    /// Every `import` of every Swift file under `Sources/<target>`.
    static func imports(of target: String) throws -> [(file: String, module: String)] {
        let root = repositoryRoot.appendingPathComponent("Sources/\(target)")
        guard let files = FileManager.default.enumerator(atPath: root.path) else { throw FixtureError(message: "no \(root.path)") }
        var found: [(String, String)] = []
        for case let file as String in files where file.hasSuffix(".swift") {
            let text = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
            for line in text.split(separator: "\n") {
                let words = line.split(separator: " ")
                guard let index = words.firstIndex(of: "import"), index + 1 < words.count,
                      words[..<index].allSatisfy({ $0.hasPrefix("@") }) else { continue }
                found.append(("\(target)/\(file)", String(words[index + 1])))
            }
        }
        return found
    }

    @Test("no target imports one that comes after it in the pipeline, and only the transport imports libcurl and libcrypto")
    func importsRunOneWay() throws {
        var seen = 0
        for (position, target) in Self.order.enumerated() {
            for (file, module) in try Self.imports(of: target) {
                seen += 1
                if let allowed = Self.cModules[module] {
                    #expect(target == allowed, "\(file) imports \(module), which only \(allowed) may")
                } else if let other = Self.order.firstIndex(of: module) {
                    #expect(other < position, "\(file) imports \(module), which comes after \(target) in the pipeline")
                }
            }
        }
        #expect(seen > 100, "read only \(seen) imports: the sources are not where this test looks")
    }

    @Test("Package.swift declares each target's dependencies only on the targets before it")
    func manifestRunsOneWay() throws {
        let manifest = try String(contentsOf: repositoryRoot.appendingPathComponent("Package.swift"), encoding: .utf8)
        var checked = 0
        // `.target(name: "X", dependencies: [ … ]` up to the closing bracket, across lines.
        for chunk in manifest.components(separatedBy: ".target(name: \"").dropFirst() {
            let name = String(chunk.prefix { $0 != "\"" })
            guard let position = Self.order.firstIndex(of: name), let open = chunk.range(of: "dependencies: ["),
                  let close = chunk[open.upperBound...].firstIndex(of: "]") else { continue }
            let dependencies = chunk[open.upperBound..<close].split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " \n\"")) }
            for dependency in dependencies {
                if let allowed = Self.cModules[dependency] {
                    #expect(name == allowed, "Package.swift lets \(name) depend on \(dependency)")
                } else if let other = Self.order.firstIndex(of: dependency) {
                    #expect(other < position, "Package.swift lets \(name) depend on \(dependency), which comes after it")
                }
            }
            checked += 1
        }
        #expect(checked == Self.order.count, "found \(checked) of the \(Self.order.count) pipeline targets in Package.swift")
    }
}
