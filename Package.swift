// swift-tools-version:6.1
import PackageDescription

/// Dependencies only the executables use, and only with the Tools trait on (see `traits`).
let tools = TargetDependencyCondition.when(traits: ["Tools"])

let package = Package(
    name: "kru",
    // Linux needs no entry. The library uses Swift concurrency's clocks and Duration (macOS 13, iOS 16 and their
    // siblings); the command-line tools and benchmarks need Linux's OpenBLAS/LAPACKE, or Accelerate's equivalents.
    platforms: [.macOS(.v13), .iOS(.v16), .tvOS(.v16), .watchOS(.v9), .visionOS(.v1)],
    products: [
        // What an app depends on: `import KRU` = the container and the inference engine, no LAPACK/BLAS.
        .library(name: "KRU", targets: ["KRU"]),
        .executable(name: "kru", targets: ["kru"]),
        .executable(name: "kru-bench", targets: ["kru-bench"]),
        // The HTTP server is its own product: only it (and its tests) compile SwiftNIO and Hummingbird.
        .executable(name: "kru-serve", targets: ["kru-serve"]),
    ],
    // An app that depends on the KRU library can leave this trait off (`.package(url: …, traits: [])`): SwiftPM then
    // resolves none of the tools' dependencies for it (swift-argument-parser, Hummingbird, SwiftNIO, …). Building
    // this package itself has it on.
    traits: [
        .trait(name: "Tools", description: "The kru and kru-serve executables and the packages only they use."),
        .default(enabledTraits: ["Tools"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // `kru zoo` checks model files' SHA-256. The range admits 4.x, which swift-nio-extras (the server's) resolves.
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        // The server's only (kru-serve and KRUServeTests); Hummingbird brings the NIO packages and swift-log.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // `swift package generate-documentation` (DocC); no target uses it, so apps never resolve it.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CZlib",
            path: "Sources/CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .systemLibrary(
            name: "CLAPACK",
            path: "Sources/CLAPACK",
            pkgConfig: "lapacke",
            providers: [.apt(["liblapacke-dev", "libopenblas-dev"])]
        ),
        .target(name: "KRUFormat", dependencies: ["CZlib"], path: "Sources/Format"),
        // SIMD kernels for the Kronecker chain in plain C, with AVX2/AVX-512 variants picked at run time.
        .target(name: "CInferenceKernels", path: "Sources/CInferenceKernels"),
        .target(name: "KRUInference", dependencies: ["KRUFormat", "CInferenceKernels"], path: "Sources/Inference"),
        // The umbrella module of the KRU product: re-exports KRUFormat and KRUInference.
        .target(name: "KRU", dependencies: ["KRUFormat", "KRUInference"], path: "Sources/KRU"),
        .target(name: "KRUConvert", dependencies: ["KRUFormat", "KRUInference", "CZlib", "CLAPACK"],
                path: "Sources/Convert"),
        // The trainer's single-precision kernels (Kronecker chain, cells), same dispatch style as the engine's.
        .target(name: "CTrainKernels", path: "Sources/CTrainKernels"),
        // KRUConvert for its NumPy reader (the classification and music data are .npy arrays).
        .target(name: "KRUTrain", dependencies: ["KRUInference", "KRUConvert", "CLAPACK", "CTrainKernels"],
                path: "Sources/Train"),
        .executableTarget(
            name: "kru",
            dependencies: [
                "KRUFormat", "KRUInference", "KRUConvert", "KRUTrain",
                .product(name: "ArgumentParser", package: "swift-argument-parser", condition: tools),
                .product(name: "Crypto", package: "swift-crypto", condition: tools),
            ],
            path: "Sources/CLI"
        ),
        // Counts heap allocations by interposing malloc; linked into the benchmark executable only.
        .target(name: "CMallocCounter", path: "Sources/CMallocCounter"),
        .executableTarget(
            name: "kru-bench",
            dependencies: ["KRUFormat", "KRUInference", "KRUTrain", "CInferenceKernels", "CLAPACK", "CMallocCounter"],
            path: "Sources/Bench",
            swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]
        ),
        // The HTTP server: routes, continuous batching, limits, metrics. KRUServe is a plain target (not a product) so
        // the tests can drive it in process; kru-serve is the thin executable.
        .target(
            name: "KRUServe",
            dependencies: [
                "KRUInference",
                .product(name: "Hummingbird", package: "hummingbird", condition: tools),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle", condition: tools),
                .product(name: "Prometheus", package: "swift-prometheus", condition: tools),
                .product(name: "NIOCore", package: "swift-nio", condition: tools),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras", condition: tools),
                .product(name: "HTTPTypes", package: "swift-http-types", condition: tools),
                .product(name: "Logging", package: "swift-log", condition: tools),
            ],
            path: "Sources/Serve"
        ),
        .executableTarget(
            name: "kru-serve",
            dependencies: ["KRUServe",
                           .product(name: "ArgumentParser", package: "swift-argument-parser", condition: tools)],
            path: "Sources/ServeCommand"
        ),
        // KRUConvert only for its strict JSON parser, which reads the spec vectors' expected results.
        .testTarget(name: "KRUFormatTests", dependencies: ["KRUFormat", "KRUConvert"], path: "Tests/FormatTests"),
        .testTarget(name: "KRUInferenceTests", dependencies: ["KRUInference"], path: "Tests/InferenceTests"),
        // Compiles the README's and the DocC catalogs' examples through `import KRU`, as an app would.
        .testTarget(name: "KRUExamplesTests", dependencies: ["KRU"], path: "Tests/ExamplesTests"),
        // Runs the built `kru` executable; depending on it makes SwiftPM build it first.
        .testTarget(name: "KRUCLITests", dependencies: ["kru", "KRUConvert"], path: "Tests/CLITests"),
        .testTarget(name: "KRUConvertTests", dependencies: ["KRUConvert"], path: "Tests/ConvertTests"),
        .testTarget(name: "KRUTrainTests", dependencies: ["KRUTrain"], path: "Tests/TrainTests"),
        // The server in process on a loopback port, driven over plain sockets (HummingbirdTesting would add
        // AsyncHTTPClient and BoringSSL to every build); `kru` is the oracle for seeded text and scores.
        .testTarget(
            name: "KRUServeTests", dependencies: ["KRUServe", "KRUInference", "kru", "kru-serve"],
            path: "Tests/ServeTests"
        ),
    ]
)
