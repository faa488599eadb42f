import Foundation
import Testing
@testable import ForeshockSupport

@Suite("HTML text")
struct HTMLTextTests {
    @Test("escape leaves no markup character raw, even one that a combining mark makes part of a larger Character")
    func combiningMarks() {
        // `"` + U+0301 and `<` + U+0338 are single Characters that are not `"` or `<`.
        let text = "a\"\u{301} onmouseover=x <\u{338}script>&'\u{301}"
        let escaped = HTMLText.escape(text)
        #expect(!escaped.unicodeScalars.contains { "<>\"'".unicodeScalars.contains($0) }, "\(escaped)")
        #expect(escaped.contains("&quot;\u{301}") && escaped.contains("&lt;\u{338}") && escaped.contains("&amp;&#39;\u{301}"))
        #expect(HTMLText.plain(escaped) == text, "reads back as the text it was")
    }

    @Test("line breaks become <br> only when asked")
    func lineBreaks() {
        #expect(HTMLText.escape("a\nb", lineBreaks: true) == "a<br>b")
        #expect(HTMLText.escape("a\nb") == "a\nb")
    }

    @Test("plain drops tags, puts each paragraph and <br> on a line of its own and decodes entities")
    func plain() {
        #expect(HTMLText.plain("<p>one &amp; <a href=\"x\">two</a></p><p>three&#x21;<br>four&hellip;</p>") == "one & two\nthree!\nfour…")
        #expect(HTMLText.plain("1 < 2 and <\u{338}b> stay; <b>bold</b> goes") == "1 < 2 and <\u{338}b> stay; bold goes")
        #expect(HTMLText.plain("a &bogus; &#x110000; & b") == "a &bogus; &#x110000; & b", "what is not an entity stays as it is")
        // Latin-1's named entities, first to last, and a few past it.
        #expect(HTMLText.plain("caf&eacute; &Agrave;&nbsp;&yuml; 5&euro; &iquest;") == "café À\u{00A0}ÿ 5€ ¿")
    }
}
