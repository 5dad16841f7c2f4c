import KRUInference
import Testing
@testable import KRUTrain

/// `kru finetune --factors` starts from the nearest Kronecker products of a model's dense recurrences. Oracle: a
/// dense LSTM whose gate blocks are exact Kronecker products (explicit `kron` of known factors) factors back to a
/// network with the same outputs.
struct FactorizeTests {
    @Test func exactKroneckerBlocksFactorBackToTheSameOutputs() throws {
        let shapes = [KroneckerFactorShape(rows: 2, columns: 2), KroneckerFactorShape(rows: 3, columns: 3)]
        let kronecker = LayerArchitecture(cell: .lstm, hiddenSize: 6, recurrence: .kronecker(factorShapes: shapes,
            rank: 1))
        let architecture = try TestNetworks.architecture(input: .embedding, layers: [kronecker], output: .categorical)
        let source = TestNetworks.randomNetwork(architecture, seed: 191)

        // The same model with each gate block written out densely: K[i, j] = W_0[i / 3, j / 3]·W_1[i % 3, j % 3].
        let denseLayer = LayerArchitecture(cell: .lstm, hiddenSize: 6, recurrence: .dense)
        let denseArchitecture = try TestNetworks.architecture(input: .embedding, layers: [denseLayer],
                                                              output: .categorical)
        var dense = KRUNetwork(architecture: denseArchitecture, parameters: [Double](repeating: 0,
            count: ParameterLayout(architecture: denseArchitecture).scalarCount))
        for tensor in dense.layout.tensors {
            if case .recurrentWeight = tensor.role {
                for g in 0..<4 {
                    let w0 = source.values(of: source.layout.tensor(for: .recurrentFactor(layer: 0, gate: g, term: 0,
                        factor: 0))!).real
                    let w1 = source.values(of: source.layout.tensor(for: .recurrentFactor(layer: 0, gate: g, term: 0,
                        factor: 1))!).real
                    for i in 0..<6 {
                        for j in 0..<6 {
                            let product = w0[(i / 3) * 2 + j / 3] * w1[(i % 3) * 3 + j % 3]
                            dense.parameters[tensor.offset + (g * 6 + i) * 6 + j] = product
                        }
                    }
                }
            } else {
                let from = source.layout.tensor(named: tensor.name)!
                dense.parameters.replaceSubrange(tensor.range, with: source.parameters[from.range])
            }
        }
        let (factored, errors) = try dense.factorizingDenseRecurrences(.shapes(shapes), rank: 1)
        #expect(factored.architecture == architecture)
        #expect(errors.count == 4 && errors.allSatisfy { $0 < 1e-12 }, "\(errors)")
        let batch = TestNetworks.batch(architecture, length: 5, batchSize: 3, seed: 192)
        let expected = source.outputs(for: batch).values, actual = factored.outputs(for: batch).values
        #expect(zip(expected, actual).map { abs($0 - $1) }.max()! < 1e-10)
    }
}
