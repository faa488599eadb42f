// swift-tools-version:6.0
import PackageDescription

// No package dependencies by design: only the toolchain, the system's libcurl, HMAC from the
// system's OpenSSL libcrypto (which libcurl4-openssl-dev already pulls in), and GNU
// libmicrohttpd for the watch process's web server.
//
// One target per stage, each depending only on those before it, so the compiler keeps the data
// flowing one way: feed → observation → scoring → rules → outbox → sink (docs/architecture.md).
//
//   ForeshockSupport    JSON, files, time, safe text, logging: no stage of its own
//   ForeshockTransport  libcurl (HTTP, SMTP), libmicrohttpd (the web server) and HMAC: the only target that imports the C modules
//   ForeshockConfig     the config file, read and checked
//   ForeshockFeeds      the networks' APIs, polled into mentions
//   ForeshockCore       observations, scoring, rules and the alert lifecycle: no I/O, no clock
//   ForeshockDelivery   outbox, notifier, templates and sinks
//   ForeshockService    the watch process, its state and recordings, replay and evaluation
//   ForeshockCLI        the commands
let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "Foreshock",
    products: [
        .executable(name: "foreshock", targets: ["foreshock"]),
    ],
    targets: [
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // The watch process's web server (/metrics, health, the API, the live page): GNU libmicrohttpd.
        .systemLibrary(name: "CMicroHTTPD", pkgConfig: "libmicrohttpd", providers: [.apt(["libmicrohttpd-dev"])]),
        // The C library's calls that Swift's Glibc module leaves out (malloc_trim).
        .systemLibrary(name: "CSystem"),

        .target(name: "ForeshockSupport", dependencies: ["CSystem"], swiftSettings: strict),
        .target(name: "ForeshockTransport", dependencies: ["CCurl", "CCrypto", "CMicroHTTPD", "ForeshockSupport"], swiftSettings: strict),
        .target(name: "ForeshockConfig", dependencies: ["ForeshockSupport", "ForeshockTransport"], swiftSettings: strict),
        .target(name: "ForeshockFeeds", dependencies: ["ForeshockSupport", "ForeshockTransport", "ForeshockConfig"], swiftSettings: strict),
        .target(name: "ForeshockCore", dependencies: ["ForeshockSupport", "ForeshockConfig"], swiftSettings: strict),
        .target(name: "ForeshockDelivery", dependencies: ["ForeshockSupport", "ForeshockTransport", "ForeshockConfig", "ForeshockCore"],
                // alerts/ through the symlink Resources/alerts: compiled in, so the binary needs no files beside it.
                exclude: ["Resources/alerts/README.md"],
                resources: ["email.txt", "email.html", "slack.json", "webhook.json", "pagerduty.json"].map { .embedInCode("Resources/alerts/\($0)") },
                swiftSettings: strict),
        .target(name: "ForeshockService",
                dependencies: ["ForeshockSupport", "ForeshockTransport", "ForeshockConfig", "ForeshockFeeds", "ForeshockCore", "ForeshockDelivery"],
                swiftSettings: strict),
        .target(name: "ForeshockCLI",
                dependencies: ["ForeshockSupport", "ForeshockTransport", "ForeshockConfig", "ForeshockFeeds", "ForeshockCore", "ForeshockDelivery",
                               "ForeshockService"],
                swiftSettings: strict),
        .executableTarget(name: "foreshock", dependencies: ["ForeshockCLI"], swiftSettings: strict),

        // Helpers the tests share: fixture servers, child processes, the recorded payloads, the CLI run in-process.
        .target(name: "ForeshockTestSupport",
                dependencies: ["ForeshockSupport", "ForeshockTransport", "ForeshockConfig", "ForeshockFeeds", "ForeshockCore", "ForeshockDelivery", "ForeshockCLI"],
                swiftSettings: strict),
        .testTarget(name: "ForeshockSupportTests", dependencies: ["ForeshockSupport", "ForeshockConfig", "ForeshockCore", "ForeshockService", "ForeshockTestSupport"], swiftSettings: strict),
        .testTarget(name: "ForeshockTransportTests", dependencies: ["ForeshockSupport", "ForeshockTransport", "ForeshockConfig", "ForeshockDelivery", "ForeshockTestSupport"], swiftSettings: strict),
        .testTarget(name: "ForeshockConfigTests", dependencies: ["ForeshockSupport", "ForeshockConfig", "ForeshockCore", "ForeshockTestSupport"], swiftSettings: strict),
        .testTarget(name: "ForeshockFeedsTests", dependencies: ["ForeshockSupport", "ForeshockTransport", "ForeshockConfig", "ForeshockFeeds", "ForeshockCore", "ForeshockService", "ForeshockTestSupport"], swiftSettings: strict),
        .testTarget(name: "ForeshockCoreTests", dependencies: ["ForeshockSupport", "ForeshockConfig", "ForeshockCore", "ForeshockService", "ForeshockTestSupport"], swiftSettings: strict),
        .testTarget(name: "ForeshockDeliveryTests", dependencies: ["ForeshockSupport", "ForeshockTransport", "ForeshockConfig", "ForeshockCore", "ForeshockDelivery", "ForeshockCLI", "ForeshockTestSupport"], swiftSettings: strict),
        .testTarget(name: "ForeshockServiceTests", dependencies: ["ForeshockSupport", "ForeshockTransport", "ForeshockConfig", "ForeshockFeeds", "ForeshockCore", "ForeshockDelivery", "ForeshockService", "ForeshockCLI", "ForeshockTestSupport"], swiftSettings: strict),
        .testTarget(name: "ForeshockCLITests", dependencies: ["ForeshockSupport", "ForeshockTransport", "ForeshockConfig", "ForeshockCore", "ForeshockDelivery", "ForeshockService", "ForeshockCLI", "ForeshockTestSupport"], swiftSettings: strict),
    ]
)
