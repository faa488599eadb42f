import Dispatch
import ForeshockConfig
import ForeshockCore
import ForeshockService
import ForeshockSupport
import Foundation

/// `foreshock eval`: how early and how quietly the critical rules of a config fire on the
/// shared real cascades, seen as the watch process would see them.
enum EvalCommand {
    static func run(_ arguments: ParsedArguments, terminal: Terminal, environment: [String: String]) throws(CommandError) -> ExitCode {
        // The arguments first: a typo should not wait for 1,100 cascades to load.
        guard let seed = Int(arguments[.seed] ?? "0") else {
            throw CommandError(.usage, "foreshock eval: --seed takes a whole number, not \"\(arguments[.seed] ?? "")\".")
        }
        let config = try CommandConfig.load(arguments, environment: environment, query: "eval")
        var evaluator = CascadeEvaluation(config: config)
        if let text = arguments[.pollInterval] {
            guard let seconds = DurationText.seconds(text), seconds >= 1 else {
                throw CommandError(.usage, "foreshock eval: --poll-interval takes a duration of at least 1s, like 60s or 2m, not \"\(text)\".")
            }
            evaluator.pollInterval = seconds
        }
        let data = arguments[.data] ?? "../shared/data/cascades"
        if arguments.has(.fit), arguments.has(.holdout) {
            throw CommandError(.usage, "foreshock eval: --fit prints the factors fitted on all the data, --holdout judges factors fitted on half of it on the other half; give one of them.")
        }
        if arguments[.report] != nil, arguments.has(.fit) || arguments.has(.holdout) {
            throw CommandError(.usage, "foreshock eval: --report draws the evaluation of the config's rules; it goes with neither --fit nor --holdout.")
        }
        try CommandFile.checkReportPlace(arguments[.report], command: "eval")
        let sets = try DataSets.load(data, terminal: terminal)
        let tideh = sets.tideh, middle = sets.middle, real = sets.real
        let evaluation = evaluator
        let every = "counts every \(DurationText.short(evaluation.pollInterval))"
        // The posts that end small, and the same with follower counts drawn from real resharers.
        let pool = CascadeEvaluation.resharerFollowers(of: tideh)
        let ordinary = middle.filter { $0.times.count < 500 }
        // Drawn from TiDeH's resharers: without them, no such view.
        let withFollowers = pool.isEmpty ? [] : ordinary.enumerated().map { CascadeEvaluation.withFollowers($1, from: pool, seed: $0 &+ seed &* 1_000_003) }
        if arguments.has(.fit) || arguments.has(.holdout) {
            // Both fit the factors on Twitter15/16's posts that end under 500 (with followers
            // drawn from TiDeH's resharers) and the horizon on the real ordinary posts; the
            // holdout fits each on one half and judges the other.
            let least = arguments.has(.holdout) ? 2 : 1
            let short = [(ordinary.count, "twitter1516_dev.jsonl's posts ending under 500"), (pool.count, "tideh/'s resharers' follower counts"),
                         (real.liang.count + real.smh.count, "real ordinary posts (liang_random_dev.jsonl, smh/)")].filter { $0.0 < least }
            if !short.isEmpty {
                throw CommandError(.runtime, "foreshock eval: \(arguments.has(.fit) ? "--fit" : "--holdout") needs at least \(least) of each of "
                                   + short.map(\.1).joined(separator: ", ") + " in \(data); " + short.map { "\($0.0) found" }.joined(separator: ", ") + ".")
            }
        }
        if arguments.has(.fit) {
            terminal.print(describe(fit(ordinary: ordinary, withFollowers: withFollowers, real: real.liang + real.smh, model: config.scoring.seismic)))
            return .success
        }
        if arguments.has(.holdout) {
            // The shipped factors were fitted on the very posts that measure their false alarms.
            // Fitted on half of them and judged on the other half, then the other way round,
            // the false alarms are out of sample: what to expect on posts never seen.
            var heldOutAlerts: [Int] = [], heldOut = 0, realAlerts = 0
            let realOrdinary = real.liang + real.smh
            for fold in 0..<2 {
                let train = ordinary.indices.filter { $0 % 2 != fold }, test = ordinary.indices.filter { $0 % 2 == fold }
                let realTrain = realOrdinary.indices.filter { $0 % 2 != fold }.map { realOrdinary[$0] }
                let realTest = realOrdinary.indices.filter { $0 % 2 == fold }.map { realOrdinary[$0] }
                var folded = evaluation
                folded.calibration = fit(ordinary: train.map { ordinary[$0] }, withFollowers: train.map { withFollowers[$0] }, real: realTrain,
                                         model: config.scoring.seismic)
                let testIDs = Set(test.map { ordinary[$0].name })
                let judge = folded
                let judged = inParallel(realTest.count) { judge.run(realTest[$0], view: .events) }.filter { $0.alertAt != nil }.count
                realAlerts += judged
                terminal.print("fold \(fold + 1) of 2: sustained spread's horizon \(Int(folded.calibration.sustained.horizon)) min fitted on \(realTrain.count) real ordinary posts;"
                               + " critical alerts on the other \(realTest.count), every resharer known: \(judged) (\(percent(judged, realTest.count)))")
                let alerts = report(folded, tideh: tideh, ordinary: test.map { ordinary[$0] }, withFollowers: test.map { withFollowers[$0] }, real: real,
                                    middle: middle.filter { $0.times.count >= 500 || testIDs.contains($0.name) },
                                    label: "fold \(fold + 1) of 2, fitted on \(train.count) posts ending under 500, judged on the other \(test.count)", terminal: terminal)
                heldOutAlerts = heldOutAlerts.isEmpty ? alerts : zip(heldOutAlerts, alerts).map(+)
                heldOut += test.count
            }
            let views = ["resharers known", "\(every)", "\(every), author's followers drawn", "Twitter15/16 \(every), no followers"]
            terminal.print("held out, both folds: critical alerts on posts ending under 500 never fitted on, of \(heldOut): "
                           + zip(views, heldOutAlerts).map { "\($0) \($1) (\(percent($1, heldOut)))" }.joined(separator: "; "))
            terminal.print("held out, both folds: critical alerts on real ordinary posts (Liang's and SMH's) never fitted on, every resharer known: "
                           + "\(realAlerts) of \(realOrdinary.count) (\(percent(realAlerts, realOrdinary.count)))")
            return .success
        }
        var views: [View] = []
        _ = report(evaluation, tideh: tideh, ordinary: ordinary, withFollowers: withFollowers, real: real, middle: middle, label: nil, terminal: terminal) {
            views.append($0)
        }
        if let file = arguments[.report] {
            let sections = views.map { view in
                BacktestReport.Section.evaluation(view.cascades, results: view.results, view: view.view, title: view.title, about: view.about,
                                                  evaluation: evaluation)
            }
            try CommandFile.writeReport(BacktestReport.render(sections, title: "Foreshock evaluation on \(data)"), to: file, command: "eval", terminal: terminal)
        }
        return .success
    }

    /// One view `report` printed: its cascades and what the rules did on each.
    struct View {
        var title: String
        var about: String
        var cascades: [CascadeEvaluation.Cascade]
        var results: [CascadeEvaluation.Result]
        var view: CascadeEvaluation.View
    }

    /// Prints every view of the cascades through `evaluation`'s rules and factors.
    /// - Returns: the critical alerts on posts ending under 500 in each ordinary view, then
    ///   among `middle`'s.
    private static func report(_ evaluation: CascadeEvaluation, tideh: [CascadeEvaluation.Cascade], ordinary: [CascadeEvaluation.Cascade],
                               withFollowers: [CascadeEvaluation.Cascade], real: RealOrdinary, middle: [CascadeEvaluation.Cascade],
                               label: String?, terminal: Terminal, collect: (View) -> Void = { _ in }) -> [Int] {
        let every = "counts every \(DurationText.short(evaluation.pollInterval))"
        /// Runs a view's cascades and, when it has a report section (`title` and `about`), hands
        /// them to `collect` with what the rules did. The synthetic views with drawn follower
        /// counts and the real ordinary posts counts-only have none.
        func runAll(_ cascades: [CascadeEvaluation.Cascade], _ view: CascadeEvaluation.View,
                    section: (title: String, about: String)?) -> [CascadeEvaluation.Result] {
            let results = inParallel(cascades.count) { evaluation.run(cascades[$0], view: view) }
            if let section { collect(View(title: section.title, about: section.about, cascades: cascades, results: results, view: view)) }
            return results
        }
        if let label { terminal.print(label + ":") }
        let indent = label == nil ? "" : "  "
        // A view whose data is not there is left out (`DataSets.load` said so).
        if !tideh.isEmpty {
            let sizes = tideh.map { $0.times.count }
            let tidehAbout = "The \(tideh.count) TiDeH cascades, \(sizes.min() ?? 0) to \(sizes.max() ?? 0) reshares each."
            terminal.print(indent + CascadeEvaluation.describe(runAll(tideh, .events, section: ("TiDeH, every resharer known", tidehAbout)),
                                                               label: "TiDeH, every resharer known"))
            terminal.print(indent + CascadeEvaluation.describe(runAll(tideh, .counts, section: ("TiDeH, \(every)", tidehAbout)), label: "TiDeH, \(every)"))
        }
        var alerts: [Int] = []
        for (name, cascades, view) in [("ordinary (< 500), resharers known", withFollowers, CascadeEvaluation.View.events),
                                       ("ordinary (< 500), \(every)", ordinary, .counts),
                                       ("ordinary (< 500), \(every), author's followers drawn", withFollowers, .counts)] {
            let alerted = runAll(cascades, view, section: nil).filter { $0.alertAt != nil }.count
            alerts.append(alerted)
            if !cascades.isEmpty { terminal.print(indent + "\(name): \(cascades.count) cascades, critical alerts on \(alerted) (\(percent(alerted, cascades.count)))") }
        }
        // Ordinary authors with real follower counts: their posts that went viral, and real
        // ordinary posts that did not. Never fitted on, so out of sample in every mode.
        for view in [CascadeEvaluation.View.events, .counts] {
            let name = view == .events ? "every resharer known" : every
            if !real.viral.isEmpty {
            let results = runAll(real.viral, view, section: ("Ordinary authors' viral posts, \(name)",
                                 "Posts by authors under 100,000 followers that went past 1,000 reshares: the complaint this product exists for."))
            let each = results.map { "\($0.cascade.replacingOccurrences(of: ".txt", with: "").replacingOccurrences(of: ".csv", with: "")) "
                + ($0.resharesAtAlert.map { "\($0)" } ?? "none") }.joined(separator: ", ")
            terminal.print(indent + CascadeEvaluation.describe(results, label: "ordinary authors' viral posts (author under 100,000 followers), \(name)")
                           + (results.isEmpty ? "" : "; reshares at the alert: \(each)"))
            }
            for (set, cascades) in [("Liang's random sample", real.liang), ("SMH, posts about a news brand", real.smh)] where !cascades.isEmpty {
                let section = (title: "\(set), \(name)", about: "Real ordinary posts with their real follower counts, that stayed small: every alert here is one too many.")
                let alerted = runAll(cascades, view, section: view == .events ? section : nil).filter { $0.alertAt != nil }.count
                terminal.print(indent + "\(set), \(name): \(cascades.count) cascades, critical alerts on \(alerted) (\(percent(alerted, cascades.count)))")
            }
        }
        let middleResults = runAll(middle, .counts, section: middle.isEmpty ? nil : ("Twitter15/16, \(every), no followers",
                                   "Widely shared tweets (rumours and news, 2011–2016) seen as a counter a minute with no follower counts: the mode most APIs leave you in."))
        let small = zip(middle, middleResults).filter { $0.0.times.count < 500 }
        let falseAlarms = small.filter { $0.1.alertAt != nil }.count
        alerts.append(falseAlarms)
        if !middle.isEmpty {
            terminal.print(indent + CascadeEvaluation.describe(middleResults, label: "Twitter15/16, \(every), no followers"))
            terminal.print(indent + "  of those ending under 500: \(falseAlarms) of \(small.count) alerted (\(percent(falseAlarms, small.count)))")
        }
        return alerts
    }

    /// The real cascades of ordinary authors in the data folder, where they are there: the
    /// viral posts of authors under 100,000 followers (from TiDeH and `seismic_tweet.csv`) and
    /// the real ordinary posts with follower counts (Liang's random sample, SMH). Evaluation
    /// data only: their licences do not allow copying them into `fixtures/`.
    struct RealOrdinary: Sendable {
        var viral: [CascadeEvaluation.Cascade]
        var liang: [CascadeEvaluation.Cascade]
        var smh: [CascadeEvaluation.Cascade]
        static let ordinaryAuthor = 100_000.0
    }

    /// Every data set `eval` reads, as far as `--data` holds it: each file that cannot be read
    /// is said and left out, each data set missing is said with the views it leaves out.
    struct DataSets {
        var tideh: [CascadeEvaluation.Cascade] = []
        var middle: [CascadeEvaluation.Cascade] = []
        var real = RealOrdinary(viral: [], liang: [], smh: [])

        static func load(_ data: String, terminal: Terminal) throws(CommandError) -> DataSets {
            func path(_ name: String) -> String { (data as NSString).appendingPathComponent(name) }
            let manager = FileManager.default
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: data, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw CommandError(.runtime, "foreshock eval: \(data) is no directory (give --data DIR holding tideh/, twitter1516_dev.jsonl, seismic_tweet.csv, liang_random_dev.jsonl or smh/).")
            }
            let warn: @Sendable (String) -> Void = { terminal.printError("foreshock eval: " + $0) }
            func read<T>(_ file: String, _ load: (String) throws -> T) -> T? {
                do { return try load(file) } catch let error as CascadeEvaluation.NoCascade {
                    warn("\(error.description); left out")
                } catch {
                    warn("\(file): cannot be read (\(SystemReason.of(error))); left out")
                }
                return nil
            }
            /// The files of a folder whose names end in `suffix` (any case), in number order.
            func files(_ folder: String, _ suffix: String) -> [String]? {
                guard let names = try? manager.contentsOfDirectory(atPath: path(folder)) else { return nil }
                return names.filter { $0.lowercased().hasSuffix(suffix) }
                    .sorted { $0.compare($1, options: .numeric) == .orderedAscending }.map { path("\(folder)/\($0)") }
            }
            var sets = DataSets()
            var missing: [String] = []
            if let names = files("tideh", ".txt") {
                sets.tideh = names.compactMap { read($0) { try CascadeEvaluation.loadTiDeH($0, warn: warn) } }
            } else {
                missing.append("tideh/ (the TiDeH views, their ordinary authors' viral posts, and the followers drawn for Twitter15/16's small posts)")
            }
            if manager.fileExists(atPath: path("twitter1516_dev.jsonl")) {
                sets.middle = read(path("twitter1516_dev.jsonl")) { try CascadeEvaluation.loadTwitter1516($0, warn: warn) } ?? []
            } else {
                missing.append("twitter1516_dev.jsonl (the Twitter15/16 views and the posts ending under 500)")
            }
            var viral = sets.tideh
            if manager.fileExists(atPath: path("seismic_tweet.csv")), let tweet = read(path("seismic_tweet.csv"), { try CascadeEvaluation.loadTiDeH($0, warn: warn) }) {
                viral.append(tweet)
            }
            sets.real.viral = viral.filter { (($0.followers?.first ?? nil) ?? .infinity) < RealOrdinary.ordinaryAuthor }
            if manager.fileExists(atPath: path("liang_random_dev.jsonl")) {
                sets.real.liang = read(path("liang_random_dev.jsonl")) { try CascadeEvaluation.loadLiang($0, warn: warn) } ?? []
            } else {
                missing.append("liang_random_dev.jsonl (Liang's real ordinary posts)")
            }
            if let names = files("smh", ".csv") {
                sets.real.smh = names.compactMap { read($0) { try CascadeEvaluation.loadSMH($0, warn: warn) } }
            } else {
                missing.append("smh/ (SMH's posts about a news brand)")
            }
            guard !(sets.tideh.isEmpty && sets.middle.isEmpty && sets.real.viral.isEmpty && sets.real.liang.isEmpty && sets.real.smh.isEmpty) else {
                throw CommandError(.runtime, "foreshock eval: no cascades read in \(data) (expected tideh/RT*.txt, twitter1516_dev.jsonl, seismic_tweet.csv, liang_random_dev.jsonl or smh/*.csv).")
            }
            for set in missing { warn("not in \(data): \(set); left out") }
            return sets
        }
    }

    private static func percent(_ part: Int, _ whole: Int) -> String {
        String(format: "%.1f%%", 100 * Double(part) / Double(max(1, whole)))
    }

    /// The calibration tables fitted on the posts that ended under 500, as Swift for
    /// `Calibration.standard`: events on those posts with followers drawn from real resharers
    /// (margin 0.35: ½ let 1 of 797 through when fitted on half and judged on the other half,
    /// `--holdout`); in counts mode, the resharers' part on the same posts seen as counters with
    /// no followers at all (margin ⅞), then the author's part with the authors' followers drawn
    /// (margin ⅔, against that ⅞), then the resharers' part again at margin 1; and the
    /// sustained spread's horizon from the real ordinary posts `real`.
    static func fit(ordinary: [CascadeEvaluation.Cascade], withFollowers: [CascadeEvaluation.Cascade], real: [CascadeEvaluation.Cascade],
                    model: SeismicConfig) -> Calibration {
        func gather(_ count: Int, _ body: @escaping @Sendable (Int) -> [CalibrationFit.Moment]) -> [CalibrationFit.Moment] {
            inParallel(count, body).flatMap { $0 }
        }
        let events = CalibrationFit(model: model, base: .standard, ages: [15, 45, 90, 200, 450, 1200, 2700, 7200, 40000])
        var calibration = Calibration.standard
        calibration.ageFactors = events.fit(gather(withFollowers.count) { events.eventMoments(withFollowers[$0], upTo: 500) },
                                            margin: 0.35, part: { $0.author + $0.resharers })
        let counts = CalibrationFit(model: model, base: .standard, ages: [60, 120, 300, 600, 1800, 3600, 7200, 86400])
        let fitted = calibration
        calibration.countsAgeFactors = counts.fit(gather(ordinary.count) { counts.countMoments(ordinary[$0], interval: 60, typical: model.nStar, upTo: 500) },
                                                  margin: 0.875, part: \.resharers, fixed: { fitted.factor(age: $0.age) * $0.author })
        let withResharers = calibration
        calibration.countsAuthorAgeFactors = counts.fit(
            gather(withFollowers.count) { counts.countMoments(withFollowers[$0], interval: 60, typical: model.nStar, upTo: 500) },
            margin: 0.67, part: \.author, fixed: { withResharers.factor(age: $0.age, counts: true) * $0.resharers })
        // Then the resharers' part gets the room the 1% allows, as far as it holds out of sample:
        // margin 1 lets 3 of the 797 through and 6 (0.8%) when fitted on half and judged on the
        // other (`--holdout`); 1.1 and 1.15, which alert earlier on the cascades that pass 1,000
        // (337 and 316 reshares against 375), let 1.4% and 1.5% through out of sample. The
        // author's part stays fitted against ⅞, or it would shrink to nothing and big authors'
        // posts would page later.
        calibration.countsAgeFactors = withResharers.countsAgeFactors.map { .init($0.age, $0.factor / 0.875) }
        // The sustained spread: from real ordinary posts with their real followers, letting
        // through at most 1 in 400 (the target's 0.25%).
        calibration.sustained.horizon = events.fitHorizon(real, allowed: 0.0025, upTo: 500)
        return calibration
    }

    /// A calibration's tables as the Swift that `Calibration.standard` holds.
    static func describe(_ calibration: Calibration) -> String {
        func table(_ factors: [Calibration.AgeFactor]) -> String {
            "[" + factors.map { ".init(\(Int($0.age)), \(String(format: "%.2f", $0.factor)))" }.joined(separator: ", ") + "]"
        }
        return "ageFactors: \(table(calibration.ageFactors)),\ncountsAgeFactors: \(table(calibration.countsAgeFactors)),\n"
            + "countsAuthorAgeFactors: \(table(calibration.countsAuthorAgeFactors)),\n"
            + "sustained: SustainedSpread(horizon: \(String(format: "%.2f", calibration.sustained.horizon)))"
    }

    /// `body` for 0..<count on both cores at once (the cascades are independent), in index order.
    static func inParallel<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) -> T) -> [T] {
        let results = IndexedResults<T>(count: count)
        DispatchQueue.concurrentPerform(iterations: count) { results.set($0, body($0)) }
        return results.values
    }
}
