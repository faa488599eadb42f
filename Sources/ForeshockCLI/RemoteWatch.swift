import ForeshockSupport
import ForeshockTransport
import Foundation

/// A running watch reached through its web API (`--url`), as amtool reaches Alertmanager: the
/// commands then work from any machine that can reach it. Changes carry the token from the
/// `FORESHOCK_TOKEN` environment variable.
struct RemoteWatch {
    let base: String
    let token: String?
    let command: String
    private let client = HTTPClient()

    /// - Throws: `CommandError` when `url` is not an http(s) URL.
    init(_ url: String, environment: [String: String], command: String) throws(CommandError) {
        let parts = URLParts(url)
        guard parts.scheme == "http" || parts.scheme == "https", parts.host != nil else {
            throw CommandError(.usage, "foreshock \(command): --url takes the watch's web address, such as http://127.0.0.1:9464, not \"\(url)\".")
        }
        base = url.hasSuffix("/") ? String(url.dropLast()) : url
        token = environment["FORESHOCK_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        self.command = command
    }

    /// Sends a request to the API and returns its JSON answer.
    /// - Throws: `CommandError` with the watch's own reason when it refuses, or why it could not be reached.
    func call(_ method: String, _ path: String, body: String? = nil) async throws(CommandError) -> JSONValue {
        var request = HTTPRequest(url: base + path, timeout: 15)
        request.method = method
        if let body {
            request.body = Data(body.utf8)
            request.headers.set("Content-Type", "application/json")
        }
        if let token { request.headers.set("Authorization", "Bearer \(token)") }
        let response: HTTPResponse
        do { response = try await client.send(request) } catch {
            throw CommandError(.runtime, "foreshock \(command): cannot reach the watch at \(base): \(error.message)")
        }
        let value = try? JSONValue.parse(response.body)
        guard (200..<300).contains(response.status) else {
            let reason = value?["error"]?.stringValue ?? "HTTP \(response.status)"
            // Without a token the fix is to set one; with one, to check it.
            let hint = response.status != 401 ? "" : token == nil ? " (set FORESHOCK_TOKEN to the watch's web.token)"
                : " (FORESHOCK_TOKEN is set, but not to the watch's web.token)"
            throw CommandError(response.status == 400 || response.status == 404 ? .usage : .runtime, "foreshock \(command): the watch at \(base) refused: \(reason)\(hint)")
        }
        guard let value else { throw CommandError(.runtime, "foreshock \(command): the watch at \(base) answered something that is not JSON") }
        return value
    }
}
