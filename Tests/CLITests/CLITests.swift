import Foundation
import Testing

/// The `kru` executable as a user runs it: output, exit status, one-line errors.
struct CLITests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Runs the built `kru` (beside this test bundle) and returns its exit status and outputs.
    static func kru(_ arguments: String...) throws -> (status: Int32, stdout: String, stderr: String) {
        try kru(arguments: arguments)
    }

    /// The built `kru`: the test runner is .build/<triple>/<configuration>/kruPackageTests.xctest, and `kru` is built
    /// beside it.
    static var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("kru")
    }

    /// ``kru(_:)`` with an array of arguments, run in `directory` (default: the repository root) with the test's
    /// environment changed by `environment` (a nil value removes the variable), from `executable` (a copy or a link
    /// of ``executable``). `KRU_MODELS` is removed unless given, so the caller's shell cannot change where a model
    /// name is looked up.
    static func kru(arguments: [String], in directory: URL = root, environment: [String: String?] = [:],
                    executable: URL = executable) throws -> (status: Int32, stdout: String, stderr: String) {
        var variables = ProcessInfo.processInfo.environment
        variables["KRU_MODELS"] = nil
        for (name, value) in environment { variables[name] = value }
        var attempt = 0
        while true {
            let process = Process()
            process.executableURL = executable
            process.arguments = arguments
            process.currentDirectoryURL = directory
            process.environment = variables
            let out = Pipe(), err = Pipe()
            process.standardOutput = out
            process.standardError = err
            do {
                try process.run()
            } catch let error as NSError where Self.isTextFileBusy(error) && attempt < 50 {
                // A freshly copied executable (a test's private kru) is "busy" while a process that another test
                // forked in parallel still holds the copy's write descriptor, until that child calls exec. The
                // window is short: wait and launch again.
                attempt += 1
                Thread.sleep(forTimeInterval: 0.05)
                continue
            }
            return collect(process, out: out, err: err)
        }
    }

    /// ETXTBSY from `Process.run`, possibly wrapped by Foundation.
    private static func isTextFileBusy(_ error: NSError) -> Bool {
        if error.domain == NSPOSIXErrorDomain && error.code == Int(ETXTBSY) { return true }
        guard let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError else { return false }
        return isTextFileBusy(underlying)
    }

    /// Reads a launched process's output to the end and waits for it.
    private static func collect(_ process: Process, out: Pipe, err: Pipe)
        -> (status: Int32, stdout: String, stderr: String) {
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self),
                String(decoding: stderr, as: UTF8.self))
    }

    @Test func inspectPrintsTheTensorTable() throws {
        let result = try Self.kru("inspect", "spec/vectors/valid/all_dtypes.kru")
        #expect(result.status == 0)
        #expect(result.stdout.contains(".kru v1.0, 2519 bytes"))
        #expect(result.stdout.contains(
            "complex128.zlib    complex128  [2, 8]    zlib         22      256  11.64  8dc22f1f  ok"))
    }

    @Test func inspectJSONIsMachineReadable() throws {
        let result = try Self.kru("inspect", "--json", "spec/vectors/valid/all_dtypes.kru")
        let document = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let tensors = document?["tensors"] as? [[String: Any]]
        #expect(tensors?.count == 20)
        #expect(tensors?.allSatisfy { $0["status"] as? String == "ok" } == true)
    }

    @Test(arguments: ["bad_magic", "truncated_header", "tensor_checksum", "directory_checksum"])
    func damagedFilesGiveOneLineErrorsAndStatus65(vector: String) throws {
        let path = "spec/vectors/invalid/\(vector).kru"
        #expect(FileManager.default.fileExists(atPath: Self.root.appendingPathComponent(path).path), "missing \(path)")
        let result = try Self.kru("inspect", path)
        #expect(result.status == 65)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix("kru: error: \(path): ") == true)
    }
}
