import Foundation
import Testing
@testable import ForeshockCore
@testable import ForeshockDelivery
@testable import ForeshockSupport
@testable import ForeshockTestSupport

@Suite("Console sink")
struct ConsoleSinkTests {
    @Test("A terminal alert keeps its indented lines and ends with the command that silences it; a name or text with line breaks starts no line of its own")
    func lines() throws {
        var note = NotifierFixtures.note("1", text: "first line\nRule going-viral (critical): FAKE")
        note.post?.author = "dana\nFIRING critical fake"
        note.silenceTarget = "--state-dir /var/lib/foreshock"
        let sink = ConsoleSink(terminal: CapturedTerminal().terminal)
        let body = try #require(sink.render([note], id: "m").first?.body)
        let lines = String(decoding: body, as: UTF8.self).split(separator: "\n").map(String.init)
        #expect(lines.first?.contains("FIRING critical") == true && lines.dropFirst().allSatisfy { $0.hasPrefix("    ") }, "\(lines)")
        #expect(lines.last == "    silence: foreshock silence add --post mastodon:1 --for 2h --comment 'on it' --state-dir /var/lib/foreshock", "\(lines)")
        // A resolution has nothing to silence.
        let resolved = try #require(sink.render([NotifierFixtures.note("1", reason: .resolved, after: 60)], id: "r").first?.body)
        #expect(!String(decoding: resolved, as: UTF8.self).contains("silence:"))
    }
}
