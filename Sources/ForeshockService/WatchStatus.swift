import ForeshockSupport
import Foundation

/// What `foreshock status` shows, as the watch process writes it to `status.json` in the state
/// directory every 15 seconds and when it stops.
package struct WatchStatus: Codable, Sendable {
    package struct Source: Codable, Sendable {
        package var name: String
        package var kind: String
        package var lastPoll: String?
        package var lastSuccess: String?
        package var lastError: String?
        package var downSince: String?
        package var polls: Int
        package var errors: Int
        package var mentions: Int
    }

    package struct Post: Codable, Sendable {
        package var source: String
        package var id: String
        package var author: String?
        package var url: String?
        package var text: String?
        package var ageSeconds: Double
        package var mode: String
        package var reshares: Int
        package var velocityPerMin: Double
        package var reach: Double
        package var predicted: Double?
        package var supercritical: Bool
        package var complaint: Bool
        package var answered: Bool
        /// The polled counters over time, oldest first (none when the API gives no counters).
        package var counters: [Counters]? = nil
    }

    package struct Counters: Codable, Sendable {
        package var time: String
        package var reshares: Int?
        package var replies: Int?
        package var likes: Int?
        package var quotes: Int?
    }

    package struct Alert: Codable, Sendable {
        package var key: String
        package var rule: String
        package var severity: String
        package var since: String
        package var lastNotified: String
        /// Why its notifications are held, when a silence matches.
        package var silencedBy: String?
    }

    package struct OutboxEntry: Codable, Sendable {
        package var sink: String
        package var id: String
        package var alerts: [String]
        package var queuedAt: String
    }

    package var writtenAt: String
    package var pid: Int32
    package var startedAt: String
    package var running: Bool
    package var sources: [Source]
    package var hottest: [Post]
    package var alerts: [Alert]
    package var outbox: [OutboxEntry]
    package var delivered: [String: Int]
    package var dead: [String: Int]

    package static func path(stateDir: String) -> String { (stateDir as NSString).appendingPathComponent("status.json") }

    package func write(stateDir: String) throws {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(self), to: Self.path(stateDir: stateDir))
    }

    package static func read(stateDir: String) throws -> WatchStatus {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(WatchStatus.self, from: Data(contentsOf: URL(fileURLWithPath: path(stateDir: stateDir))))
    }
}
