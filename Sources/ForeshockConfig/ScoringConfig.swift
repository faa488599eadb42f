/// The SEISMIC model's constants (Zhao et al., KDD 2015).
package struct SeismicConfig: Sendable, Equatable {
    /// The memory kernel's constant height before `s0`.
    package var c = 0.0006265725
    /// Seconds the kernel stays flat.
    package var s0 = 300.0
    /// The kernel's power-law decay after `s0`.
    package var theta = 0.2314843
    /// The average number of followers reached by one reshare's reshare (n*).
    package var nStar = 100.0
    /// Bounds of the window over which infectiousness is estimated, seconds.
    package var minWindow = 300.0
    package var maxWindow = 7200.0
    /// Fewer shares than this in the window widens it back.
    package var minSharesInWindow = 5

    package init() {}
}

/// How posts are scored: `scoring` in the config.
package struct ScoringConfig: Sendable, Equatable {
    package var shortWindow = 300.0
    package var longWindow = 1800.0
    package var evaluationInterval = 60.0
    /// Posts with no activity this long are forgotten.
    package var coldAfter = 48 * 3600.0
    package var maxTrackedPosts = 100_000
    /// Serial queues the scoring runs on; 0 means one per core.
    package var shards = 0
    /// Window of the per-source volume baseline.
    package var volumeWindow = 600.0
    package var seismic = SeismicConfig()
    /// Words that make a post a complaint, added to the built-in English and Hebrew lists.
    package var complaintTerms: [String] = []
    /// Whether `complaintTerms` replaces the built-in lists instead of adding to them.
    package var replaceBuiltinLexicon = false
    /// The brand's names, handles and hashtags: a complaint that names the brand weighs double.
    /// Empty: the sources' queries and brand accounts (`Config.brandTerms`).
    package var brandTerms: [String] = []

    package init() {}

    static func read(_ object: ObjectReader, reader: ConfigReader) -> ScoringConfig {
        var scoring = ScoringConfig()
        scoring.shortWindow = object.duration("short_window", min: 1) ?? scoring.shortWindow
        scoring.longWindow = object.duration("long_window", min: 1) ?? scoring.longWindow
        scoring.evaluationInterval = object.duration("evaluation_interval", min: 0.1) ?? scoring.evaluationInterval
        scoring.coldAfter = object.duration("cold_after", min: 60) ?? scoring.coldAfter
        scoring.maxTrackedPosts = object.int("max_tracked_posts", min: 1) ?? scoring.maxTrackedPosts
        scoring.shards = object.int("shards", min: 0, max: 256) ?? scoring.shards
        scoring.volumeWindow = object.duration("volume_window", min: 1) ?? scoring.volumeWindow
        if scoring.longWindow < scoring.shortWindow {
            reader.error(object.keyPath("long_window"), "is shorter than short_window (make it longer)")
        }
        if let seismic = object.object("seismic") {
            var model = SeismicConfig()
            model.c = seismic.double("c", min: 0) ?? model.c
            model.s0 = seismic.duration("s0", min: 0.001) ?? model.s0
            model.theta = seismic.double("theta", min: 0.000001) ?? model.theta
            model.nStar = seismic.double("n_star", min: 1) ?? model.nStar
            model.minWindow = seismic.duration("min_window", min: 1) ?? model.minWindow
            model.maxWindow = seismic.duration("max_window", min: 1) ?? model.maxWindow
            model.minSharesInWindow = seismic.int("min_shares_in_window", min: 1) ?? model.minSharesInWindow
            if model.maxWindow < model.minWindow {
                reader.error(seismic.keyPath("max_window"), "is shorter than min_window (make it longer)")
            }
            seismic.finish()
            scoring.seismic = model
        }
        if let lexicon = object.object("lexicon") {
            scoring.complaintTerms = lexicon.strings("complaint_terms") ?? []
            scoring.replaceBuiltinLexicon = lexicon.bool("replace_builtin") ?? false
            scoring.brandTerms = lexicon.strings("brand_terms") ?? []
            lexicon.finish()
        }
        object.finish()
        return scoring
    }
}

extension Config {
    /// The brand's names the complaint lexicon looks for: `lexicon.brand_terms`, or where it is
    /// empty, those the sources give (`brandTerms(sources:)`).
    package var brandTerms: [String] { scoring.brandTerms.isEmpty ? Self.brandTerms(sources: sources) : scoring.brandTerms }

    /// The brand as the config's sources know it: each search query (a name like "Acme Air",
    /// also as one word, "acmeair", the way hashtags write it) and each brand account's handle.
    /// Queries that are searches rather than names (quotes, operators, over four words) are
    /// left out.
    package static func brandTerms(sources: [SourceConfig]) -> [String] {
        var out: [String] = []
        for source in sources {
            if let query = source.query?.trimmingCharacters(in: .whitespaces), !query.isEmpty,
               !query.contains(where: { "\"():*".contains($0) }) {
                let words = query.split(separator: " ")
                if words.count <= 4, !words.contains(where: { ["OR", "AND", "NOT"].contains($0) || $0.hasPrefix("-") }) {
                    out.append(query)
                    if words.count > 1 { out.append(words.joined()) }
                }
            }
            out += source.brandAccounts
        }
        // Each once (two sources searching "acme", an account named as the query is), as the
        // lexicon matches them: without regard to case.
        var seen = Set<String>()
        return out.filter { seen.insert($0.lowercased()).inserted }
    }
}
