import Foundation

/// Timing of the alert lifecycle: `alerting` in the config.
package struct AlertingConfig: Sendable, Equatable {
    /// Notifications for one sink within this many seconds of a first one go out together.
    package var groupWait = 10.0
    /// A firing alert is sent again after this long.
    package var repeatInterval = 4 * 3600.0
    /// An alert resolves after this long with no rule holding.
    package var resolveAfter = 1800.0

    package init() {}

    static func read(_ object: ObjectReader) -> AlertingConfig {
        var alerting = AlertingConfig()
        alerting.groupWait = object.duration("group_wait", min: 0) ?? alerting.groupWait
        alerting.repeatInterval = object.duration("repeat_interval", min: 60) ?? alerting.repeatInterval
        alerting.resolveAfter = object.duration("resolve_after", min: 0) ?? alerting.resolveAfter
        object.finish()
        return alerting
    }
}

/// Notifications held back for matching alerts: `silences[]` in the config.
package struct SilenceConfig: Sendable, Equatable {
    package var post: String?
    package var author: String?
    package var rule: String?
    package var source: String?
    package var until: Date
    package var comment: String?

    package init(post: String? = nil, author: String? = nil, rule: String? = nil, source: String? = nil, until: Date, comment: String? = nil) {
        self.post = post
        self.author = author
        self.rule = rule
        self.source = source
        self.until = until
        self.comment = comment
    }

    static func read(_ object: ObjectReader, reader: ConfigReader, now: Date) -> SilenceConfig? {
        var matchers: (post: String?, author: String?, rule: String?, source: String?) = (nil, nil, nil, nil)
        if let match = object.object("match", required: true) {
            matchers = (match.string("post"), match.string("author"), match.string("rule"), match.string("source"))
            if matchers == (nil, nil, nil, nil) {
                reader.error(match.path, "matches nothing (give post, author, rule or source)")
            }
            match.finish()
        }
        let until = object.date("until")
        let span = object.duration("for", min: 1)
        let comment = object.string("comment")
        if object.has("until") == object.has("for") {
            reader.error(object.path, "give exactly one of until (a time) or for (a duration)")
        }
        object.finish()
        guard let end = until ?? span.map({ now.addingTimeInterval($0) }) else { return nil }
        return SilenceConfig(post: matchers.post, author: matchers.author, rule: matchers.rule, source: matchers.source, until: end, comment: comment)
    }
}
