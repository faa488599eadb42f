import Foundation
import Testing
@testable import ForeshockConfig

/// Silence matchers read and hold as Alertmanager's do: regexes anchored to the whole value,
/// an absent value matched as the empty one, authors without case, and no silence that would
/// hold back everything.
@Suite("Silence matchers")
struct SilenceMatcherTests {
    @Test("a regex matches the whole value, not a part of it nor the value with a line break after it")
    func anchored() throws {
        let matcher = try SilenceMatcher.parse("rule=~viral")
        #expect(matcher.holds(for: ["viral"]))
        #expect(!matcher.holds(for: ["going-viral"]))
        #expect(!matcher.holds(for: ["viral\n"]))
        #expect(try SilenceMatcher.parse("rule=~going-.*|volume").holds(for: ["volume"]), "the alternation is inside the anchors")
        #expect(!(try SilenceMatcher.parse("rule=~going-.*|volume").holds(for: ["volume-spike"])))
    }

    @Test("a post or source written as it came, control characters and all, matches its key, which writes them %XX; so does the key as printed")
    func escapedIdentifiers() throws {
        let key = "feed:a%0D%0Ab"
        for text in ["post=feed:a\r\nb", "post=\(key)", "post=\"feed:a\r\nb\""] {
            #expect(try SilenceMatcher.parse(text).holds(for: [key]), "\(text)")
        }
        #expect(try SilenceMatcher.parse("source=rtl\u{202E}x").holds(for: ["rtl%E2%80%AEx"]))
        #expect(try !SilenceMatcher.parse("post!=feed:a\r\nb").holds(for: [key]))
        // A pattern cannot be escaped into the key's %XX: such a regex is refused, not left to
        // miss (an exclusion that silenced the very post it meant to leave out).
        #expect(throws: SilenceMatcher.Problem.self) { try SilenceMatcher.parse("post!~feed:a\u{7}b") }
        #expect(try SilenceMatcher.parse("post!~feed:a%07b").holds(for: ["feed:x"]))
    }

    @Test("authors compare without case, by equality and by regex; other names with it")
    func authorCase() throws {
        #expect(try SilenceMatcher.parse("author=Dana@Mastodon.Example").holds(for: ["dana@mastodon.example"]))
        #expect(try SilenceMatcher.parse("author=~dana@.*").holds(for: ["DANA@mastodon.example"]))
        #expect(!(try SilenceMatcher.parse("rule=Going-Viral").holds(for: ["going-viral"])))
    }

    @Test("an absent value is the empty one: != and !~ hold for it, = and =~ do not")
    func absent() throws {
        #expect(try SilenceMatcher.parse("author!=acme").holds(for: []))
        #expect(try SilenceMatcher.parse("author!~acme.*").holds(for: []))
        #expect(!(try SilenceMatcher.parse("author=acme").holds(for: [])))
        #expect(!(try SilenceMatcher.parse("author=~acme.*").holds(for: [])))
    }

    @Test("silences that every alert with nothing set would satisfy are refused; one matcher that needs a value is enough")
    func refusal() throws {
        func refused(_ texts: [String]) throws -> String? { SilenceMatcher.refusal(try texts.map { try SilenceMatcher.parse($0) }) }
        #expect(try refused(["author!=acme"])?.contains("would hold back every alert that has no such value") == true)
        #expect(try refused(["author!~acme", "source!=feed"]) != nil)
        #expect(try refused(["rule=~.*"]) != nil, "a regex matching the empty value holds for everything too")
        #expect(try refused([])?.contains("give at least one matcher") == true)
        #expect(try refused(["author!=acme", "rule=going-viral"]) == nil)
        #expect(try refused(["post=\"mastodon:1\""]) == nil)
    }

    @Test("a value in quotes loses the quotes, so a value can start with an operator or a space")
    func quoted() throws {
        #expect(try SilenceMatcher.parse(#"post="mastodon:a=b""#).value == "mastodon:a=b")
        #expect(try SilenceMatcher.parse(#"post=""quoted"""#).value == "\"quoted\"", "only the outer pair goes")
        #expect(throws: SilenceMatcher.Problem.self) { try SilenceMatcher.parse("colour=red") }
        #expect(throws: SilenceMatcher.Problem.self) { try SilenceMatcher.parse("rule=~(") }
    }
}
