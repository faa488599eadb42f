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

    @Test("decodingEntities decodes every entity and keeps what looks like a tag: text whose only markup is its entities")
    func entitiesOnly() {
        #expect(HTMLText.decodingEntities("Acme's <dialog> &lt;b&gt; &amp;amp; caf&eacute;&#x21; &bogus; & <p>") == "Acme's <dialog> <b> &amp; café! &bogus; & <p>")
        #expect(HTMLText.decodingEntities("&lt;\u{338}b&gt;\u{301}") == "<\u{338}b>\u{301}", "an entity's `;` before a combining mark still ends it")
    }

    @Test("Elements of a class asked to be dropped go with all they hold, nested ones of their name too; nothing else does")
    func dropping() {
        // As Mastodon writes a quote for clients that do not show quotes (a real 4.5 status).
        let quote = #"<p class="quote-inline">RE: <a href="http://localhost:3000/@mastodonpy_test/117020582917124092" target="_blank" rel="nofollow noopener" translate="no"><span class="invisible">http://</span><span class="ellipsis">localhost:3000/@mastodonpy_tes</span><span class="invisible">t/117020582917124092</span></a></p><p>yoooooooo</p>"#
        #expect(HTMLText.plain(quote, dropping: ["quote-inline"]) == "yoooooooo")
        #expect(HTMLText.plain(quote).hasPrefix("RE: http://localhost:3000/@mastodonpy_test/117020582917124092"), "kept unless asked")
        #expect(HTMLText.plain("<div class='x quote-inline'>a<div>b</div>c</div><p>kept</p>", dropping: ["quote-inline"]) == "kept")
        #expect(HTMLText.plain("<p class=quote-inline>gone</p>after", dropping: ["quote-inline"]) == "after")
        #expect(HTMLText.plain("<p class=\"inline\">stays</p>", dropping: ["quote-inline"]) == "stays")
        // Never closed: the rest is the element's.
        #expect(HTMLText.plain("before<p class=\"quote-inline\">RE: x", dropping: ["quote-inline"]) == "before")
    }
}
