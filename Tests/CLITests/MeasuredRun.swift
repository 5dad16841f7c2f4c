import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs the built `kru` as a child process and measures it: exit status, outputs, peak resident memory (from
/// `wait4`'s resource usage) and whether it had to be killed for running past a timeout (a hang).
struct MeasuredRun {
    let status: Int32
    let stdout: String
    let stderr: String
    /// The child's peak resident set size in bytes.
    let peakBytes: Int
    let timedOut: Bool

    /// Runs `kru arguments` from the package root with `stdin` as its standard input (none: /dev/null).
    static func kru(_ arguments: [String], stdin: String? = nil, timeout: Double = 120) throws -> MeasuredRun {
        let products = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let executable = products.appendingPathComponent("kru").path
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("kru-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let input = scratch.appendingPathComponent("in").path, output = scratch.appendingPathComponent("out").path,
            errors = scratch.appendingPathComponent("err").path
        try Data((stdin ?? "").utf8).write(to: URL(fileURLWithPath: input))

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdin == nil ? "/dev/null" : input, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errors, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        // The shell only changes to the package root and replaces itself with kru (same process, so wait4
        // measures kru).
        let command = ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", CLITests.root.path, executable] + arguments
        let argv = command.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/bin/sh", &actions, nil, argv, environ)
        guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EIO) }

        var status: Int32 = 0
        var usage = rusage()
        var timedOut = false
        let deadline = Date().addingTimeInterval(timeout)
        while wait4(pid, &status, WNOHANG, &usage) == 0 {
            if Date() > deadline {
                kill(pid, SIGKILL)
                timedOut = true
                _ = wait4(pid, &status, 0, &usage)
                break
            }
            usleep(5_000)
        }
        let exited = status & 0x7f == 0
        return MeasuredRun(status: exited ? (status >> 8) & 0xff : 128 + (status & 0x7f),
                           stdout: (try? String(contentsOfFile: output, encoding: .utf8)) ?? "",
                           stderr: (try? String(contentsOfFile: errors, encoding: .utf8)) ?? "",
                           peakBytes: usage.ru_maxrss * 1024, timedOut: timedOut)
    }
}
