// swift-tools-version:6.0
// What a batched step costs per sequence in the engine, at batch sizes 1 … 64 (docs/SERVING.md, "Measured"):
//   swift run -c release --package-path tools/batch_probe batch-probe models/kjv-kru512.kru models/kjv-lstm512.kru
// A package of its own so the project's Package.swift stays as it is; it uses the project's KRU library.
import PackageDescription

let package = Package(
    name: "batch-probe",
    platforms: [.macOS(.v13)],
    dependencies: [.package(name: "kru", path: "../..")],
    targets: [
        .executableTarget(name: "batch-probe", dependencies: [.product(name: "KRU", package: "kru")]),
    ]
)
