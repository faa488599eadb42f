/// An account's handle as people write it (`@Acme`, `@acme@mastodon.social`) and as the APIs
/// name it: one reading for the brand's accounts wherever they are checked or compared.
package enum AccountHandle {
    /// The handle without its leading `@`, lowercased: how people write it is not how answers
    /// name it.
    package static func bare(_ name: String) -> String {
        (name.hasPrefix("@") ? String(name.dropFirst()) : name).lowercased()
    }

    /// The bare handle at its first `@`: `@acme@server` is `acme` on `server`; `acme` names no
    /// server.
    package static func parts(_ name: String) -> (user: String, domain: String?) {
        let bare = bare(name)
        guard let at = bare.firstIndex(of: "@") else { return (bare, nil) }
        return (String(bare[..<at]), String(bare[bare.index(after: at)...]))
    }
}
