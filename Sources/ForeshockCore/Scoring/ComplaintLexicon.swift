import ForeshockConfig
import Foundation

/// Words people use when they complain about a company, in English and in Hebrew (the
/// seeds' vocabulary: "מביך", "לא עונים", "גועל נפש", "החזר כספי"…), plus the config's own.
/// A match is a whole word or phrase; Hebrew words may carry the one-letter prefixes
/// (ו, ה, ב, ל, מ, ש, כ) that Hebrew writes joined to the word.
package struct ComplaintLexicon: Sendable {
    package static let english = [
        "terrible", "worst", "awful", "horrible", "disgusting", "pathetic", "useless", "unacceptable", "ridiculous",
        "scam", "fraud", "rip off", "ripoff", "ripped off", "overcharged", "refund", "money back", "chargeback",
        "never again", "never buying", "boycott", "shame on", "disappointed", "disappointing", "furious", "angry", "rude",
        "broke my", "broken", "ruined", "lost my", "damaged", "still waiting", "no response", "no reply", "ignored",
        "ignoring", "hung up", "on hold", "customer service", "complaint", "cancel my", "cancelled my", "avoid",
        "sorry you feel", "doesn't work", "does not work", "not working", "stopped working", "wtf", "fix this",
    ]
    package static let hebrew = [
        "מביך", "מבישה", "בושה", "גועל נפש", "מגעיל", "מזעזע", "שערורייה", "שערוריה", "חוצפה", "זלזול", "מזלזלים",
        "לא עונים", "לא עונה", "אין מענה", "אין תשובה", "מחכה", "ממתין", "ממתינה", "עדיין לא", "מטרטרים", "טרטור",
        "החזר כספי", "החזר", "רמאים", "נוכלים", "הונאה", "עוקץ", "תלונה", "מתלונן", "שירות גרוע", "שירות רע",
        "שירות מחפיר", "גרוע", "נורא", "איום", "אכזבה", "מאוכזב", "מאוכזבת", "לא מקצועי", "לעולם לא", "חרם",
        "שבור", "נשבר", "הרסו", "פגום", "ביטול", "לבטל", "ניתקו", "אף אחד לא",
    ]
    static let hebrewPrefixes: Set<Character> = ["ו", "ה", "ב", "ל", "מ", "ש", "כ"]

    private let terms: [[Character]]
    private let brand: [[Character]]

    /// - Parameters:
    ///   - extra: complaint terms of the config's own.
    ///   - replaceBuiltin: use only `extra`.
    ///   - brand: the brand's names, handles and hashtags (with or without @ or #).
    package init(extra: [String] = [], replaceBuiltin: Bool = false, brand: [String] = []) {
        let all = (replaceBuiltin ? [] : Self.english + Self.hebrew) + extra
        terms = Array(Set(all.map { $0.lowercased() })).sorted().map(Array.init)
        self.brand = Array(Set(brand.map { Self.bare($0) }.filter { !$0.isEmpty })).sorted().map(Array.init)
    }

    /// The characters of a post read for complaint terms: more than any network's longest post
    /// (X's 25,000), while a 10 MB text from a hostile source or recording costs no more than it.
    static let maxRead = 40_000

    /// The complaint signal: how many complaint terms the text holds, doubled when it also names
    /// the brand. "Terrible" alone may be about anything; "@acme, terrible" is about Acme.
    package func score(_ text: String) -> Int {
        let characters = Array(text.prefix(Self.maxRead).lowercased())
        let words = Self.withoutLinks(characters)
        var found = 0
        for term in terms where matches(term, in: words) { found += 1 }
        return found > 0 && namesBrand(characters) ? 2 * found : found
    }

    /// The text with its links blanked out for complaint terms: a link's path
    /// (`…/complaint-form`, `…/refund-policy`) is nobody's complaint, though the brand a link
    /// names (`acme.com/…`) is named.
    static func withoutLinks(_ characters: [Character]) -> [Character] {
        let scheme: [Character] = Array("http")
        var out = characters, index = 0
        while index + 7 <= out.count {
            if out[index] == "h", out[index..<(index + 4)].elementsEqual(scheme),
               out[index + 4] == ":" || (out[index + 4] == "s" && out[index + 5] == ":") {
                while index < out.count, !out[index].isWhitespace { out[index] = " "; index += 1 }
            } else {
                index += 1
            }
        }
        return out
    }

    /// Whether the text names the brand (as a word, a handle or a hashtag).
    package func namesBrand(_ text: String) -> Bool { namesBrand(Array(text.prefix(Self.maxRead).lowercased())) }

    private func namesBrand(_ characters: [Character]) -> Bool {
        brand.contains { matches($0, in: characters) }
    }

    /// The lexicon a config scores complaints with: its extra terms, and its brand's names (by
    /// default each source's query and brand accounts).
    package static func of(_ config: Config) -> ComplaintLexicon {
        ComplaintLexicon(extra: config.scoring.complaintTerms, replaceBuiltin: config.scoring.replaceBuiltinLexicon,
                         brand: config.brandTerms)
    }

    /// A term without its @ or # and, for a handle like `acme@mastodon.social`, its server.
    static func bare(_ term: String) -> String {
        var text = term.trimmingCharacters(in: .whitespaces).lowercased()
        while let first = text.first, first == "@" || first == "#" { text.removeFirst() }
        if let at = text.firstIndex(of: "@") { text = String(text[..<at]) }
        return text
    }

    private func matches(_ term: [Character], in text: [Character]) -> Bool {
        guard let first = term.first, term.count <= text.count else { return false }
        var index = 0
        while index <= text.count - term.count {
            if text[index] == first, text[index..<(index + term.count)].elementsEqual(term) {
                let end = index + term.count
                let endOK = end == text.count || !text[end].isLetter
                var start = index
                // Hebrew: skip back over joined prefix letters (at most two) to the word's start.
                if first.isHebrew {
                    var skipped = 0
                    while start > 0, skipped < 2, Self.hebrewPrefixes.contains(text[start - 1]) { start -= 1; skipped += 1 }
                }
                let startOK = start == 0 || !text[start - 1].isLetter
                if startOK && endOK { return true }
            }
            index += 1
        }
        return false
    }
}

extension Character {
    var isHebrew: Bool { unicodeScalars.first.map { (0x0590...0x05FF).contains($0.value) } ?? false }
}
