/// Configs the tests share.

/// A config that uses every part of the format, as the README's reference shows it.
package enum ConfigFixtures {
    /// The config shape from the foundation issue, which must load as written.
    package static let example = """
    {
      state_dir: "./state",
      metrics_file: "./state/foreshock.prom",
      sources: [
        { name: "hn", kind: "hackernews", query: "acme", interval: "30s" },
        { name: "masto", kind: "mastodon", base_url: "https://mastodon.social", mode: "tag",
          query: "acme", interval: "30s", token_env: "MASTODON_TOKEN",
          brand_accounts: ["acme_support"],   // has the brand answered?
          fetch_resharers_at: 20,
          calls_per_minute: 60 },
      ],
      scoring: { /* filled in by the scoring issue */ },
      rules: [
        { name: "going-viral", severity: "critical", sinks: ["oncall", "ops"],
          sources: ["masto"],
          when: { predicted_reshares_at_least: 1000, min_reshares: 10 } },
      ],
      alerting: { group_wait: "10s", repeat_interval: "4h", resolve_after: "30m" },
      silences: [ { match: { author: "acme_support" }, until: "2026-12-31T00:00:00Z", comment: "our own posts" } ],
      sinks: [
        { name: "oncall", kind: "email", smtp_url: "smtp://mail.example.com:587",
          starttls: "required",
          ca_file: "/etc/ssl/certs/ca-certificates.crt",
          from: "foreshock@example.com", to: ["oncall@example.com"],
          username: "foreshock", password_env: "SMTP_PASSWORD" },
        { name: "ops", kind: "webhook", url_env: "OPS_WEBHOOK_URL", secret_env: "OPS_WEBHOOK_SECRET" },
      ],
    }
    """
}
