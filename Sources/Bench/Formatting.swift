import Foundation

/// A duration in the unit that keeps three significant digits readable: ns, µs, ms or s.
func formatDuration(_ seconds: Double) -> String {
    switch seconds {
    case ..<1e-6: String(format: "%.0f ns", seconds * 1e9)
    case ..<1e-3: String(format: "%.2f µs", seconds * 1e6)
    case ..<1: String(format: "%.2f ms", seconds * 1e3)
    default: String(format: "%.2f s", seconds)
    }
}

func formatRatio(_ ratio: Double) -> String { String(format: ratio >= 100 ? "%.0f×" : "%.1f×", ratio) }

func formatRate(_ perSecond: Double) -> String { String(format: "%.0f", perSecond) }

/// Columns separated by two spaces; the first `leftAligned` columns are left-aligned, the rest right-aligned
/// (numbers line up on their last digit).
func formatTable(_ rows: [[String]], leftAligned: Int = 1) -> [String] {
    guard let columns = rows.map(\.count).max() else { return [] }
    let widths = (0..<columns).map { c in rows.map { c < $0.count ? $0[c].count : 0 }.max() ?? 0 }
    return rows.map { row in
        row.enumerated().map { c, cell in
            let padding = String(repeating: " ", count: widths[c] - cell.count)
            return c < leftAligned ? cell + padding : padding + cell
        }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
    }
}
