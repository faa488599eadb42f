// swift-tools-version:6.0
import PackageDescription

// No package dependencies by design: only the toolchain, the system's libcurl, and HMAC from
// the system's OpenSSL libcrypto (which libcurl4-openssl-dev already pulls in).
let package = Package(
    name: "Foreshock",
    products: [
        .executable(name: "foreshock", targets: ["foreshock"]),
        .library(name: "Foreshock", targets: ["Foreshock"]),
    ],
    targets: [
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .systemLibrary(
            name: "CCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        // The C library's calls that Swift's Glibc module leaves out (malloc_trim).
        .systemLibrary(name: "CSystem"),
        .target(
            name: "Foreshock",
            dependencies: ["CCurl", "CCrypto", "CSystem"],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "foreshock",
            dependencies: ["Foreshock"],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .testTarget(
            name: "ForeshockTests",
            dependencies: ["Foreshock"],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)
