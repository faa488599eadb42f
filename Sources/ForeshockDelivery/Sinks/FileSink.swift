import ForeshockCore
import ForeshockSupport
import Foundation

/// JSON Lines appended to a file: the alert object replay prints, one per notification.
package struct FileSink: AlertSink {
    package let name: String
    package var maxPerMinute: Int? { nil }
    package let path: String

    package init(name: String, path: String) {
        self.name = name
        self.path = path
    }

    package func render(_ notes: [AlertNotification], id: String) -> [(id: String, body: Data)] {
        [(id, Data(notes.map { $0.jsonLine + "\n" }.joined().utf8))]
    }

    package func send(_ body: Data, id: String) async throws(DeliveryError) {
        do {
            try AppendOnlyFile.append(body, to: path)
        } catch let error as AppendOnlyFile.CannotCreate {
            throw DeliveryError(.permanent, error.description)
        } catch {
            // A full disk may clear up; keep trying rather than lose the line.
            throw DeliveryError(.transient, "cannot append to \(path): \(SystemReason.of(error))")
        }
    }
}
