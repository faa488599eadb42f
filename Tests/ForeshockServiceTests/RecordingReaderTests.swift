import Foundation
import Testing
@testable import ForeshockCore
@testable import ForeshockSupport
@testable import ForeshockService

@Suite("Reading recording lines")
struct RecordingReaderTests {
    /// Lines as `watch --record` writes them, and lines written by hand or by other tools.
    static let lines = [
        #"{"type":"post","time":"2023-11-14T22:13:20Z","created_at":"2023-11-14T22:10:00Z","source":"m","id":"1","author":"dana","followers":2290,"text":"worst airline","url":"https://x/1"}"#,
        #"{"type":"reshare","time":1700000000.5,"source":"m","post":"1","user":null,"followers":91}"#,
        #"{"type":"counts","time":1700000060,"post":"1","reshares":12,"replies":3,"likes":40,"quotes":1}"#,
        #"{"type":"answer","time":1700000100,"source":"m","post":"1","author":"acme"}"#,
        // A name twice keeps its last value; members the reader does not read may be anything.
        #"{"type":"reshare","time":1,"post":"a","followers":5,"followers":7,"extra":{"deep":[1,{"x":null}],"s":"\u00e9"}}"#,
        // Numbers as strings, ids as numbers, followers null, negative (hidden) or missing.
        #"{"type":"reshare","time":"1700000000","post":42,"followers":"91"}"#,
        #"{"type":"reshare","time":2,"post":"b","followers":-3}"#,
        #"{"type":"post","time":3,"id":7,"followers":null,"text":"שירות גרוע"}"#,
        // Space, tabs and a carriage return around and inside.
        "\t { \"type\" : \"counts\" ,\"time\":4, \"post\":\"c\" , \"reshares\": 2.0 } \r",
        // An escaped name, text with escapes and hostile characters.
        #"{"ty\u0070e":"post","time":5,"id":"e","text":"line\nbreak \"quoted\" \u202e"}"#,
        // Unknown types are ignored; lines that cannot be read are reported.
        #"{"type":"like","time":6,"post":"1"}"#,
        #"{"time":6,"post":"1"}"#,
        #"{"type":"reshare","post":"1"}"#,
        #"{"type":"reshare","time":"yesterday","post":"1"}"#,
        #"{"type":"post","time":7}"#,
        #"[1,2,3]"#,
        #"{"type":"post","time":8,"id":"x"} trailing"#,
        #"{"type":"post","time":8,"id":"x",}"#,
        #"{"type":"post","time":8,"id":"x""#,
        #"{"type":"post","time":01,"id":"x"}"#,
        #"{"type":"post","time":8,"id":"x","text":"\x"}"#,
        #"{"type":"post","time":8,"id":"x","junk":"#  + String(repeating: "[", count: 600) + String(repeating: "]", count: 600) + "}",
        // Times no RFC 3339 text can write: a bad line, not millennia of ticks.
        #"{"type":"reshare","time":1e300,"post":"1"}"#,
        #"{"type":"reshare","time":1000000000000,"post":"1"}"#,
        #"{"type":"reshare","time":-5,"post":"1"}"#,
        "",
        "   ",
        // Counts that are not counts.
        #"{"type":"counts","time":9,"post":"1","reshares":-100}"#,
        #"{"type":"counts","time":9,"post":"1","likes":"many"}"#,
        #"{"type":"counts","time":9,"post":"1","reshares":3,"likes":-4}"#,
    ]

    @Test("An id or source holding a line break or an override is the same escaped text everywhere: %XX of its bytes; any other id as it is")
    func hostileIdentifiers() throws {
        let line = #"{"type":"post","time":8,"source":"rec\u202e","id":"a7\r\nX-Injected: yes"}"#
        let observation = try RecordingReader().observation(Array(line.utf8)[...], number: 1)
        #expect(observation?.key == PostKey(source: "rec%E2%80%AE", id: "a7%0D%0AX-Injected: yes"))
        #expect(Self.read(line, fullParser: false) == Self.read(line, fullParser: true))
        #expect(SafeText.identifier("at://did:plc:a/app.bsky.feed.post/3k1") == "at://did:plc:a/app.bsky.feed.post/3k1")
        #expect(SafeText.identifier("שלום 😀") == "שלום 😀")
    }

    /// An observation or the problem, as text, so two readings can be compared.
    static func read(_ line: String, fullParser: Bool) -> String {
        do {
            return try RecordingReader().observation(Array(line.utf8)[...], number: 9, fullParser: fullParser).map { "\($0)" } ?? "ignored"
        } catch {
            return "problem: \(error.description)"
        }
    }

    @Test("The fast path reads every line as the full parser does, problems included")
    func fastPathAgrees() {
        for line in Self.lines {
            #expect(Self.read(line, fullParser: false) == Self.read(line, fullParser: true), "\(line.prefix(120))")
        }
    }

    @Test("What the lines say: values, last of a name, and one clear reason for each bad line")
    func values() throws {
        let reader = RecordingReader()
        func observation(_ index: Int) throws -> Observation? { try reader.observation(Array(Self.lines[index].utf8)[...], number: index + 1) }
        #expect(try observation(4) == .reshare(key: PostKey(source: "", id: "a"), time: 1, user: nil, followers: 7))
        #expect(try observation(5) == .reshare(key: PostKey(source: "", id: "42"), time: 1_700_000_000, user: nil, followers: 91))
        // A negative follower count is a hidden one: unknown. A count that is not one is a
        // damaged line: said and skipped, not taken or dropped in silence. Likes may be negative.
        #expect(try observation(6) == .reshare(key: PostKey(source: "", id: "b"), time: 2, user: nil, followers: nil))
        #expect(try observation(29) == .counts(key: PostKey(source: "", id: "1"), time: 9, reshares: 3, replies: nil, likes: -4, quotes: nil))
        #expect(Self.read(Self.lines[27], fullParser: false) == "problem: line 9: \"reshares\" is -100, not a count; skipped")
        #expect(Self.read(Self.lines[28], fullParser: false) == "problem: line 9: \"likes\" is \"many\", not a count; skipped")
        #expect(try observation(7) == .post(key: PostKey(source: "", id: "7"), time: 3, createdAt: 3, author: nil, followers: nil, text: "שירות גרוע", url: nil))
        #expect(try observation(8) == .counts(key: PostKey(source: "", id: "c"), time: 4, reshares: 2, replies: nil, likes: nil, quotes: nil))
        // A type this reader does not know is most likely a misspelt one: said, not dropped in silence.
        #expect(throws: RecordingReader.Problem.self) { try observation(10) }
        #expect(Self.read(Self.lines[10], fullParser: false).hasSuffix("unknown type \"like\" (a line is a post, reshare, counts or answer); skipped"))
        for (index, reason) in [(11, "no \"type\""), (12, "\"time\" is missing"), (13, "\"time\" is missing"), (14, "no \"id\""), (15, "expected a JSON object, got")] {
            #expect(throws: RecordingReader.Problem.self) { try observation(index) }
            #expect(Self.read(Self.lines[index], fullParser: false).contains(reason), "\(Self.lines[index])")
        }
        for index in 22...24 {
            #expect(Self.read(Self.lines[index], fullParser: false).contains("Unix seconds from 1970 to 9999"), "\(Self.lines[index])")
        }
        for index in 16...21 {
            #expect(Self.read(Self.lines[index], fullParser: false).hasPrefix("problem: line 9: "), "\(Self.lines[index].prefix(80))")
        }
    }

    @Test("A line's seen is when the watch learned of it: written only where it is past the line's time, read back as given (never before the time), a bad one a bad line")
    func seen() throws {
        let reshare = Observation.reshare(key: PostKey(source: "m", id: "1"), time: 1_700_000_000, user: "u", followers: 5)
        let written = RecordingWriter.line(reshare, seen: 1_700_000_600)
        #expect(written.contains(#""seen":"2023-11-14T22:23:20.000Z""#) || written.contains(#""seen":"2023-11-14T22:23:20Z""#), "\(written)")
        #expect(!RecordingWriter.line(reshare, seen: 1_700_000_000.5).contains("seen"))
        let reader = RecordingReader()
        let read = try #require(try reader.observed(Array(written.utf8)[...], number: 1))
        #expect(read.observation == reshare && read.seen == 1_700_000_600)
        #expect(try reader.observed(Array(RecordingWriter.line(reshare).utf8)[...], number: 1)?.seen == 1_700_000_000)
        let early = #"{"type":"reshare","time":1700000000,"seen":1600000000,"post":"1"}"#
        #expect(try reader.observed(Array(early.utf8)[...], number: 1)?.seen == 1_700_000_000)
        #expect(Self.read(#"{"type":"reshare","time":1700000000,"seen":"soon","post":"1"}"#, fullParser: false) == "problem: line 9: \"seen\" is not RFC 3339 or Unix seconds from 1970 to 9999; skipped")
    }
}
