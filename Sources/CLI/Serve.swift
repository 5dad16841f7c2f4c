import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `kru serve`: runs the `kru-serve` executable built beside `kru`, so the HTTP server (and SwiftNIO) is compiled
/// only by those who build it, never by `swift build --product kru`.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve models over HTTP (runs kru-serve; see kru-serve --help and docs/SERVING.md).",
        discussion: """
            Replaces itself with the kru-serve executable from the same directory as kru, passing every argument \
            on: `kru serve --models models --port 8080`. Build it with `swift build -c release --product kru-serve`.
            """
    )

    @Argument(parsing: .captureForPassthrough, help: "Arguments for kru-serve (e.g. --models DIR --port 8080).")
    var arguments: [String] = []

    func run() throws {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let server = executable.deletingLastPathComponent().appendingPathComponent("kru-serve").path
        guard FileManager.default.isExecutableFile(atPath: server) else {
            throw CLIError(.noInput, "kru serve runs kru-serve, which is not built beside \(executable.path); build "
                           + "it with `swift build -c release --product kru-serve`")
        }
        let argv = ([server] + arguments).map { strdup($0) } + [nil]
        execv(server, argv)
        throw CLIError(.noInput, "cannot run \(server): \(String(cString: strerror(errno)))")
    }
}
