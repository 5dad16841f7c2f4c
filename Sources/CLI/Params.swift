import ArgumentParser
import Foundation
import KRUInference

struct Params: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare parameter counts: a KRU against dense RNN/LSTM/GRU and unitary RNNs.",
        discussion: """
            Give a model file, or describe a KRU with --hidden, --factors, --input and --output. Rows: the KRU;
            the baselines at the same hidden size; dense RNN, LSTM and GRU at the largest hidden size whose total
            does not exceed the KRU's. Each formula and its source is documented in Sources/Inference/Parameters.
            Example (pixel MNIST as counted in the KRU paper): kru params --hidden 512 --factors 2x2x2x2x2x2x2x2x2 --input 1 --output 10 --paper-terms
            """
    )

    @Argument(help: "A .kru model (its first layer is compared).") var model: String?
    @Option(help: "Hidden size N (default: the product of the factor sizes).") var hidden: Int?
    @Option(help: "Square Kronecker factor sizes, e.g. 2x2x2 for three 2×2 factors.") var factors: String?
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
                let layer = kru.description.layers[0]
                print("\(model): \(kru.recurrentParameterCount) recurrent, \(kru.parameterCount) total parameters "
                      + "(all layers, embedding included); its first layer is a \(layer.recurrent == .dense ? "dense" : "Kronecker") "
                      + "\(layer.cell.rawValue) cell with N = \(layer.hiddenSize), not a kru cell, so there is no KRU to compare. "
                      + "Describe one with --factors, --input and --output.")
                throw ExitCode(0)
            }
            return (architecture, terms, (kru.recurrentParameterCount, kru.parameterCount))
        }
        guard let factors, let input, let output else {
            throw ValidationError("without a model file, --factors, --input and --output are required")
        }
        let sizes = factors.split(separator: "x").map { Int($0) }
        guard !sizes.isEmpty, sizes.allSatisfy({ $0 != nil }) else {
            throw ValidationError("--factors takes sizes like 2x2x2 (square factors), got \(factors)")
        }
        do {
            let architecture = try RecurrentArchitecture(
                squareFactorSizes: sizes.map { $0! }, inputWidth: input, outputWidth: output)
            if let hidden, hidden != architecture.hiddenSize {
                throw ValidationError("--hidden \(hidden) is not the product of the factor sizes (\(architecture.hiddenSize))")
            }
            return (architecture, .projectCell(modReLU: true), nil)
        } catch let error as ParameterCountError {
            throw ValidationError("\(error)")
        }
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
