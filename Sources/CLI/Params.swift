import ArgumentParser
import Foundation
import KRUInference

struct Params: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare parameter counts: a KRU against dense RNN/LSTM/GRU and unitary RNNs.",
        discussion: "Give a model file, or describe a KRU with --hidden, --factors, --input and --output. Rows: the "
            + "KRU; the baselines at the same hidden size; dense RNN, LSTM and GRU at the largest hidden size whose total "
            + "does not exceed the KRU's. Each formula and its source is documented in Sources/Inference/Parameters. "
            + "Example (pixel MNIST as counted in the KRU paper): 'kru params --hidden 512 --factors "
            + "2x2x2x2x2x2x2x2x2 --input 1 --output 10 --paper-terms'."
    )

    @Argument(help: "A .kru model (its first layer is compared).", completion: .file(extensions: ["kru"]))
    var model: String?
    @Option(help: "Hidden size N (default: the product of the factor sizes).") var hidden: Int?
    @Option(help: ArgumentHelp("Kronecker factors: sizes like 2x2x2, shapes like 2:3x3:2, auto (two balanced) or "
                               + "auto2 (2×2 chain) with --hidden."))
    var factors: String?
    @Option(help: "Input width D.") var input: Int?
    @Option(help: "Output width K.") var output: Int?
    @Flag(help: "Count the KRU as the paper did (complex input, no hidden bias).") var paperTerms = false
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let (architecture, terms, own) = try describe()
        let rows = ParameterComparison.rows(for: architecture, kruTerms: paperTerms ? .paperPixelMNIST : terms)
        if json {
            var document: [String: Any] = [
                "hidden_size": architecture.hiddenSize, "input_width": architecture.inputWidth,
                "output_width": architecture.outputWidth,
                "factors": architecture.factors.map { [$0.rows, $0.columns] },
                "rows": rows.map { row in
                    ["model": row.name, "sizing": row.sizing.rawValue, "hidden_size": row.hiddenSize,
                     "recurrent": row.recurrentParameters, "total": row.totalParameters,
                     "recurrent_ratio": row.recurrentRatioToKRU, "total_ratio": row.totalRatioToKRU] as [String: Any]
                },
            ]
            if let own { document["model_file"] = ["recurrent": own.recurrent, "total": own.total] }
            print(jsonString(document))
            return
        }
        let shapes = architecture.factors.map { "\($0.rows)×\($0.columns)" }.joined(separator: " ⊗ ")
        print("KRU: N = \(architecture.hiddenSize), D = \(architecture.inputWidth), K = \(architecture.outputWidth), factors \(shapes)")
        if let own {
            print("model file: \(own.recurrent) recurrent, \(own.total) total parameters (all layers, embedding included)")
        }
        var table = [["model", "sized by", "N", "recurrent", "total", "recurrent ×KRU", "total ×KRU"]]
        for row in rows {
            table.append([row.name, row.sizing.label, "\(row.hiddenSize)", "\(row.recurrentParameters)",
                          "\(row.totalParameters)", String(format: "%.1f", row.recurrentRatioToKRU),
                          String(format: "%.2f", row.totalRatioToKRU)])
        }
        formatTable(table).forEach { print($0) }
    }

    /// The architecture to compare, the cell terms to count it with, and the model file's own counts.
    private func describe() throws -> (RecurrentArchitecture, KRUCellTerms, (recurrent: Int, total: Int)?) {
        if let model {
            guard hidden == nil, factors == nil, input == nil, output == nil else {
                throw ValidationError("give a model file or --hidden/--factors/--input/--output, not both")
            }
            let kru = try loadModel(model)
            guard let architecture = kru.firstLayerArchitecture, let terms = kru.firstLayerCellTerms else {
                printOwnCounts(kru)
                throw ExitCode(0)
            }
            return (architecture, terms, (kru.recurrentParameterCount, kru.parameterCount))
        }
        guard let factors, let input, let output else {
            throw ValidationError("without a model file, --factors, --input and --output are required")
        }
        let shapes = try factorShapes(factors)
        do {
            let architecture = try RecurrentArchitecture(hiddenSize: shapes.reduce(1) { $0 * $1.rows },
                                                         inputWidth: input,
                                                         outputWidth: output, factors: shapes)
            return (architecture, .projectCell(modReLU: true), nil)
        } catch {
            throw ValidationError("\(error)")
        }
    }

    /// The shapes `--factors` (and `--hidden`, which `auto` and `auto2` need) describe.
    private func factorShapes(_ text: String) throws -> [KroneckerFactorShape] {
        let specification: FactorSpecification
        do { specification = try FactorSpecification(parsing: text) } catch { throw ValidationError("\(error)") }
        if let (rows, columns) = specification.products, max(rows, columns) > ParameterCountLimits.maxDimension {
            throw ValidationError("--factors \(text) multiplies to \(max(rows, columns)); the largest hidden size N is "
                                  + "\(ParameterCountLimits.maxDimension)")
        }
        guard specification != .none else {
            throw ValidationError("--factors none describes no KRU; give sizes like 2x2x2, shapes like 2:3x3:2, auto "
                                  + "or auto2")
        }
        guard let n = hidden ?? specification.size else {
            throw ValidationError("--factors \(text) needs --hidden (or factors whose rows and columns multiply to the "
                                  + "same N)")
        }
        do { return try specification.shapes(for: n)! } catch { throw ValidationError("\(error)") }
    }
}

extension Params {
    /// A model whose first layer is not a kru cell has no KRU to compare: report its own counts and its layers.
    private func printOwnCounts(_ kru: KRUModel) {
        let layers = kru.description.layers
        func recurrence(_ layer: ModelDescription.Layer) -> String {
            switch layer.recurrent {
            case .dense: "dense"
            case .kronecker(let rank, let factors): "kronecker (rank \(rank), \(factors) factors)"
            }
        }
        if json {
            print(jsonString([
                "model_file": ["recurrent": kru.recurrentParameterCount, "total": kru.parameterCount],
                "layers": layers.map { ["cell": $0.cell.rawValue, "hidden_size": $0.hiddenSize, "recurrent": recurrence($0)] as [String: Any] },
                "comparison": "none: the first layer is not a kru cell",
            ] as [String: Any]))
            return
        }
        print("\(terminalSafe(model!)): \(kru.recurrentParameterCount) recurrent, \(kru.parameterCount) total parameters "
              + "(all layers, embedding included)")
        for (l, layer) in layers.enumerated() {
            print("  layer \(l): \(layer.cell.rawValue), N = \(layer.hiddenSize), \(recurrence(layer)) recurrence")
        }
        print("Its first layer is not a kru cell, so there is no KRU to compare; describe one with --factors, --input and --output.")
    }
}

extension ParameterComparisonRow.Sizing {
    var label: String {
        switch self {
        case .reference: "-"
        case .sameHiddenSize: "same N"
        case .equalParameters: "same total"
        }
    }
}
