import Foundation
import KRUInference
import Testing
@testable import KRUTrain

/// Trains a KRU on the adding problem at T = 30 (vector inputs, one regression output after the last step) until it
/// adds: the mean squared error on fresh sequences must fall below 0.05, under a third of the baseline 1/6 of
/// always answering 1.
///
/// N = 128 (seven 2×2 factors), split ReLU (modReLU starts linear at β = 0 and sits on a long plateau here), Adam
/// 2e-3, clipping at norm 1, batches of 16. Early stop once a validation batch is below 0.02 (checked every 50
/// updates); the verdict is taken on 500 other sequences.
struct AddingTrainingTests {
    @Test(.timeLimit(.minutes(10)))
    func learnsToAdd() throws {
        let task = AddingTask(length: 30)
        let layer = LayerArchitecture(squareFactors: [2, 2, 2, 2, 2, 2, 2], activation: .splitReLU)
        var random = KRURandom(seed: 1997)
        let network = KRUNetwork(architecture: try task.architecture(layers: [layer]), random: &random)
        let trainer = KRUTrainer(network: network, optimizer: Adam(learningRate: 2e-3),
                                 configuration: .init(clipNorm: 1, threads: 2))
        var held = KRURandom(seed: 3)
        let validation = task.batch(size: 200, random: &held)
        let test = task.batch(size: 500, random: &held)
        let start = Date()
        var updates = 0, validationError = Double.infinity
        while updates < 3000, validationError >= 0.02 {
            trainer.train(on: task.batch(size: 16, random: &random))
            updates += 1
            if updates % 50 == 0 { validationError = trainer.evaluate(validation) }
        }
        let testError = trainer.evaluate(test)
        print(String(format: "adding T=30: %d updates in %.1f s; test MSE %.4f (baseline %.4f)", updates,
                     Date().timeIntervalSince(start), testError, AddingTask.baselineMeanSquaredError))
        #expect(testError < 0.05)
    }
}
