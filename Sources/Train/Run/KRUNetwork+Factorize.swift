import KRUConvert
import KRUInference

extension KRUNetwork {
    /// This network with every dense recurrence of a real cell replaced by the nearest sum of `rank` Kronecker
    /// products of the shapes `factors` chooses for its N (per gate block, as `kru convert` does), every other
    /// parameter unchanged: the start of `kru finetune --factors`, which then wins back what the factorisation lost.
    /// Layers already Kronecker-factored, and `kru` layers, keep their recurrences.
    ///
    /// - Returns: the network and, per factorised layer and gate, the relative error ‖W − Ŵ‖/‖W‖.
    /// - Throws: ``TrainingRunError`` when the factors do not fit a layer or the factorisation fails.
    func factorizingDenseRecurrences(_ factors: FactorSpecification,
                                     rank: Int) throws(TrainingRunError) -> (KRUNetwork, [Double]) {
        var layers = architecture.layers, errors: [Double] = []
        var replaced: [Int: [[[KRUConvert.NearestKronecker.Matrix<Double>]]]] = [:]  // layer → gate → term → factor
        for (l, layer) in architecture.layers.enumerated() where layer.recurrence == .dense {
            let n = layer.hiddenSize
            let shapes: [KroneckerFactorShape]
            do {
                guard let chosen = try factors.shapes(for: n) else { continue }
                shapes = chosen
            } catch {
                throw .usage("layer \(l): \(error)")
            }
            guard case .real(let slots) = layout.layers[l], let dense = slots.denseRecurrent else { continue }
            var gates: [[[NearestKronecker.Matrix<Double>]]] = []
            for g in 0..<layer.gateCount {
                let start = dense.offset + g * n * n
                let block = NearestKronecker.Matrix(rows: n, columns: n,
                                                    elements: Array(parameters[start..<start + n * n]))
                do {
                    let result = try NearestKronecker.factorize(block, shapes: shapes, rank: rank)
                    gates.append(result.terms.map(\.factors))
                    errors.append(result.relativeError)
                } catch {
                    throw .usage("layer \(l) gate \(g): \(error)")
                }
            }
            replaced[l] = gates
            layers[l] = LayerArchitecture(cell: layer.cell, hiddenSize: n, recurrence: .kronecker(factorShapes: shapes,
                rank: rank),
                                          hasBias: layer.hasBias)
        }
        let target: KRUArchitecture
        do {
            target = try KRUArchitecture(input: architecture.input, layers: layers, output: architecture.output)
        } catch {
            throw .usage("\(error)")
        }
        let layout = ParameterLayout(architecture: target)
        var values = [Double](repeating: 0, count: layout.scalarCount)
        for tensor in layout.tensors {
            if case .recurrentFactor(let l, let g, let t, let f) = tensor.role, let gates = replaced[l] {
                values.replaceSubrange(tensor.range, with: gates[g][t][f].elements)
            } else {
                let source = self.layout.tensor(named: tensor.name)!
                values.replaceSubrange(tensor.range, with: parameters[source.range])
            }
        }
        return (KRUNetwork(architecture: target, parameters: values), errors)
    }
}
