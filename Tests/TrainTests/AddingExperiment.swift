import Foundation
import KRUInference
import Testing
@testable import KRUTrain

/// A configurable adding-problem run for exploring settings; runs only with KRU_ADDING_EXPERIMENT=1 (not in CI).
/// Settings (environment): LENGTH (T, 100), FACTORS, ACT, BATCH, ITERS, LR, PENALTY, CLIP, SEED as for
/// ``CopyMemoryExperiment``, and CHUNK (truncated-BPTT window, 0 = whole sequence).
struct AddingExperiment {
    static var enabled: Bool { ProcessInfo.processInfo.environment["KRU_ADDING_EXPERIMENT"] == "1" }

    @Test(.enabled(if: AddingExperiment.enabled))
    func run() throws {
        let setting = CopyMemoryExperiment.setting
        let length = Int(setting("LENGTH", "100"))!
        let factors = setting("FACTORS", "2,2,2,2,2,2,2").split(separator: ",").map { Int($0)! }
        let activation = ModelDescription.Activation(rawValue: setting("ACT", "modrelu"))!
        let batchSize = Int(setting("BATCH", "32"))!
        let iterations = Int(setting("ITERS", "500"))!
        let lr = Double(setting("LR", "1e-3"))!
        let penalty = Double(setting("PENALTY", "0"))!
        let clip = Double(setting("CLIP", "0"))!
        let chunk = Int(setting("CHUNK", "0"))!
        var random = KRURandom(seed: UInt64(setting("SEED", "1"))!)
        let task = AddingTask(length: length)
        let layer = LayerArchitecture(squareFactors: factors, activation: activation)
        let network = KRUNetwork(architecture: try task.architecture(layers: [layer]), random: &random)
        let trainer = KRUTrainer(network: network, optimizer: Adam(learningRate: lr),
                                 configuration: .init(unitaryPenalty: penalty, clipNorm: clip > 0 ? clip : nil,
                                                      chunkLength: chunk > 0 ? chunk : nil))
        var held = KRURandom(seed: 5)
        let test = task.batch(size: 500, random: &held)
        print("adding T=\(length) N=\(layer.hiddenSize) \(activation.rawValue) B=\(batchSize) lr=\(lr)",
              "baseline \(AddingTask.baselineMeanSquaredError)")
        let start = Date()
        for i in 1...iterations {
            let report = trainer.train(on: task.batch(size: batchSize, random: &random))
            if i % 100 == 0 || i == iterations {
                print(String(format: "%5d  train %.5f  test MSE %.5f  |g| %.3f  %.1fs", i, report.loss,
                             trainer.evaluate(test),
                             report.gradientNorm, Date().timeIntervalSince(start)))
            }
        }
    }
}
