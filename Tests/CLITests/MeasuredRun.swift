import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs the built `kru` as a child process and measures it: exit status, outputs, peak resident memory and
/// whether it had to be stopped for running past a timeout (a hang).
///
/// The peak comes from `wait4`-style resource usage, measured by a small Python launcher that forks `kru` itself:
/// on Linux a child's `ru_maxrss` starts from the resident size of the process that created it (exec records the
/// old address space's high-water mark), so a child spawned straight from this test process — hundreds of MB
/// while other tests run — would report that instead of its own peak.
struct MeasuredRun {
    let status: Int32
    let stdout: String
    let stderr: String
    /// The child's peak resident set size in bytes (including the launcher's ~10 MB at the fork).
    let peakBytes: Int
    let timedOut: Bool

    private static let launcher = """
        import os, resource, signal, sys
        report, root, timeout, executable = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
        pid = os.fork()
        if pid == 0:
            os.chdir(root)
            signal.alarm(timeout)  # survives exec: a hang ends with SIGALRM
            os.execv(executable, [executable] + sys.argv[5:])
        _, status = os.waitpid(pid, 0)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        timed_out = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGALRM
        with open(report, "w") as f:
            f.write(f"{peak * 1024} {int(timed_out)}")
        sys.exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))
        """

    /// Runs `kru arguments` from the package root with `stdin` as its standard input (none: /dev/null).
    static func kru(_ arguments: [String], stdin: String? = nil, timeout: Int = 120) throws -> MeasuredRun {
        let products = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let executable = products.appendingPathComponent("kru").path
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("kru-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let input = scratch.appendingPathComponent("in").path, output = scratch.appendingPathComponent("out").path,
            errors = scratch.appendingPathComponent("err").path, report = scratch.appendingPathComponent("report").path
        try Data((stdin ?? "").utf8).write(to: URL(fileURLWithPath: input))

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdin == nil ? "/dev/null" : input, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errors, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let command = ["/usr/bin/env", "python3", "-c", launcher, report,
                       CLITests.root.path, String(timeout), executable]
            + arguments
        let argv = command.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/usr/bin/env", &actions, nil, argv, environ)
        guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EIO) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}

        let measured = ((try? String(contentsOfFile: report, encoding: .utf8)) ?? "").split(separator: " ")
        let exited = status & 0x7f == 0
        return MeasuredRun(status: exited ? (status >> 8) & 0xff : 128 + (status & 0x7f),
                           stdout: (try? String(contentsOfFile: output, encoding: .utf8)) ?? "",
                           stderr: (try? String(contentsOfFile: errors, encoding: .utf8)) ?? "",
                           peakBytes: measured.first.flatMap { Int($0) } ?? .max,
                           timedOut: measured.count == 2 && measured[1] == "1")
    }
}
