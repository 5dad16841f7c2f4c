import KRUFormat
import KRUInference

/// The floating-point width of exported tensors.
public enum ExportPrecision: Sendable {
    /// f32 and complex64: what the engine computes in; half the size.
    case single
    /// f64 and complex128: the trainer's own values, bit for bit (e.g. to resume training).
    case double
    /// Kronecker factors in f64/complex128 — their trained precision, at a few hundred bytes — and every other tensor
    /// in f32/complex64: what `kru train` and `kru finetune` write.
    case doubleFactors

    /// Whether `tensor` is written in double precision.
    func isDouble(_ tensor: ParameterTensor) -> Bool {
        switch self {
        case .single: false
        case .double: true
        case .doubleFactors: if case .recurrentFactor = tensor.role { true } else { false }
        }
    }
}

extension KRUNetwork {
    /// The structure of this network as the engine describes models (spec/MODEL.md).
    public var modelDescription: ModelDescription {
        let input: ModelDescription.Input
        let embeddingWidth: Int?
        switch architecture.input {
        case .tokens(let vocabulary, let width):
            input = .tokens(vocabulary: vocabulary)
            embeddingWidth = width
        case .vectors(let width):
            input = .vectors(width: width)
            embeddingWidth = nil
        }
        return ModelDescription(
            input: input, embeddingWidth: embeddingWidth,
            layers: architecture.layers.map {
                .init(cell: $0.cell, hiddenSize: $0.hiddenSize, activation: $0.activation,
                      recurrent: $0.recurrence == .dense ? .dense : .kronecker(rank: $0.rank,
                                                                               factors: $0.factorShapes.count))
            },
            outputKind: architecture.output.kind, outputWidth: architecture.output.width,
            outputSteps: architecture.output.steps)
    }

    /// The schema metadata (spec/MODEL.md §2) of this network.
    public var schemaMetadata: [KRUMetadataEntry] { modelDescription.schemaMetadata }

    /// Every parameter tensor under its spec/MODEL.md name.
    public func tensors(precision: ExportPrecision = .single) -> [KRUTensor] {
        layout.tensors.map { tensor in
            let (re, im) = values(of: tensor)
            switch (precision.isDouble(tensor), im) {
            case (false, nil): return KRUTensor(name: tensor.name, shape: tensor.shape, floats: re.map { Float($0) })
            case (false, let im?):
                return KRUTensor(name: tensor.name, shape: tensor.shape, real: re.map { Float($0) },
                                 imaginary: im.map { Float($0) })
            case (true, nil): return KRUTensor(name: tensor.name, shape: tensor.shape, doubles: re)
            case (true, let im?):
                // complex128: interleaved (re, im) binary64, little-endian.
                var bytes: [UInt8] = []
                bytes.reserveCapacity(16 * re.count)
                for (a, b) in zip(re, im) {
                    for word in [a.bitPattern, b.bitPattern] {
                        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: word >> (8 * UInt64(i)))) }
                    }
                }
                return KRUTensor(name: tensor.name, dtype: .complex128, shape: tensor.shape, bytes: bytes)
            }
        }
    }

    /// A writer holding the model: schema metadata, then `metadata` (e.g. `general.*` and `kru.train.*` records),
    /// then every tensor.
    public func modelWriter(precision: ExportPrecision = .single, metadata: [KRUMetadataEntry] = []) -> KRUWriter {
        KRUWriter(metadata: schemaMetadata + metadata, tensors: tensors(precision: precision))
    }

    /// The complete `.kru` file.
    public func encodedModel(precision: ExportPrecision = .single,
                             metadata: [KRUMetadataEntry] = []) throws -> [UInt8] {
        try modelWriter(precision: precision, metadata: metadata).encode()
    }

    /// Writes the model to `path` atomically (spec/FORMAT.md; the old file survives an interrupted write).
    public func write(toPath path: String, precision: ExportPrecision = .single,
                      metadata: [KRUMetadataEntry] = []) throws {
        try modelWriter(precision: precision, metadata: metadata).write(toPath: path)
    }
}
