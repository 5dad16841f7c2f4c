import Foundation

/// Writes `text` and a newline to standard error.
func printToStandardError(_ text: String) {
    FileHandle.standardError.write(Data("\(text)\n".utf8))
}

/// A note on standard error while a long section runs, only when standard error is a terminal (quiet in CI
/// logs and pipes, which get the report alone).
func progress(_ message: String) {
    guard isatty(STDERR_FILENO) == 1 else { return }
    printToStandardError("kru-bench: \(message)…")
}
