import ForeshockSupport

/// The options the commands share, declared once; a command that gives one its own help
/// says so with `.help(…)`.
extension CommandOption {
    static let config = CommandOption("--config", "FILE", "the JSON5 config (default: the embedded one)")
    static let stateDir = CommandOption("--state-dir", "DIR", "the state directory of the watch process (default: the config's state_dir, else ./state)")
    static let data = CommandOption("--data", "DIR", "the folder of cascades")
    static let logFormat = CommandOption("--log-format", "logfmt|json", "how log lines on stderr are written (default logfmt)")
    static let logLevel = CommandOption("--log-level", "LEVEL", "trace, debug, info, notice, warning, error or critical (default info)")
    static let format = CommandOption("--format", "text|json", "text for people (default), or JSON")

    static let query = CommandOption("--query", "TEXT", "what the embedded default config searches for (required without --config, refused with it: each source of a config has its query)")
    static let brand = CommandOption("--brand", "HANDLE",
                                     "the brand's own account on the embedded config's sources: turns on unanswered-complaint and spreading-after-answer")
    static let once = CommandOption("--once", nil, "poll every source once, score, deliver, exit (1 if any source or sink failed)")
    static let record = CommandOption("--record", "FILE", "append every observation to FILE, for replay")
    static let recordMaxSize = CommandOption("--record-max-size", "SIZE", "rotate the recording at this size (FILE.1 … FILE.5), e.g. 500MB")
    static let mentions = CommandOption("--mentions", "text|jsonl|none", "how new mentions are shown on stdout (default text)")

    static let source = CommandOption("--source", "KIND|NAME", "the API the file came from, or a source named in --config")

    static let send = CommandOption("--send", nil, "also hand the notifications to the configured sinks, marked TEST, under keys of their own (replay/…) that no live alert's incident shares")
    static let trace = CommandOption("--trace", "POST", "print every term of one post's scores over time (a table, or JSON lines with --format json)")
    static let report = CommandOption("--report", "FILE", "also write a self-contained HTML report: per rule, pages a day and how early; each alerted post's curve")
    static let target = CommandOption("--target", "N", "the size that matters: an alert counts as early if it came before the post reached N reshares (default 1000)")
    static let sweep = CommandOption("--sweep", "RULE.COND=V1,V2,…",
                                     "replay once per value of a rule's numeric condition, in parallel, and print what each would have done; give it twice for a grid")
    static let traceEvery = CommandOption("--trace-every", "DURATION", "how often to print them (e.g. 60s)")

    static let seed = CommandOption("--seed", "N", "draw other follower counts for the cascades that have none (default 0)")
    static let pollInterval = CommandOption("--poll-interval", "DURATION", "how often the counts-only views poll (default 60s; the factors were fitted at 60s)")
    static let fit = CommandOption("--fit", nil, "print the calibration fitted on those cascades instead, as Swift for Calibration.standard")
    static let holdout = CommandOption("--holdout", nil, "fit on half the posts, judge on the other half, both ways: false alarms out of sample")

    static let printDefault = CommandOption("--print", nil,
                                            "print FILE's effective config, every default filled in; with no FILE, the embedded default config (the one watch runs without --config)")
    static let sink = CommandOption("--sink", "NAME", "only this sink")

    static let post = CommandOption("--post", "ID", "add: silence this post's alerts (as post=ID)")
    static let author = CommandOption("--author", "NAME", "add: silence alerts on this author's posts (as author=NAME)")
    static let rule = CommandOption("--rule", "NAME", "add: silence this rule's alerts (as rule=NAME)")
    static let sourceMatcher = CommandOption("--source", "NAME", "add: silence this source's alerts (as source=NAME)")
    static let expired = CommandOption("--expired", nil, "list: show silences that have ended too")
    static let url = CommandOption("--url", "URL", "a running watch's web address (http://host:9464): work through its API, as amtool does; changes take the token in FORESHOCK_TOKEN")
    static let duration = CommandOption("--for", "DURATION", "add: how long, e.g. 2h")
    static let comment = CommandOption("--comment", "TEXT", "add: why, for the people who see it in status")

    static let speed = CommandOption("--speed", "N", "how much faster than real time (default 120: the first hour in 30 s)")
    static let posts = CommandOption("--posts", "N", "tracked posts in the load (default 100000)")
    static let runs = CommandOption("--runs", "N", "runs to take the median of (default 5)")
}

/// Every subcommand, in the order `foreshock help` lists them.
enum Commands {
    static let watch = CommandSpec(
        name: "watch",
        summary: "Polls every source, scores every post and sends alerts until stopped. SIGTERM or SIGINT stop it "
            + "(deliveries finish up to shutdown_timeout, state is kept); SIGHUP reloads the config. Without --config it runs "
            + "the embedded default config, searching for --query.",
        options: [.config, .query, .brand, .once, .stateDir.help("where cursors, alert state and the outbox live (overrides state_dir)"),
                  .record, .recordMaxSize, .mentions, .logFormat, .logLevel],
        run: { arguments, terminal, environment throws(CommandError) in try await WatchCommand.run(arguments, terminal: terminal, environment: environment) }
    )

    static let checkConfig = CommandSpec(
        name: "check-config", arguments: "[FILE]", positionals: 0...1,
        summary: "Checks a config file as watch would at start (secrets set, templates found and rendered) and reports every "
            + "problem, each as FILE: key.path: what is wrong, then the rules in effect. Exits 0 when it can be used (warnings "
            + "included), 2 when it cannot. With --print, prints FILE's effective config with every default filled in, or with "
            + "no FILE the embedded default config, to start your own from.",
        options: [.printDefault],
        run: { arguments, terminal, environment throws(CommandError) in try CheckConfigCommand.run(arguments, terminal: terminal, environment: environment) }
    )

    static let parse = CommandSpec(
        name: "parse", arguments: "FILE", positionals: 1...1,
        summary: "Reads one saved API response and prints its mentions as JSON Lines. "
            + "KIND is mastodon, bluesky, reddit, hackernews or x; a json source is named from --config.",
        options: [.source, .config.help("the config that defines a json source")],
        run: { arguments, terminal, environment throws(CommandError) in try ParseCommand.run(arguments, terminal: terminal, environment: environment) }
    )

    static let replay = CommandSpec(
        name: "replay", arguments: "RECORDING…", positionals: 1...64,
        summary: "Runs a recording (several files play as one, in the order given: a rotated recording's oldest first) "
            + "through the scoring and alert lifecycle in virtual time and prints every "
            + "notification the watch process would have sent, then per rule how many pages a day it would have sent "
            + "and how early it fired for the posts that reached --target, judged by what each post reached by the end "
            + "of the recording.",
        options: [.config.help("thresholds to try (default: the embedded config)"),
                  .query.help("what the watch searched for, as given to watch --query (with the embedded config): the brand's name, "
                              + "which tells a complaint about the brand from others"),
                  .brand.help("the brand's own account on the embedded config's sources, as given to watch --brand: turns on "
                              + "unanswered-complaint and spreading-after-answer where the recording holds no answer of the brand's"),
                  .format.help("text for people (default), json for one line per notification"), .send,
                  .stateDir.help("with --send: keep the outbox there, so what a crash interrupts is sent next time"), .trace, .traceEvery,
                  .report, .target, .sweep],
        run: { arguments, terminal, environment throws(CommandError) in try await ReplayCommand.run(arguments, terminal: terminal, environment: environment) }
    )

    static let eval = CommandSpec(
        name: "eval",
        summary: "Plays the shared real cascades through the scoring core as the watch process would see them "
            + "and reports how early and how rarely wrongly the critical rules fire.",
        options: [.config.help("the rules to judge (default: the embedded config)"),
                  .data.help("a folder with tideh/RT*.txt and twitter1516_dev.jsonl (default ../shared/data/cascades)"),
                  .seed, .pollInterval, .fit, .holdout,
                  .report.help("also write the evaluation as a self-contained HTML report: per view, how early and how often; the curves of the posts alerted on")],
        run: { arguments, terminal, environment throws(CommandError) in
            // Minutes of CPU on both cores (concurrentPerform blocks its caller): off Swift
            // concurrency's threads.
            let outcome: Result<ExitCode, CommandError> = await onDispatchThread {
                do throws(CommandError) { return .success(try EvalCommand.run(arguments, terminal: terminal, environment: environment)) } catch { return .failure(error) }
            }
            return try outcome.get()
        }
    )

    static let testAlert = CommandSpec(
        name: "test-alert",
        summary: "Renders a sample alert through each sink's template, sends it, and reports per sink what happened.",
        options: [.config.help("the config whose sinks to try (default: the embedded one)"), .sink],
        run: { arguments, terminal, environment throws(CommandError) in try await TestAlertCommand.run(arguments, terminal: terminal, environment: environment) }
    )

    static let silence = CommandSpec(
        name: "silence", arguments: "add [MATCHER…] | list | expire ID", positionals: 1...16,
        summary: "Holds back notifications for matching alerts; they are still tracked and shown by status. "
            + "add takes matchers that must all hold, as amtool writes them (rule=going-viral, author!=acme, author=~\"dana.*\", "
            + "source!~\"hn|x\"; on post, author, rule or source) and --for; expire ends one by its id from list, and it stays on "
            + "record (list --expired). Rule and source names are checked against the watch's config: --config's, the running watch's with --url, else that of the watch that last ran on the state directory, else the embedded one.",
        options: [.post, .author, .rule, .sourceMatcher, .duration, .comment, .expired, .url, .stateDir,
                  .config.help("the watch process's config: its state_dir (default: the embedded config's), and the rules and sources matchers may name")],
        run: { arguments, terminal, environment throws(CommandError) in try await SilenceCommand.run(arguments, terminal: terminal, environment: environment) }
    )

    static let status = CommandSpec(
        name: "status",
        summary: "Shows what the watch process last wrote (every 15 s): sources with their last poll and error, "
            + "the hottest posts, alerts firing (silenced ones marked), the outbox and the silences.",
        options: [.config.help("read state_dir from this config"), .stateDir, .url.help("a running watch's web address (http://host:9464): ask it through its API"),
                  .format.help("a table for people (default), or status.json as written")],
        run: { arguments, terminal, environment throws(CommandError) in try await StatusCommand.run(arguments, terminal: terminal, environment: environment) }
    )

    static let demo = CommandSpec(
        name: "demo",
        summary: "Plays a real cascade shipped with the binary through the live pipeline, so you see the growth, "
            + "the score and the alert in under a minute. Needs no credentials and no network.",
        options: [.speed],
        run: { arguments, terminal, environment throws(CommandError) in try await DemoCommand.run(arguments, terminal: terminal, environment: environment) }
    )

    static let bench = CommandSpec(
        name: "bench",
        summary: "Measures scoring and replay speed and memory (build with -c release) on a load copied from real "
            + "cascades, and prints one JSON line of medians.",
        options: [.config.help("the rules and scoring measured (default: the embedded config)"),
                  .data.help("the cascades copied: tideh/RT*.txt, seismic_tweet.csv, twitter1516_dev_first300.jsonl (default fixtures/cascades)"),
                  .posts, .runs, .report.help("also write the report `replay --report` makes of the load (its last run) to FILE")],
        run: { arguments, terminal, environment throws(CommandError) in try await BenchCommand.run(arguments, terminal: terminal, environment: environment) }
    )

    static let all = [watch, checkConfig, parse, replay, eval, testAlert, silence, status, demo, bench]
}
