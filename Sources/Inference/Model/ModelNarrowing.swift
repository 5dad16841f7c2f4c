import KRUFormat

/// Re-stores some of a model's real weight tensors at 16-bit precision (f16 or bf16), leaving the rest of the
/// file — every other tensor, every metadata entry — as it was.
///
/// In a Kronecker model the embedding and the readout are almost all of the file, so narrowing them halves its
/// size. In a dense model the recurrent matrices are most of it, and they are what a step reads from memory: the
/// engine keeps a 16-bit dense recurrent matrix 16-bit and widens it inside its kernel, so narrowing it also makes
/// each step faster. Every other weight is widened to `Float` when the model loads. Either way a narrowed model
/// computes exactly what the full-precision model computes with those tensors rounded.
/// The result records what was narrowed under `kru.quantize.*` (spec/MODEL.md §2): the tensor names and the
/// types they had before.
public struct ModelNarrowing: Sendable {
    /// Short names for the tensors worth narrowing, as `kru quantize --tensors` takes them.
    public enum Group: String, Sendable, CaseIterable {
        /// `input.embedding`.
        case embedding
        /// `layer.0.weight_ih`, the first layer's input projection (real cells only: the format has no 16-bit
        /// complex type).
        case input
        /// `readout.weight`.
        case readout
        /// `layer.L.weight_hh` of every layer whose recurrent matrix is dense and real (RNN, LSTM, GRU cells): what
        /// a dense model's step reads from memory. Kronecker factors and the complex matrices of kru cells are
        /// left as they are.
        case recurrent
    }

    /// What happened to one tensor.
    public struct Change: Equatable, Sendable {
        public let tensor: String
        public let from: KRUDType
        public let to: KRUDType
        /// Raw (uncompressed) bytes before and after.
        public let bytesBefore: Int
        public let bytesAfter: Int
        /// The largest |rounded − original| over the tensor's elements.
        public let largestError: Double
    }

    /// The metadata key listing the narrowed tensors, and the one listing their types before.
    public static let tensorsKey = "kru.quantize.tensors"
    public static let originalTypesKey = "kru.quantize.from"
    /// The types a tensor can be narrowed to.
    public static let targets: [KRUDType] = [.f16, .bf16]

    /// The narrowed file, ready to write (`KRUWriter.write(toPath:)` is atomic).
    public let writer: KRUWriter
    /// One entry per narrowed tensor, in the order asked.
    public let changes: [Change]

    /// Narrows `tensors` of the model in `file` to `dtype`.
    ///
    /// - Parameters:
    ///   - file: The model to copy, an open `.kru` file.
    ///   - tensors: ``Group`` names or exact tensor names of this model; each must name a real floating-point
    ///     tensor that the model has.
    ///   - dtype: f16 or bf16.
    /// - Throws: ``ModelSchemaError`` when `file` is not a valid model, ``ModelNarrowingError`` for a name that
    ///   does not fit the model or a type that is not f16/bf16, `KRUNarrowingError` for a value beyond f16's
    ///   range, `KRUFormatError` for a damaged tensor.
    public init(file: KRUFile, tensors: [String], to dtype: KRUDType) throws {
        guard Self.targets.contains(dtype) else {
            throw ModelNarrowingError("cannot narrow to \(dtype): choose f16 or bf16")
        }
        guard !tensors.isEmpty else { throw ModelNarrowingError("no tensor to narrow was named") }
        let model = try KRUModel(file: file)  // only a valid model is rewritten
        var names: [String] = []
        for word in tensors {
            for name in try Self.resolve(word, in: file, layers: model.description.layers) {
                guard !names.contains(name) else { throw ModelNarrowingError("\(word) names \(name) twice") }
                names.append(name)
            }
        }
        var recorded = Self.recordedOriginals(file)
        var changes: [Change] = []
        var written: [KRUTensor] = []
        for info in file.tensors {
            let tensor = try file.tensor(info)
            guard names.contains(info.name) else {
                written.append(tensor)
                continue
            }
            // From Double: an f64 tensor is rounded once, and its values beyond Float's range are caught.
            let values = try tensor.doubles()
            let narrowed = try KRUTensor(name: info.name, shape: info.shape, doubles: values, storedAs: dtype)
            let largestError = try zip(values, narrowed.doubles()).reduce(0.0) { largest, pair in
                max(largest, abs(pair.1 - pair.0))
            }
            changes.append(Change(tensor: info.name, from: info.dtype, to: dtype, bytesBefore: tensor.bytes.count,
                                  bytesAfter: narrowed.bytes.count, largestError: largestError))
            if !recorded.contains(where: { $0.tensor == info.name }) { recorded.append((info.name, info.dtype)) }
            written.append(narrowed)
        }
        self.changes = names.compactMap { name in changes.first { $0.tensor == name } }
        let record = [
            KRUMetadataEntry(Self.tensorsKey, .stringArray(recorded.map(\.tensor))),
            KRUMetadataEntry(Self.originalTypesKey, .stringArray(recorded.map(\.dtype.name))),
        ]
        let kept = file.metadata.filter { $0.key != Self.tensorsKey && $0.key != Self.originalTypesKey }
        writer = KRUWriter(metadata: kept + record, tensors: written)
    }

    /// The tensors a `--tensors` word names in this model.
    private static func resolve(_ word: String, in file: KRUFile,
                                layers: [ModelDescription.Layer]) throws -> [String] {
        let name: String
        switch Group(rawValue: word) {
        case .recurrent:
            let dense = layers.indices.filter { layers[$0].recurrent == .dense && layers[$0].cell != .kru }
            guard !dense.isEmpty else {
                throw ModelNarrowingError("this model has no dense real recurrent matrix (Kronecker factors and kru "
                                          + "cells' complex matrices are not narrowed)")
            }
            return try dense.map { try checkedReal(ModelTensorName.recurrentWeight(layer: $0), in: file) }
        case .embedding:
            guard file.tensorInfo(named: ModelTensorName.embedding) != nil else {
                throw ModelNarrowingError("this model has no input.embedding (its first layer reads one-hot tokens "
                                          + "or vectors)")
            }
            name = ModelTensorName.embedding
        case .readout:
            guard file.tensorInfo(named: ModelTensorName.readoutWeight) != nil else {
                throw ModelNarrowingError("this model's readout is tied to input.embedding: narrow embedding")
            }
            name = ModelTensorName.readoutWeight
        case .input:
            name = ModelTensorName.inputWeight(layer: 0)
        case nil:
            guard file.tensorInfo(named: word) != nil else {
                let groups = Group.allCases.map(\.rawValue).joined(separator: ", ")
                throw ModelNarrowingError("unknown tensor \"\(word)\": expected \(groups) or a tensor name of this "
                                          + "model (kru inspect lists them)")
            }
            name = word
        }
        return [try checkedReal(name, in: file)]
    }

    /// `name`, a tensor of the model, if it holds real floating-point values.
    private static func checkedReal(_ name: String, in file: KRUFile) throws -> String {
        let dtype = file.tensorInfo(named: name)!.dtype  // every group's tensor exists in a valid model
        guard [.f16, .bf16, .f32, .f64].contains(dtype) else {
            let why = dtype.isComplex ? "the format has no 16-bit complex type" : "it is not a floating-point tensor"
            throw ModelNarrowingError("\(name) is \(dtype) and cannot be narrowed: \(why)")
        }
        return name
    }

    /// The tensors an earlier narrowing recorded, with their types before it, so that narrowing again keeps
    /// the first type (a tensor narrowed to bf16 and then to f16 was f32 to begin with).
    private static func recordedOriginals(_ file: KRUFile) -> [(tensor: String, dtype: KRUDType)] {
        guard case .stringArray(let tensors)? = file.metadata(tensorsKey),
              case .stringArray(let types)? = file.metadata(originalTypesKey), tensors.count == types.count else {
            return []
        }
        return zip(tensors, types).compactMap { name, type in KRUDType(name: type).map { (name, $0) } }
    }
}

/// A narrowing that cannot be done as asked: an unknown tensor, one the model lacks, a type that is not 16-bit.
public struct ModelNarrowingError: Error, Equatable, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
