import Testing
@testable import ForeshockSupport

@Suite("Cutting text to a receiver's limits")
struct SafeTextTests {
    static let zalgo = "Z" + String(repeating: "\u{0301}", count: 1500)

    @Test("A cut counts Unicode scalars, not characters: one letter with 1,500 marks is not one")
    func scalarsNotCharacters() {
        let cut = SafeText.cut(Self.zalgo + " lost my bag", 200)
        // (Compared by scalars: "Z" with 199 marks is another character than "Z" with one.)
        #expect(cut.unicodeScalars.count <= 200 && cut.unicodeScalars.starts(with: "Z\u{0301}\u{0301}".unicodeScalars) && cut.hasSuffix("…"))
        #expect(SafeText.cut("short", 200) == "short")
        // Whole characters where they fit: an accented letter is not split from its mark.
        let cut2 = SafeText.cut("abc" + "e\u{0301}" + "fgh", 5)
        #expect(cut2 == "abc…" || cut2 == "abce\u{0301}…", "\(cut2)")
        #expect(cut2.unicodeScalars.count <= 5)
    }

    @Test("A cut to UTF-16 units (Slack's, PagerDuty's 1,024) holds for a letter of 1,500 marks, and never splits an emoji family")
    func utf16Units() {
        let cut = SafeText.cut("[CRITICAL] " + Self.zalgo, utf16Units: 1024)
        #expect(cut.utf16.count <= 1024 && cut.unicodeScalars.starts(with: "[CRITICAL] Z\u{0301}".unicodeScalars) && cut.hasSuffix("…"))
        let family = "👩‍👩‍👧‍👦"
        let text = String(repeating: "a", count: 8) + family + "b"
        #expect(SafeText.cut(text, utf16Units: 12) == String(repeating: "a", count: 8) + "…")
        #expect(SafeText.cut(text, utf16Units: 20) == String(repeating: "a", count: 8) + family + "b")
        // A family longer than the whole limit is cut inside, never ending on a joiner; no limit, no text.
        let inside = SafeText.cut(family, utf16Units: 5)
        #expect(inside.utf16.count <= 5 && inside.unicodeScalars.dropLast().last?.properties.isJoinControl == false, "\(inside.unicodeScalars.map(\.value))")
        #expect(SafeText.cut("abc", 0) == "" && SafeText.cut("abc", utf16Units: 0) == "")
    }
}
