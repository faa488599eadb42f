/// Every subcommand's spec, in the order `foreshock help` lists them.
enum Commands {
    static let logOptions = [
        "--log-format logfmt|json   how log lines on stderr are written (default logfmt)",
        "--log-level LEVEL          trace, debug, info, notice, warning, error or critical (default info)",
    ]

    static let watch = CommandSpec(
        name: "watch",
        usage: "watch [--config FILE] [--query TEXT [--brand HANDLE]] [--once] [--state-dir DIR] [--record FILE [--record-max-size SIZE]] [--log-format logfmt|json] [--log-level LEVEL]",
        summary: "Polls every source, scores every post and sends alerts until stopped (SIGTERM or SIGINT: deliveries\nfinish up to shutdown_timeout, state is kept). SIGHUP reloads the config. Without --config it runs\nthe embedded default config, searching for --query.",
        details: [
            "--config FILE          the JSON5 config (default: the embedded one)",
            "--query TEXT           what the embedded default config searches for (required without --config)",
            "--brand HANDLE         the brand's own account on the embedded config's sources: turns on unanswered-complaint",
            "--once                 poll every source once, score, deliver, exit (1 if any source or sink failed)",
            "--state-dir DIR        where cursors, alert state and the outbox live (overrides state_dir)",
            "--record FILE          append every observation to FILE, for replay",
            "--record-max-size SIZE rotate the recording at this size (FILE.1 … FILE.5), e.g. 500MB",
            "--mentions text|jsonl|none  how new mentions are shown on stdout (default text)",
        ] + logOptions,
        valueOptions: ["--config", "--query", "--brand", "--state-dir", "--record", "--record-max-size", "--mentions", "--log-format", "--log-level"],
        flags: ["--once"]
    )

    static let checkConfig = CommandSpec(
        name: "check-config",
        usage: "check-config FILE",
        summary: "Checks a config file and reports every problem, each as FILE: key.path: what is wrong.\nExits 0 when it can be used (warnings included), 2 when it cannot.",
        details: [],
        valueOptions: [],
        positionals: 1...1
    )

    static let parse = CommandSpec(
        name: "parse",
        usage: "parse --source KIND|NAME [--config FILE] FILE",
        summary: "Reads one saved API response and prints its mentions as JSON Lines.\nKIND is mastodon, bluesky, reddit, hackernews or x; a json source is named from --config.",
        details: [
            "--source KIND|NAME     the API the file came from, or a source named in --config",
            "--config FILE          the config that defines a json source",
        ],
        valueOptions: ["--source", "--config"],
        positionals: 1...1
    )

    static let replay = CommandSpec(
        name: "replay",
        usage: "replay [--config FILE] RECORDING [--format text|json] [--send [--state-dir DIR]] [--trace POST --trace-every DURATION]",
        summary: "Runs a recording through the scoring and alert lifecycle in virtual time and prints every\nnotification the watch process would have sent, then a summary.",
        details: [
            "--config FILE          thresholds to try (default: the embedded config)",
            "--format text|json     text for people (default), json for one line per notification",
            "--send                 also hand the notifications to the configured sinks",
            "--state-dir DIR        with --send: keep the outbox there, so what a crash interrupts is sent next time",
            "--trace POST           print the scores of one post over time",
            "--trace-every DURATION how often to print them (e.g. 60s)",
        ],
        valueOptions: ["--config", "--format", "--trace", "--trace-every", "--state-dir"],
        flags: ["--send"],
        positionals: 1...1
    )

    static let testAlert = CommandSpec(
        name: "test-alert",
        usage: "test-alert [--config FILE] [--sink NAME]",
        summary: "Renders a sample alert through each sink's template, sends it, and reports per sink what happened.",
        details: [
            "--config FILE          the config whose sinks to try (default: the embedded one)",
            "--sink NAME            only this sink",
        ],
        valueOptions: ["--config", "--sink"]
    )

    static let silence = CommandSpec(
        name: "silence",
        usage: "silence add (--post ID|--author NAME|--rule NAME|--source NAME) --for DURATION [--comment TEXT] | silence list | silence expire ID  [--state-dir DIR]",
        summary: "Holds back notifications for matching alerts; they are still tracked and shown by status.",
        details: [
            "--post ID, --author NAME, --rule NAME, --source NAME   what to match (add)",
            "--for DURATION         how long (add), e.g. 2h",
            "--comment TEXT         why (add)",
            "--state-dir DIR        the state directory of the watch process (default ./state)",
            "--config FILE          read state_dir from this config",
        ],
        valueOptions: ["--post", "--author", "--rule", "--source", "--for", "--comment", "--state-dir", "--config"],
        positionals: 1...2
    )

    static let status = CommandSpec(
        name: "status",
        usage: "status [--config FILE] [--state-dir DIR] [--format text|json]",
        summary: "Shows what the watch process last wrote (every 15 s): sources with their last poll and error,\nthe hottest posts, alerts firing (silenced ones marked), the outbox and the silences.",
        details: [
            "--config FILE          read state_dir from this config",
            "--state-dir DIR        the state directory (default ./state)",
            "--format text|json     a table for people (default), or status.json as written",
        ],
        valueOptions: ["--config", "--state-dir", "--format"]
    )

    static let demo = CommandSpec(
        name: "demo",
        usage: "demo [--speed N]",
        summary: "Plays a real cascade shipped with the binary through the live pipeline, so you see the growth,\nthe score and the alert in under a minute. Needs no credentials and no network.",
        details: [
            "--speed N              how much faster than real time (default 120: the first hour in 30 s)",
        ],
        valueOptions: ["--speed"]
    )

    static let bench = CommandSpec(
        name: "bench",
        usage: "bench [--config FILE] [--data DIR] [--posts N] [--runs N]",
        summary: "Measures scoring and replay speed and memory (build with -c release) on a load copied from real\ncascades, and prints one JSON line of medians.",
        details: [
            "--config FILE          the rules and scoring measured (default: the embedded config)",
            "--data DIR             the cascades copied: tideh/RT*.txt, seismic_tweet.csv, twitter1516_dev_first300.jsonl (default fixtures/cascades)",
            "--posts N              tracked posts in the load (default 100000)",
            "--runs N               runs to take the median of (default 5)",
        ],
        valueOptions: ["--config", "--data", "--posts", "--runs"]
    )

    static let eval = CommandSpec(
        name: "eval",
        usage: "eval [--config FILE] [--data DIR] [--seed N] [--poll-interval DURATION] [--fit | --holdout]",
        summary: "Plays the shared real cascades through the scoring core as the watch process would see them\nand reports how early and how rarely wrongly the critical rules fire.",
        details: [
            "--config FILE          the rules to judge (default: the embedded config)",
            "--data DIR             a folder with tideh/RT*.txt and twitter1516_dev.jsonl (default ../shared/data/cascades)",
            "--seed N               draw other follower counts for the cascades that have none (default 0)",
            "--poll-interval D      how often the counts-only views poll (default 60s; the factors were fitted at 60s)",
            "--fit                  print the per-age calibration factors fitted on those cascades instead",
            "--holdout              fit the factors on half the posts ending under 500, judge them on the other half, both ways",
        ],
        valueOptions: ["--config", "--data", "--seed", "--poll-interval"],
        flags: ["--fit", "--holdout"]
    )

    static let all = [watch, checkConfig, parse, replay, eval, testAlert, silence, status, demo, bench]
}
