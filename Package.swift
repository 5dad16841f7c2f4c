// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "kru",
    platforms: [.macOS(.v13)],
    products: [
        // What an app depends on: the container and the inference engine, no LAPACK/BLAS.
        .library(name: "KRU", targets: ["KRUFormat", "KRUInference"]),
        .executable(name: "kru", targets: ["kru"]),
        .executable(name: "kru-bench", targets: ["kru-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
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
        .target(name: "CKroneckerKernels", path: "Sources/CKroneckerKernels"),
        .target(name: "KRUInference", dependencies: ["KRUFormat", "CKroneckerKernels"], path: "Sources/Inference"),
        .target(name: "KRUConvert", dependencies: ["KRUFormat", "KRUInference", "CZlib", "CLAPACK"], path: "Sources/Convert"),
        .target(name: "KRUTrain", dependencies: ["KRUInference", "CLAPACK"], path: "Sources/Train"),
        .executableTarget(
            name: "kru",
            dependencies: [
                "KRUFormat", "KRUInference", "KRUConvert", "KRUTrain",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/CLI"
        ),
        // Counts heap allocations by interposing malloc; linked into the benchmark executable only.
        .target(name: "CMallocCounter", path: "Sources/CMallocCounter"),
        .executableTarget(
            name: "kru-bench",
            dependencies: ["KRUFormat", "KRUInference", "KRUTrain", "CLAPACK", "CMallocCounter"],
            path: "Sources/Bench",
            swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]
        ),
        // KRUConvert only for its strict JSON parser, which reads the spec vectors' expected results.
        .testTarget(name: "KRUFormatTests", dependencies: ["KRUFormat", "KRUConvert"], path: "Tests/FormatTests"),
        .testTarget(name: "KRUInferenceTests", dependencies: ["KRUInference"], path: "Tests/InferenceTests"),
        // Runs the built `kru` executable; depending on it makes SwiftPM build it first.
        .testTarget(name: "KRUCLITests", dependencies: ["kru", "KRUConvert"], path: "Tests/CLITests"),
        .testTarget(name: "KRUConvertTests", dependencies: ["KRUConvert"], path: "Tests/ConvertTests"),
        .testTarget(name: "KRUTrainTests", dependencies: ["KRUTrain"], path: "Tests/TrainTests"),
    ]
)
