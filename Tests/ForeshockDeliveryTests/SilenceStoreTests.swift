import Foundation
import Testing
@testable import ForeshockSupport
@testable import ForeshockConfig
@testable import ForeshockCore
@testable import ForeshockDelivery
@testable import ForeshockTestSupport

@Suite("Silences kept in the state directory")
struct SilenceStoreTests {
    @Test("A reload while silences.json is broken keeps the silences read before in force, and the file where it is")
    func reloadKeepsSilences() throws {
        let state = try makeTemporaryDirectory().path
        let running = SilenceStore(configured: [], stateDir: state)
        let id = try running.add(SilenceConfig(matchers: [SilenceMatcher(.post, .equal, "mastodon:7")], until: Date().addingTimeInterval(3600), comment: "on it"))
        let file = state + "/silences.json"
        try (String(contentsOfFile: file, encoding: .utf8) + "garbage").write(toFile: file, atomically: false, encoding: .utf8)
        let reloaded = SilenceStore(configured: [], stateDir: state, replacing: running)
        #expect(reloaded.keptProblem?.contains("is not a silences file") == true && reloaded.startupProblem == nil)
        #expect(reloaded.list.map(\.id) == [id])
        #expect(reloaded.silencing(NotifierFixtures.note("7"), now: Date()) == "silence \(id) (on it)")
        #expect(FileManager.default.fileExists(atPath: file), "the file was moved aside")
        // At a start there is nothing to keep: the file goes aside, and the watch starts without it.
        let started = SilenceStore(configured: [], stateDir: state)
        #expect(started.startupProblem != nil && started.list.isEmpty && !FileManager.default.fileExists(atPath: file))
    }

    @Test("A silence is at most a year and a day, and a new one never takes the id of one the file holds but cannot read")
    func boundsAndIDs() throws {
        let state = try makeTemporaryDirectory().path
        let store = SilenceStore(configured: [], stateDir: state)
        let forever = SilenceConfig(matchers: [SilenceMatcher(.rule, .equal, "going-viral")], until: Date().addingTimeInterval(400 * 86400))
        #expect(throws: SilenceStore.Problem.self) { try store.add(forever) }
        // An entry written by hand with a time it cannot read is skipped, but its id stays taken.
        let file = #"{"silences":[{"id":"s4","matchers":["rule=going-viral"],"until":"11409972-10-17T00:00:00Z","created":"2026-12-06T00:00:00Z","expired":null,"comment":null}]}"#
        try file.write(toFile: state + "/silences.json", atomically: true, encoding: .utf8)
        let id = try store.add(SilenceConfig(matchers: [SilenceMatcher(.rule, .equal, "going-viral")], until: Date().addingTimeInterval(3600)))
        #expect(id == "s5")
    }
}
