import KRUFormat
import KRUInference

extension KRUNetwork {
    /// Reads a model back for further training (e.g. `kru finetune` of a converted model). The file is first loaded
    /// by the engine (`KRUModel`), so everything spec/MODEL.md §6 requires has been checked.
    ///
    /// - Throws: the engine's `ModelSchemaError` or `KRUFormatError`, or ``ArchitectureError`` for a valid model
    ///   this trainer cannot represent: a dense `kru` recurrence, Kronecker blocks or terms of different factor
    ///   shapes, a real cell with only one of its two biases, or a vocabulary of words or bytes or a tied readout.
    public init(file: KRUFile) throws {
        let description = try KRUModel(file: file).description
        var layers: [LayerArchitecture] = []
        for (l, layer) in description.layers.enumerated() {
            let recurrence: LayerArchitecture.Recurrence
            switch layer.recurrent {
            case .dense:
                guard layer.cell != .kru else {
                    throw ArchitectureError("layer \(l): the trainer's kru layers are Kronecker-factored")
                }
                recurrence = .dense
            case .kronecker(let rank, let count):
                let shapes = try (0..<count).map { f -> KroneckerFactorShape in
                    func shape(gate g: Int, term t: Int) -> [Int] {
                        file.tensorInfo(named: ModelTensorName.recurrentFactor(layer: l, gate: g, term: t,
                                                                               factor: f))!.shape
                    }
                    let first = shape(gate: 0, term: 0)
                    for g in 0..<layer.cell.gateCount {
                        for t in 0..<rank where shape(gate: g, term: t) != first {
                            throw ArchitectureError("layer \(l): factor \(f) of block \(g), term \(t) differs in shape "
                                                    + "from block 0, term 0")
                        }
                    }
                    return KroneckerFactorShape(rows: first[0], columns: first[1])
                }
                recurrence = .kronecker(factorShapes: shapes, rank: rank)
            }
            if layer.cell == .kru, case .kronecker(let shapes, let rank) = recurrence {
                layers.append(LayerArchitecture(hiddenSize: layer.hiddenSize, activation: layer.activation!,
                                                factorShapes: shapes, rank: rank))
            } else {
                let hasBias = file.tensorInfo(named: ModelTensorName.inputBias(layer: l)) != nil
                layers.append(LayerArchitecture(cell: layer.cell, hiddenSize: layer.hiddenSize, recurrence: recurrence,
                                                hasBias: hasBias))
            }
        }
        let input: KRUArchitecture.Input
        switch description.input {
        case .tokens(let vocabulary):
            guard let characters = vocabulary.characters, !description.tiedReadout else {
                throw ArchitectureError("the trainer trains character models with their own readout weight, not a "
                                        + "\(vocabulary.tokenizer.rawValue) vocabulary or a tied readout")
            }
            input = .tokens(vocabulary: characters,
                            embeddingWidth: file.tensorInfo(named: ModelTensorName.embedding)?.shape[1])
        case .vectors(let width):
            input = .vectors(width: width)
        }
        let architecture = try KRUArchitecture(
            input: input, layers: layers,
            output: .init(kind: description.outputKind, width: description.outputWidth, steps: description.outputSteps))
        self.init(architecture: architecture, parameters: try Self.parameters(of: architecture, from: file))
    }

    /// The parameters of `architecture` read by tensor name from `file` (a model or a training checkpoint), each
    /// checked against the layout's shape.
    static func parameters(of architecture: KRUArchitecture, from file: KRUFile) throws -> [Double] {
        let layout = ParameterLayout(architecture: architecture)
        var parameters = [Double](repeating: 0, count: layout.scalarCount)
        for tensor in layout.tensors {
            guard let info = file.tensorInfo(named: tensor.name) else {
                throw ArchitectureError("tensor \(tensor.name) is missing")
            }
            guard info.shape == tensor.shape else {
                throw ArchitectureError(
                    "tensor \(tensor.name) has shape \(info.shape), the model needs \(tensor.shape)")
            }
            let stored = try file.tensor(info)
            if tensor.isComplex {
                let (re, im) = try stored.complexDoubles()
                parameters.replaceSubrange(tensor.realOffset..<tensor.realOffset + re.count, with: re)
                parameters.replaceSubrange(tensor.imaginaryOffset..<tensor.imaginaryOffset + im.count, with: im)
            } else {
                let values = try stored.doubles()
                parameters.replaceSubrange(tensor.offset..<tensor.offset + values.count, with: values)
            }
        }
        return parameters
    }
}
