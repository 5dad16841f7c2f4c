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

    /// Redraws the line (at most five times a second): done/total, an optional status such as the current loss,
    /// the rate in units per second, optionally a second rate (`extra`: a running count and its unit), and the ETA.
    func update(_ done: Int, status: String? = nil, extra: (count: Double, unit: String)? = nil) {
        guard enabled, Date().timeIntervalSince(lastDraw) > 0.2 else { return }
        lastDraw = Date()
        let elapsed = max(lastDraw.timeIntervalSince(start), 1e-9)
        let rate = Double(done) / elapsed
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let percent = String(format: "%.0f", 100 * Double(done) / Double(max(total, 1)))
        var line = "\r\u{1B}[K\(done)/\(total) \(unit) (\(percent)%)"
        if let status { line += ", " + status }
        line += ", \(String(format: "%.1f", rate)) \(unit)/s"
        if let extra { line += ", \(String(format: "%.0f", extra.count / elapsed)) \(extra.unit)/s" }
        line += ", ETA \(String(format: "%.0f", eta)) s"
        FileHandle.standardError.write(Data(line.utf8))
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
