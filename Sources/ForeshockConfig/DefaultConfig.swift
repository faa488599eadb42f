import Foundation

/// The config compiled into the binary, used when no `--config` is given: sources that need
/// no credentials, the default rules and the terminal as the only sink.
package enum DefaultConfig {
    package static let origin = "embedded default config"

    /// A Mastodon hashtag made from free text: "Acme Air" becomes "acmeair".
    static func hashtag(from query: String) -> String {
        String(query.filter { $0.isLetter || $0.isNumber || $0 == "_" }.lowercased())
    }

    /// The default rules, for a config that keeps them (`include_default_rules: true`).
    package static let rules: [RuleConfig] = ConfigLoader.parse(Data(text.utf8), origin: origin, environment: [:], requireSecrets: false).config?.rules ?? []

    package static let text = """
    // Foreshock's embedded default config: `foreshock watch --query acme` with no --config.
    // Sources that need no credentials, the default rules, alerts on the terminal.
    {
      state_dir: "./state",
      sources: [
        { name: "hn", kind: "hackernews", query: "acme", interval: "60s" },
        { name: "mastodon", kind: "mastodon", base_url: "https://mastodon.social", mode: "tag",
          query: "acme", interval: "60s", fetch_resharers_at: 20, calls_per_minute: 60 },
      ],
      rules: [
        // The calibrated prediction says this post is on its way to a thousand reshares. Past
        // 1,000 that holds for good: after 30 days the alert resolves and the post may go cold.
        { name: "going-viral", severity: "critical",
          when: { predicted_reshares_at_least: 1000, min_reshares: 5, max_age: "30d" } },
        // A complaint that names the brand, reshared by ten, and not answered within the hour:
        // brands answer famous accounts in half an hour and everyone else in 6 to 12 hours.
        // Needs the brand's accounts to see an answer: `watch --brand HANDLE`, or
        // brand_accounts per source; without them `watch` turns it off and says so.
        { name: "unanswered-complaint", severity: "critical",
          when: { complaint_score_at_least: 2, unanswered_for_at_least: "1h", min_reshares: 10, max_age: "2d" } },
        // The brand answered and the post spreads as fast or faster since (10 minutes after the
        // answer, 5 reshares since and at least one a minute, over up to 30 minutes each side):
        // the answer made it worse
        // ("Hi Dana, sorry you feel that way"). Needs the brand's accounts, like the rule above.
        { name: "spreading-after-answer", severity: "warning",
          when: { spreading_after_answer: true, min_reshares: 10, max_age: "2d" } },
        // Spreading faster than a post usually does: look at it before it is big.
        { name: "heating-up", severity: "warning",
          when: { velocity_per_min_at_least: 1, min_reshares: 10, max_age: "6h" } },
      ],
      alerting: { group_wait: "10s", repeat_interval: "4h", resolve_after: "30m" },
      sinks: [
        { name: "terminal", kind: "console" },
      ],
      // The live page, /metrics, health checks and the API, on this machine only. Give it a
      // token (token_env) to add silences through it; web: null turns it off.
      web: { listen: "127.0.0.1:9464" },
    }
    """
}
