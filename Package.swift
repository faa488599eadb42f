// swift-tools-version:6.0
import PackageDescription

// No package dependencies by design: only the toolchain and the system's libcurl.
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
        .target(
            name: "Foreshock",
            dependencies: ["CCurl"],
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
