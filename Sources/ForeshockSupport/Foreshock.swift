/// Foreshock: a virality early-warning monitor for brands' mention streams.
package enum Foreshock {
    /// The release version, shown by `foreshock --version` and sent as the User-Agent.
    package static let version = "0.1.0"
}
