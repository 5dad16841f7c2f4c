import KRUFormat

/// The floating-point width of exported tensors.
public enum ExportPrecision: Sendable {
    /// f32 and complex64: what the engine computes in; half the size.
    case single
    /// f64 and complex128: the trainer's own values, bit for bit (e.g. to resume training).
    case double
}

extension KRUNetwork {
    /// The schema metadata (spec/MODEL.md §2) of this network as a `kru`-cell model with Kronecker recurrences.
    public var schemaMetadata: [KRUMetadataEntry] {
        var entries: [KRUMetadataEntry] = [.init("kru.schema_version", .int(1))]
        switch architecture.input {
        case .tokens(let vocabulary, _):
            entries.append(.init("kru.input.kind", .string("tokens")))
            entries.append(.init("kru.input.vocabulary", .stringArray(vocabulary.map { String($0) })))
        case .vectors(let width):
            entries.append(.init("kru.input.kind", .string("vectors")))
            entries.append(.init("kru.input.width", .int(Int64(width))))
        }
        entries.append(.init("kru.layer_count", .int(Int64(architecture.layers.count))))
        for (l, layer) in architecture.layers.enumerated() {
            let prefix = "kru.layer.\(l)."
            entries += [
                .init(prefix + "cell", .string("kru")),
                .init(prefix + "hidden_size", .int(Int64(layer.hiddenSize))),
                .init(prefix + "activation", .string(layer.activation.rawValue)),
                .init(prefix + "recurrent", .string("kronecker")),
                .init(prefix + "recurrent_rank", .int(Int64(layer.rank))),
                .init(prefix + "recurrent_factors", .int(Int64(layer.factorShapes.count))),
            ]
        }
        entries += [
            .init("kru.output.kind", .string(architecture.output.kind.rawValue)),
            .init("kru.output.width", .int(Int64(architecture.output.width))),
            .init("kru.output.steps", .string(architecture.output.steps.rawValue)),
        ]
        return entries
    }

    /// Every parameter tensor under its spec/MODEL.md name.
    public func tensors(precision: ExportPrecision = .single) -> [KRUTensor] {
        layout.tensors.map { tensor in
            let (re, im) = values(of: tensor)
            switch (precision, im) {
            case (.single, nil): return KRUTensor(name: tensor.name, shape: tensor.shape, floats: re.map { Float($0) })
            case (.single, let im?):
                return KRUTensor(name: tensor.name, shape: tensor.shape, real: re.map { Float($0) }, imaginary: im.map { Float($0) })
            case (.double, nil): return KRUTensor(name: tensor.name, shape: tensor.shape, doubles: re)
            case (.double, let im?):
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
    public func encodedModel(precision: ExportPrecision = .single, metadata: [KRUMetadataEntry] = []) throws -> [UInt8] {
        try modelWriter(precision: precision, metadata: metadata).encode()
    }

    /// Writes the model to `path` atomically (spec/FORMAT.md; the old file survives an interrupted write).
    public func write(toPath path: String, precision: ExportPrecision = .single, metadata: [KRUMetadataEntry] = []) throws {
        try modelWriter(precision: precision, metadata: metadata).write(toPath: path)
    }
}
