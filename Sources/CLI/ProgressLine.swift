import Foundation

/// A progress line with rate and ETA on a terminal (standard error), silent when standard error is not a
/// terminal, so piped output and CI logs stay clean.
final class ProgressLine {
    private let total: Int
    private let unit: String
    private let start = Date()
    private var lastDraw = Date.distantPast
    private let enabled = isatty(STDERR_FILENO) == 1

    init(total: Int, unit: String) {
        self.total = total
        self.unit = unit
    }

    func update(_ done: Int) {
        guard enabled, Date().timeIntervalSince(lastDraw) > 0.2 else { return }
        lastDraw = Date()
        let elapsed = lastDraw.timeIntervalSince(start)
        let rate = Double(done) / max(elapsed, 1e-9)
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let percent = String(format: "%.0f", 100 * Double(done) / Double(max(total, 1)))
        let line = "\r\(done)/\(total) \(unit) (\(percent)%), \(String(format: "%.0f", rate)) \(unit)/s, ETA \(String(format: "%.0f", eta)) s "
        FileHandle.standardError.write(Data(line.utf8))
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
