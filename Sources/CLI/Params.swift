import ArgumentParser
import Foundation
import KRUInference

struct Params: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Count a model's parameters layer by layer against dense cells, or compare a KRU with baselines.",
        discussion: """
            A model file (a path, or a name in the models directory): every layer's cell, N, input width D and \
            recurrence, and per gate block (LSTM i f g o, GRU r z n) the recurrent parameters it stores against the \
            dense cell of the same kind and N (N² per block, 2N² for the complex kru cell), layer by layer for a \
            stack; then the model's parts — embedding, input projections, cell biases, recurrence, readout — against \
            the same model with every recurrence dense. All counts are the element counts of the file's tensors (a \
            complex number counts two). If the first layer is a Kronecker kru cell, it is then compared with dense \
            RNN, LSTM, GRU and unitary RNNs of the same N and of the same total.

            Without a file, describe a KRU with --hidden, --factors, --input and --output. Rows: the KRU; the \
            baselines at the same hidden size; dense RNN, LSTM and GRU at the largest hidden size whose total does \
            not exceed the KRU's. Each formula and its source is documented in Sources/Inference/Parameters. \
            Example (pixel MNIST as counted in the KRU paper): 'kru params --hidden 512 --factors \
            2x2x2x2x2x2x2x2x2 --input 1 --output 10 --paper-terms'.
            """
    )

    @Argument(help: "A model: a .kru path, or a name in the models directory.",
              completion: .file(extensions: ["kru"]))
    var model: String?
    @OptionGroup var lookup: ModelsOption
    @Option(help: "Hidden size N (default: the product of the factor sizes).") var hidden: Int?
    @Option(help: ArgumentHelp("Kronecker factors: sizes like 2x2x2, shapes like 2:3x3:2, auto (two balanced) or "
                               + "auto2 (2×2 chain) with --hidden."))
    var factors: String?
    @Option(help: "Input width D.") var input: Int?
    @Option(help: "Output width K.") var output: Int?
    @Flag(help: "Count the KRU as the paper did (complex input, no hidden bias).") var paperTerms = false
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        var document: [String: Any] = [:]
        var lines: [String] = []
        let comparison: (RecurrentArchitecture, KRUCellTerms)?
        if let model {
            guard hidden == nil, factors == nil, input == nil, output == nil else {
                throw ValidationError("give a model file or --hidden/--factors/--input/--output, not both")
            }
            let path = try lookup.path(of: model)
            let kru = try loadModel(path)
            let report = StoredParametersReport(path: path, counts: kru.storedParameters)
            document = report.json
            lines = report.lines
            comparison = kru.firstLayerArchitecture.flatMap { architecture in
                kru.firstLayerCellTerms.map { (architecture, $0) }
            }
        } else {
            comparison = try describedKRU()
        }
        if let (architecture, terms) = comparison {
            let rows = ParameterComparison.rows(for: architecture, kruTerms: paperTerms ? .paperPixelMNIST : terms)
            document.merge(comparisonJSON(architecture, rows)) { own, _ in own }
            if !lines.isEmpty { lines += ["", "Its first layer against the dense and unitary baselines:"] }
            lines += comparisonLines(architecture, rows)
        }
        if json {
            print(jsonString(document))
        } else {
            lines.forEach { print($0) }
        }
    }

    private func comparisonJSON(_ architecture: RecurrentArchitecture,
                                _ rows: [ParameterComparisonRow]) -> [String: Any] {
        ["hidden_size": architecture.hiddenSize, "input_width": architecture.inputWidth,
         "output_width": architecture.outputWidth, "factors": architecture.factors.map { [$0.rows, $0.columns] },
         "rows": rows.map { row in
             ["model": row.name, "sizing": row.sizing.rawValue, "hidden_size": row.hiddenSize,
              "recurrent": row.recurrentParameters, "total": row.totalParameters,
              "recurrent_ratio": row.recurrentRatioToKRU, "total_ratio": row.totalRatioToKRU] as [String: Any]
         }]
    }

    private func comparisonLines(_ architecture: RecurrentArchitecture, _ rows: [ParameterComparisonRow]) -> [String] {
        let shapes = architecture.factors.map { "\($0.rows)×\($0.columns)" }.joined(separator: " ⊗ ")
        var table = [["model", "sized by", "N", "recurrent", "total", "recurrent ×KRU", "total ×KRU"]]
        for row in rows {
            table.append([row.name, row.sizing.label, "\(row.hiddenSize)", grouped(row.recurrentParameters),
                          grouped(row.totalParameters), String(format: "%.1f", row.recurrentRatioToKRU),
                          String(format: "%.2f", row.totalRatioToKRU)])
        }
        return ["KRU: N = \(architecture.hiddenSize), D = \(architecture.inputWidth), "
                + "K = \(architecture.outputWidth), factors \(shapes)"] + formatTable(table)
    }

    /// The KRU that --factors, --input and --output describe, and the cell terms to count it with.
    private func describedKRU() throws -> (RecurrentArchitecture, KRUCellTerms) {
        guard let factors, let input, let output else {
            throw ValidationError("without a model file, --factors, --input and --output are required")
        }
        let shapes = try factorShapes(factors)
        do {
            let architecture = try RecurrentArchitecture(hiddenSize: shapes.reduce(1) { $0 * $1.rows },
                                                         inputWidth: input,
                                                         outputWidth: output, factors: shapes)
            return (architecture, .projectCell(modReLU: true))
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

extension ParameterComparisonRow.Sizing {
    var label: String {
        switch self {
        case .reference: "-"
        case .sameHiddenSize: "same N"
        case .equalParameters: "same total"
        }
    }
}
