import Foundation
import KRUFormat
import KRUInference

/// What the converter did to one recurrent block (one gate of one layer).
public struct BlockReport: Sendable {
    public let layer: Int
    /// Gate name in PyTorch's order (i, f, g, o for LSTM; r, z, n for GRU; h for RNN).
    public let gate: String
    public let shapes: [NearestKronecker.FactorShape]
    public let rank: Int
    /// ‖A − Â‖_F / ‖A‖_F.
    public let relativeError: Double
    /// ‖Â‖²/‖A‖² (for two factors σ₁²/‖A‖²... summed over the kept terms).
    public let capturedEnergy: Double
    /// For two factors: the smallest possible relative error (the SVD tail), which the result must equal.
    public let optimalRelativeError: Double?
    /// For more factors: the relative error of the sequential-SVD start before refinement.
    public let startRelativeError: Double?
    public let seconds: Double
}

/// A converted model: what to write and what happened on the way.
public struct ConversionResult: Sendable {
    public let description: ModelDescription
    public let metadata: [KRUMetadataEntry]
    public let tensors: [KRUTensor]
    public let blocks: [BlockReport]

    /// Writes the model atomically.
    public func write(toPath path: String) throws {
        try KRUWriter(metadata: metadata, tensors: tensors).write(toPath: path)
    }

    /// The model itself, loaded from memory (as the engine would load the written file).
    public func model() throws -> KRUModel {
        try KRUModel(file: KRUFile(bytes: KRUWriter(metadata: metadata, tensors: tensors).encode()))
    }
}

/// Options for ``Converter/convert(_:vocabulary:factors:rank:options:source:progress:)``.
public struct ConversionOptions: Sendable {
    /// Passed to the factorization (tolerance, iterations, restarts, seed).
    public var factorization = NearestKronecker.Options()
    /// `general.*` facts to record (name, description, license, author), appended to the converter's own.
    public var general: [KRUMetadataEntry] = []
    public init() {}
}

/// Turns a dense PyTorch language model into a `.kru` model whose recurrent blocks are their nearest
/// Kronecker products (or stay dense with `factors: .none`, which must reproduce PyTorch's outputs).
public enum Converter {
    /// Converts `dense`.
    /// - Parameters:
    ///   - vocabulary: token `i` is `vocabulary[i]`; its size must match the embedding rows (or the one-hot
    ///     width) and the readout's outputs.
    ///   - progress: fraction of all blocks done, for a progress line.
    ///
    /// A readout tied to the embedding in the checkpoint (one storage) is stored once, as a tied readout.
    public static func convert(_ dense: DenseRecurrentCheckpoint, vocabulary: Vocabulary,
                               factors: FactorSpecification, rank: Int = 1,
                               options: ConversionOptions = ConversionOptions(),
                               source: String, progress: ((Double) -> Void)? = nil) throws -> ConversionResult {
        let v = vocabulary.count
        let unit = vocabulary.unitName
        let inputs = dense.embedding?.rows ?? dense.inputWidth
        guard v == inputs else {
            throw ConversionError("the vocabulary has \(v) \(unit)s but the model takes \(inputs) tokens")
        }
        guard v == dense.outputWidth else {
            throw ConversionError("the vocabulary has \(v) \(unit)s but the readout predicts \(dense.outputWidth)")
        }
        guard rank >= 1 else { throw ConversionError("--rank must be at least 1") }

        var tensors: [KRUTensor] = []
        var blocks: [BlockReport] = []
        var layers: [ModelDescription.Layer] = []
        let gates = dense.cell.gateCount
        let totalBlocks = Double(dense.layers.count * gates)
        for (l, layer) in dense.layers.enumerated() {
            let n = layer.hiddenSize
            tensors.append(KRUTensor(name: ModelTensorName.inputWeight(layer: l), shape: [gates * n, layer.inputSize],
                                     floats: layer.inputWeight.map { Float($0) }))
            if let bih = layer.inputBias, let bhh = layer.recurrentBias {
                tensors.append(KRUTensor(name: ModelTensorName.inputBias(layer: l), shape: [gates * n],
                                         floats: bih.map { Float($0) }))
                tensors.append(KRUTensor(name: ModelTensorName.recurrentBias(layer: l), shape: [gates * n],
                                         floats: bhh.map { Float($0) }))
            }
            let chosen: [KroneckerFactorShape]?
            do { chosen = try factors.shapes(for: n) } catch { throw ConversionError("\(error)") }
            guard let shapes = chosen else {
                tensors.append(KRUTensor(name: ModelTensorName.recurrentWeight(layer: l), shape: [gates * n, n],
                                         floats: layer.recurrentWeight.map { Float($0) }))
                layers.append(.init(cell: dense.cell, hiddenSize: n, recurrent: .dense))
                continue
            }
            for g in 0..<gates {
                let block = Array(layer.recurrentWeight[g * n * n..<(g + 1) * n * n])
                let start = Date()
                let done = Double(l * gates + g)
                let result: KroneckerFactorization<Double>
                do {
                    result = try NearestKronecker.factorize(
                        .init(rows: n, columns: n, elements: block), shapes: shapes, rank: rank,
                        options: options.factorization) { p in progress?((done + p.fraction) / totalBlocks) }
                } catch {
                    throw ConversionError("layer \(l) gate \(gateName(dense.cell, g)): \(error)")
                }
                for (t, term) in result.terms.enumerated() {
                    for (f, factor) in term.factors.enumerated() {
                        tensors.append(KRUTensor(
                            name: ModelTensorName.recurrentFactor(layer: l, gate: g, term: t, factor: f),
                            shape: [factor.rows, factor.columns], floats: factor.elements.map { Float($0) }))
                    }
                }
                let norm = result.inputNorm
                blocks.append(BlockReport(
                    layer: l, gate: gateName(dense.cell, g), shapes: shapes, rank: rank,
                    relativeError: result.relativeError,
                    capturedEnergy: result.capturedEnergy, optimalRelativeError: result.relativeOptimalError,
                    startRelativeError: result.startError.map { norm > 0 ? $0 / norm : 0 },
                    seconds: Date().timeIntervalSince(start)))
            }
            layers.append(.init(cell: dense.cell, hiddenSize: n,
                                recurrent: .kronecker(rank: rank, factors: shapes.count)))
        }
        if let embedding = dense.embedding {
            tensors.insert(KRUTensor(name: ModelTensorName.embedding, shape: [embedding.rows, embedding.columns],
                                     floats: embedding.values.map { Float($0) }), at: 0)
        }
        let width = dense.layers.last!.hiddenSize
        let tied = dense.tiedReadout && dense.embedding != nil
        if !tied {
            tensors.append(KRUTensor(name: ModelTensorName.readoutWeight, shape: [v, width],
                                     floats: dense.readoutWeight.map { Float($0) }))
        }
        tensors.append(KRUTensor(name: ModelTensorName.readoutBias, shape: [v],
                                 floats: dense.readoutBias.map { Float($0) }))
        progress?(1)

        let description = ModelDescription(input: .tokens(vocabulary: vocabulary),
                                           embeddingWidth: dense.embedding?.columns, layers: layers,
                                           outputKind: .categorical, outputWidth: v, outputSteps: .every,
                                           tiedReadout: tied)
        let metadata = description.schemaMetadata + [
            KRUMetadataEntry("general.source", .string(source)),
            KRUMetadataEntry("general.creation_tool", .string("kru convert")),
            KRUMetadataEntry("kru.convert.factors", .string(factors.description)),
            KRUMetadataEntry("kru.convert.rank", .int(Int64(rank))),
            KRUMetadataEntry("kru.convert.tensor_map", .stringArray([
                dense.map.embedding ?? "", dense.map.recurrentPrefix, dense.map.readoutWeight,
                dense.map.readoutBias ?? "",
            ])),
        ] + options.general + (blocks.isEmpty ? [] : [
            KRUMetadataEntry("kru.convert.relative_errors", .floatArray(blocks.map(\.relativeError))),
        ])
        return ConversionResult(description: description, metadata: metadata, tensors: tensors, blocks: blocks)
    }

    static func gateName(_ cell: ModelDescription.Cell, _ g: Int) -> String {
        switch cell {
        case .lstm: ["i", "f", "g", "o"][g]
        case .gru: ["r", "z", "n"][g]
        default: "h"
        }
    }
}
