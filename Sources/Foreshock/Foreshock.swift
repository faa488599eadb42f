/// Foreshock: a virality early-warning monitor for brands' mention streams.
public enum Foreshock {
    /// The release version, shown by `foreshock --version` and sent as the User-Agent.
    public static let version = "0.1.0"

    /// libcurl's version string.
    public static var curlVersion: String { CurlGlobal.version }
}
