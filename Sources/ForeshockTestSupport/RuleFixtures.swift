import Foundation
import ForeshockConfig

package func rule(_ name: String, _ severity: Severity, _ build: (inout RuleConditions) -> Void) -> RuleConfig {
    var when = RuleConditions()
    build(&when)
    return RuleConfig(name: name, severity: severity, when: when)
}

package func scoringConfig(_ rules: [RuleConfig]) -> Config {
    var config = Config()
    config.rules = rules
    config.alerting.repeatInterval = 4 * 3600
    config.alerting.resolveAfter = 1800
    return config
}
