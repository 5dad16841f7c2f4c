import Foundation
import KRUInference

/// What a run would need in memory, estimated from its architecture and sizes before anything large is allocated,
/// so that an impossible request (a delay of 10⁹ steps, a batch of 2⁶², 24 factors of 2 × 2) is refused with one
/// line naming the memory instead of crashing or swapping.
///
/// The estimate counts what grows with the model and the chunk: the parameters with the optimizer's moments, the
/// gradients and the passes' copies; and per row of a chunk (steps × sequences), every layer's tapes, the outputs
/// and their gradients, and the batch itself. It is meant to be right within a factor of about two.
enum TrainingMemory {
    /// Estimated bytes for a run of `architecture` whose largest pass covers `rows` rows (steps × sequences).
    static func bytes(_ architecture: KRUArchitecture, rows: Int, precision: TrainingPrecision, threads: Int,
                      keepBest: Bool) -> Double {
        let parameters = Double(ParameterLayout(architecture: architecture).scalarCount)
        // Double: the network, Adam's two moments, the gradient, the pass's copy, the update's before-copy
        // (and the best parameters); single: a Float copy and a Float gradient per worker and one in all.
        var total = parameters * 8 * (keepBest ? 6 : 5)
        if precision == .single { total += parameters * 4 * Double(2 + threads) }
        let scalar = precision == .single ? 4.0 : 8.0
        var perRow = 0.0
        for (l, layer) in architecture.layers.enumerated() {
            let n = Double(layer.hiddenSize), g = Double(layer.gateCount)
            let d = Double(architecture.inputWidth(ofLayer: l))
            let chain = layer.factorShapes.isEmpty ? 0.0 : n
            // z, h, output and their gradients (complex), or the gates, state and gradients of a real cell, the
            // input rows' gradient, and (single precision) h_{t−1} again in the chain's interleaved layout.
            let tape = layer.isComplex ? 12 * n + 2 * chain : (3 * g + 4) * n + (precision == .single ? chain : 0)
            perRow += (tape + d) * scalar
        }
        perRow += Double(architecture.output.width) * (scalar + 16) + 32  // logits, their gradient, inputs and targets
        return total + perRow * Double(rows)
    }

    /// Refuses a run whose estimate exceeds the machine's physical memory.
    /// - Throws: ``TrainingRunError`` of kind `.usage` naming the memory needed and what makes it large.
    static func check(_ architecture: KRUArchitecture, rows: Double, steps: Double, sequences: Int,
                      precision: TrainingPrecision, threads: Int, keepBest: Bool) throws(TrainingRunError) {
        let available = Double(ProcessInfo.processInfo.physicalMemory)
        let rowCount = rows.isFinite && rows < 1e15 ? Int(rows) : Int(1e15)
        let needed = bytes(architecture, rows: rowCount, precision: precision, threads: threads, keepBest: keepBest)
        guard needed <= available else {
            let parameters = ParameterLayout(architecture: architecture).scalarCount
            throw .usage("this run would need about \(text(needed)) of memory (\(count(steps)) steps × "
                         + "\(count(Double(sequences))) sequences per pass, \(count(Double(parameters))) parameters), "
                         + "more than this machine's \(text(available)); use shorter sequences, a smaller batch or a "
                         + "smaller model")
        }
    }

    /// Bytes as "1.2 GB" (decimal units).
    static func text(_ bytes: some BinaryInteger) -> String { text(Double(bytes)) }

    static func text(_ bytes: Double) -> String {
        let units = ["bytes", "kB", "MB", "GB", "TB", "PB", "EB"]
        var value = bytes, unit = 0
        while value >= 1000, unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(Int(value)) bytes" : String(format: value >= 100 ? "%.0f %@" : "%.1f %@", value,
                                                          units[unit])
    }

    /// A count with thousands separators (or in powers of ten when huge).
    private static func count(_ value: Double) -> String {
        guard value < 1e15 else { return String(format: "%.3g", value) }
        let digits = String(Int(value))
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return out
    }
}
