import Foundation
import Testing
@testable import ForeshockConfig
@testable import ForeshockCore
@testable import ForeshockService
@testable import ForeshockTestSupport

@Suite("--sweep's specs")
struct SweepSpecTests {
    static let rules = [rule("going-viral", .critical) { $0.predictedResharesAtLeast = 1000; $0.minReshares = 5 },
                        rule("busy", .warning) { $0.volumeSpikeRatioAtLeast = 3 }]

    static func problem(_ text: String) -> String? {
        do { _ = try SweepSpec.parse(text, rules: rules); return nil } catch { return error.description }
    }

    @Test("A spec reads as values of one condition of one rule, durations and whole numbers as such")
    func reads() throws {
        let specs = try SweepSpec.parse("going-viral.predicted_reshares_at_least=300,1000 going-viral.max_age=1h,2d", rules: Self.rules)
        #expect(specs.map(\.label) == ["going-viral.predicted_reshares_at_least", "going-viral.max_age"])
        #expect(specs[0].values == [300, 1000] && specs[1].values == [3600, 172_800])
        #expect(specs[1].format(3600) == "1h")
        var config = Config()
        config.rules = Self.rules
        specs[0].apply(300, to: &config)
        #expect(config.rules[0].when.predictedResharesAtLeast == 300 && config.rules[1].when.volumeSpikeRatioAtLeast == 3)
    }

    @Test("Each wrong spec is refused in one sentence naming what is wrong")
    func refusals() {
        let cases: [(String, String)] = [
            ("going-viral", "--sweep takes RULE.CONDITION=V1,V2,…"),
            ("goingviral.min_reshares=5", "the config has no rule \"goingviral\" (its rules: going-viral, busy)"),
            ("going-viral.min_reshare=5", "Did you mean min_reshares?"),
            ("going-viral.min_reshares=5,many", "takes a whole number per value, not \"many\""),
            ("going-viral.min_reshares=2.5", "takes a whole number per value, not \"2.5\""),
            ("going-viral.predicted_reshares_at_least=-5", "takes values of 0 or more, not \"-5\""),
            ("going-viral.max_age=soon", "takes a duration such as 30m per value"),
            ("going-viral.predicted_reshares_at_least=" + (1...51).map(String.init).joined(separator: ","), "between 1 and 50 values"),
            ("busy.min_reshares=2", "would turn busy from a rule about a source's volume into one about posts"),
        ]
        for (text, expected) in cases {
            let said = Self.problem(text)
            #expect(said?.contains(expected) == true, "\(text): \(said ?? "accepted")")
            #expect(said?.contains("\n") == false)
        }
        #expect(throws: SweepSpec.Problem.self) { try SweepSpec.checkDistinct(try SweepSpec.parse("busy.volume_spike_ratio_at_least=2 busy.volume_spike_ratio_at_least=3", rules: Self.rules)) }
    }
}
