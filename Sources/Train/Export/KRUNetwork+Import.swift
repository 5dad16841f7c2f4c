import KRUFormat
import KRUInference

extension KRUNetwork {
    /// Reads a `kru`-cell model back for further training: every layer must be a `kru` cell with a Kronecker
    /// recurrence whose terms share their factor shapes (what this trainer writes). The file is first loaded by
    /// the engine (`KRUModel`), so everything spec/MODEL.md §6 requires has been checked.
    ///
    /// - Throws: the engine's `ModelSchemaError` or `KRUFormatError`, or ``ArchitectureError`` for a valid model
    ///   this trainer cannot represent (dense or real cells, terms of different shapes).
    public init(file: KRUFile) throws {
        let description = try KRUModel(file: file).description
        var layers: [KRULayerArchitecture] = []
        for (l, layer) in description.layers.enumerated() {
            guard layer.cell == .kru, let activation = layer.activation, case .kronecker(let rank, let count) = layer.recurrent else {
                throw ArchitectureError("layer \(l) is not a kru cell with a Kronecker recurrence")
            }
            let shapes = try (0..<count).map { f -> KroneckerFactorShape in
                let info = file.tensorInfo(named: "layer.\(l).weight_hh.0.0.\(f)")!
                let shape = KroneckerFactorShape(rows: info.shape[0], columns: info.shape[1])
                for t in 1..<max(rank, 1) where file.tensorInfo(named: "layer.\(l).weight_hh.0.\(t).\(f)")!.shape != info.shape {
                    throw ArchitectureError("layer \(l): Kronecker terms 0 and \(t) have different shapes for factor \(f)")
                }
                return shape
            }
            layers.append(KRULayerArchitecture(hiddenSize: layer.hiddenSize, activation: activation, factorShapes: shapes, rank: rank))
        }
        let input: KRUArchitecture.Input
        switch description.input {
        case .tokens(let vocabulary):
            input = .tokens(vocabulary: vocabulary, embeddingWidth: file.tensorInfo(named: "input.embedding")?.shape[1])
        case .vectors(let width):
            input = .vectors(width: width)
        }
        let architecture = try KRUArchitecture(
            input: input, layers: layers,
            output: .init(kind: description.outputKind, width: description.outputWidth, steps: description.outputSteps))
        let layout = ParameterLayout(architecture: architecture)
        var parameters = [Double](repeating: 0, count: layout.scalarCount)
        for tensor in layout.tensors {
            let stored = try file.tensor(named: tensor.name)
            if tensor.isComplex {
                let (re, im) = try stored.complexDoubles()
                parameters.replaceSubrange(tensor.realOffset..<tensor.realOffset + re.count, with: re)
                parameters.replaceSubrange(tensor.imaginaryOffset..<tensor.imaginaryOffset + im.count, with: im)
            } else {
                let values = try stored.doubles()
                parameters.replaceSubrange(tensor.offset..<tensor.offset + values.count, with: values)
            }
        }
        self.init(architecture: architecture, parameters: parameters)
    }
}
