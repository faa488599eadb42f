import ForeshockConfig
import ForeshockSupport
import ForeshockTransport
import Foundation
import Synchronization

/// Access tokens a source has to obtain itself and keep fresh: Reddit's application-only OAuth
/// (client credentials) and Bluesky's sessions (`createSession`, then `refreshSession`). Static
/// bearer tokens (Mastodon, X, json) need none of this and are added by the feed itself.
package final class FeedCredentials: Sendable {
    private struct Token {
        var access: String
        var refresh: String?
        var expiresAt: Date?
    }

    private let source: SourceConfig
    private let authentication: FeedNeeds.Authentication
    private let client: HTTPClient
    private let token = Mutex<Token?>(nil)

    /// - Parameter authentication: what the source's feed says its API needs.
    package init(source: SourceConfig, authentication: FeedNeeds.Authentication, client: HTTPClient) {
        self.source = source
        self.authentication = authentication
        self.client = client
    }

    /// Whether this source logs in at all: its API takes a credential and the config gives one.
    package var needed: Bool {
        switch authentication {
        case .clientCredentials: return source.clientID != nil
        case .session: return source.identifier != nil
        case .none: return false
        }
    }

    /// Adds `Authorization` to a request, logging in first when there is no valid token.
    /// - Throws: `FeedError.authentication` when the credentials are refused or missing.
    package func authorize(_ request: inout HTTPRequest, now: Date) async throws(FeedError) {
        guard needed else { return }
        let current = token.withLock { $0 }
        let access: String
        if let current, current.expiresAt.map({ $0.timeIntervalSince(now) > 60 }) ?? true {
            access = current.access
        } else if let current, let refresh = current.refresh, let renewed = try? await refreshSession(refresh, now: now) {
            access = renewed
        } else {
            access = try await logIn(now: now)
        }
        request.headers.set("Authorization", "Bearer \(access)")
    }

    /// The tokens obtained so far (access and refresh): a server's error may quote them.
    package var tokens: [String] {
        token.withLock { current in [current?.access, current?.refresh].compactMap { $0 }.filter { !$0.isEmpty } }
    }

    /// Forgets the token after the API refused it, so the next request logs in again.
    package func invalidate() {
        token.withLock { current in
            // Keep a Bluesky refresh token: refreshing is cheaper than a new login.
            if let refresh = current?.refresh { current = Token(access: "", refresh: refresh, expiresAt: .distantPast) } else { current = nil }
        }
    }

    private func logIn(now: Date) async throws(FeedError) -> String {
        switch authentication {
        case .clientCredentials: return try await redditToken(now: now)
        case .session, .none: return try await blueskySession(now: now)
        }
    }

    /// Application-only OAuth: `grant_type=client_credentials` with HTTP Basic auth.
    private func redditToken(now: Date) async throws(FeedError) -> String {
        guard let id = source.clientID?.value, let secret = source.clientSecret?.value else {
            throw FeedError(.authentication, "client_id or client_secret is not set")
        }
        var request = source.httpRequest(Self.redditTokenURL(source.baseURL), method: "POST", body: Data("grant_type=client_credentials".utf8))
        request.headers.add("Authorization", "Basic " + Data("\(id):\(secret)".utf8).base64EncodedString())
        request.headers.add("Content-Type", "application/x-www-form-urlencoded")
        if let agent = source.userAgent { request.headers.set("User-Agent", agent) }
        let body = try await exchange(request, what: "Reddit token request")
        guard let access = body["access_token"]?.text else {
            throw FeedError(.authentication, "Reddit refused the client credentials: \(body["error"]?.idString ?? "no access_token in the answer")")
        }
        let expires = body["expires_in"]?.doubleValue.map { now.addingTimeInterval($0) }
        token.withLock { $0 = Token(access: access, refresh: nil, expiresAt: expires) }
        return access
    }

    /// The token endpoint lives on www.reddit.com when the API is oauth.reddit.com, else beside the API.
    static func redditTokenURL(_ base: String) -> String {
        URLParts(base).host == "oauth.reddit.com" ? "https://www.reddit.com/api/v1/access_token" : base + "/api/v1/access_token"
    }

    private func blueskySession(now: Date) async throws(FeedError) -> String {
        guard let identifier = source.identifier, let password = source.appPassword?.value else {
            throw FeedError(.authentication, "identifier or app_password is not set")
        }
        let payload = "{\"identifier\":\(JSONText.quote(identifier)),\"password\":\(JSONText.quote(password))}"
        var request = source.httpRequest(source.baseURL + "/xrpc/com.atproto.server.createSession", method: "POST", body: Data(payload.utf8))
        request.headers.add("Content-Type", "application/json")
        return try storeSession(try await exchange(request, what: "Bluesky createSession"), now: now)
    }

    private func refreshSession(_ refresh: String, now: Date) async throws(FeedError) -> String {
        var request = source.httpRequest(source.baseURL + "/xrpc/com.atproto.server.refreshSession", method: "POST")
        request.headers.add("Authorization", "Bearer \(refresh)")
        return try storeSession(try await exchange(request, what: "Bluesky refreshSession"), now: now)
    }

    private func storeSession(_ body: JSONValue, now: Date) throws(FeedError) -> String {
        guard let access = body["accessJwt"]?.text else {
            throw FeedError(.authentication, "Bluesky refused the login: \(body["message"]?.text ?? body["error"]?.text ?? "no accessJwt in the answer")")
        }
        // Access tokens live about two hours; refresh a little before, without decoding the JWT.
        token.withLock { $0 = Token(access: access, refresh: body["refreshJwt"]?.text, expiresAt: now.addingTimeInterval(90 * 60)) }
        return access
    }

    private func exchange(_ request: HTTPRequest, what: String) async throws(FeedError) -> JSONValue {
        let response: HTTPResponse
        do {
            response = try await client.send(request)
        } catch {
            throw FeedError(.transport, "\(what) failed: \(error)")
        }
        let body = (try? JSONValue.parse(response.body)) ?? .null
        guard response.isSuccess else {
            let reason = body["message"]?.text ?? body["error"]?.idString ?? "status \(response.status)"
            throw FeedError(.authentication, "\(what) was refused (\(response.status)): \(reason)", status: response.status)
        }
        return body
    }
}
