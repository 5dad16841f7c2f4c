import KRUInference
@testable import KRUTrain

/// Central finite differences of the training objective (loss + λ·penalty) against the analytic gradient.
struct GradientCheck {
    struct TensorResult: CustomStringConvertible {
        let name: String
        let checked: Int
        /// max |numeric − analytic| / max(|numeric|, |analytic|) over the checked entries of the tensor.
        let relativeError: Double
        let largestGradient: Double
        var description: String {
            "\(name): \(checked) entries, relative error \(relativeError), |g|max \(largestGradient)"
        }
    }

    let network: KRUNetwork
    let batch: SequenceBatch
    let state: RecurrentState?
    let penalty: Double
    /// Fixed dropout masks, the same for the analytic gradient and every probe of the finite differences.
    var dropout: DropoutMasks?
    var step = 1e-5
    /// Entries checked per tensor at most (chosen at random, seeded).
    var samplesPerTensor = 24

    func objective(_ parameters: [Double]) -> Double {
        var probe = network
        probe.parameters = parameters
        let loss = dropout == nil ? probe.loss(on: batch, from: state, threads: 1)
            : probe.lossAndGradient(on: batch, from: state, threads: 1, dropout: dropout).loss
        return loss + penalty * UnitaryPenalty.value(of: probe)
    }

    func analyticGradient(threads: Int = 2) -> [Double] {
        var gradient = network.lossAndGradient(on: batch, from: state, threads: threads, dropout: dropout).gradient
        UnitaryPenalty.addGradient(of: network, strength: penalty, to: &gradient)
        return gradient
    }

    func run(seed: UInt64 = 7) -> [TensorResult] {
        let analytic = analyticGradient()
        var random = KRURandom(seed: seed)
        return network.layout.tensors.map { tensor in
            var indices = Array(tensor.range)
            if indices.count > samplesPerTensor {
                random.shuffle(&indices)
                indices = Array(indices.prefix(samplesPerTensor))
            }
            var worst = 0.0, largest = 0.0
            var differences: [(Double, Double)] = []
            for i in indices {
                var plus = network.parameters, minus = network.parameters
                plus[i] += step
                minus[i] -= step
                let numeric = (objective(plus) - objective(minus)) / (2 * step)
                differences.append((numeric, analytic[i]))
                largest = max(largest, abs(numeric), abs(analytic[i]))
            }
            for (numeric, exact) in differences { worst = max(worst, abs(numeric - exact)) }
            return TensorResult(name: tensor.name, checked: indices.count,
                                relativeError: largest > 0 ? worst / largest : worst,
                                largestGradient: largest)
        }
    }
}
