import Foundation

/// What `foreshock status` shows, as the watch process writes it to `status.json` in the state
/// directory every 15 seconds and when it stops.
public struct WatchStatus: Codable, Sendable {
    public struct Source: Codable, Sendable {
        public var name: String
        public var kind: String
        public var lastPoll: String?
        public var lastSuccess: String?
        public var lastError: String?
        public var downSince: String?
        public var polls: Int
        public var errors: Int
        public var mentions: Int
    }

    public struct Post: Codable, Sendable {
        public var source: String
        public var id: String
        public var author: String?
        public var url: String?
        public var text: String?
        public var ageSeconds: Double
        public var mode: String
        public var reshares: Int
        public var velocityPerMin: Double
        public var reach: Double
        public var predicted: Double?
        public var supercritical: Bool
        public var complaint: Bool
        public var answered: Bool
        /// The polled counters over time, oldest first (none when the API gives no counters).
        public var counters: [Counters]? = nil
    }

    public struct Counters: Codable, Sendable {
        public var time: String
        public var reshares: Int?
        public var replies: Int?
        public var likes: Int?
        public var quotes: Int?
    }

    public struct Alert: Codable, Sendable {
        public var key: String
        public var rule: String
        public var severity: String
        public var since: String
        public var lastNotified: String
        /// Why its notifications are held, when a silence matches.
        public var silencedBy: String?
    }

    public struct OutboxEntry: Codable, Sendable {
        public var sink: String
        public var id: String
        public var alerts: [String]
        public var queuedAt: String
    }

    public var writtenAt: String
    public var pid: Int32
    public var startedAt: String
    public var running: Bool
    public var sources: [Source]
    public var hottest: [Post]
    public var alerts: [Alert]
    public var outbox: [OutboxEntry]
    public var delivered: [String: Int]
    public var dead: [String: Int]

    public static func path(stateDir: String) -> String { (stateDir as NSString).appendingPathComponent("status.json") }

    public func write(stateDir: String) throws {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(self), to: Self.path(stateDir: stateDir))
    }

    public static func read(stateDir: String) throws -> WatchStatus {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(WatchStatus.self, from: Data(contentsOf: URL(fileURLWithPath: path(stateDir: stateDir))))
    }
}
