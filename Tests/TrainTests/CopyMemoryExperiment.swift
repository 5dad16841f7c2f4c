import Foundation
import KRUInference
import Testing
@testable import KRUTrain

/// A configurable copy-memory run for exploring settings; runs only with KRU_COPY_EXPERIMENT=1 (not in CI), e.g.
///
///     KRU_COPY_EXPERIMENT=1 ITERS=800 LR=2e-3 CLIP=1 BATCH=16 PENALTY=0.01 \
///       swift test -c release -Xswiftc -enable-testing --filter CopyMemoryExperiment
///
/// Settings (environment): DELAY (T, 100), FACTORS (square factor sizes, 2,2,2,2,2,2,2), ACT (modrelu), BATCH (32),
/// ITERS (200), LR (1e-3), OPT (adam | rmsprop), PENALTY (λ, 0), CLIP (0 = off), INIT (unitary | identity),
/// USCALE / VSCALE (U and V deviations; default per KRUInitialization), BETA0 (initial β), SEED (1), THREADS (2).
struct CopyMemoryExperiment {
    static var enabled: Bool { ProcessInfo.processInfo.environment["KRU_COPY_EXPERIMENT"] == "1" }
    static func setting(_ name: String, _ fallback: String) -> String {
        ProcessInfo.processInfo.environment[name] ?? fallback
    }

    @Test(.enabled(if: CopyMemoryExperiment.enabled))
    func run() throws {
        let delay = Int(Self.setting("DELAY", "100"))!
        let factors = Self.setting("FACTORS", "2,2,2,2,2,2,2").split(separator: ",").map { Int($0)! }
        let activation = ModelDescription.Activation(rawValue: Self.setting("ACT", "modrelu"))!
        let batchSize = Int(Self.setting("BATCH", "32"))!
        let iterations = Int(Self.setting("ITERS", "200"))!
        let lr = Double(Self.setting("LR", "1e-3"))!
        let penalty = Double(Self.setting("PENALTY", "0"))!
        let seed = UInt64(Self.setting("SEED", "1"))!
        let optimizerName = Self.setting("OPT", "adam")
        let inputScale = Double(Self.setting("USCALE", "-1"))!
        let readoutScale = Double(Self.setting("VSCALE", "-1"))!
        let factorInit = Self.setting("INIT", "unitary")
        let beta0 = Double(Self.setting("BETA0", "0"))!
        let clip = Double(Self.setting("CLIP", "0"))!
        let threads = Int(Self.setting("THREADS", "2"))!

        let task = CopyMemoryTask(delay: delay)
        let layer = LayerArchitecture(squareFactors: factors, activation: activation)
        var random = KRURandom(seed: seed)
        let initialization = KRUInitialization(factors: factorInit == "identity" ? .identity : .randomUnitary,
                                               inputScale: inputScale > 0 ? inputScale : nil,
                                               readoutScale: readoutScale > 0 ? readoutScale : nil, modReLUBias: beta0)
        let network = KRUNetwork(architecture: try task.architecture(layers: [layer]), initialization: initialization,
                                 random: &random)
        let optimizer: any Optimizer = optimizerName == "rmsprop" ? RMSprop(learningRate: lr) : Adam(learningRate: lr)
        let trainer = KRUTrainer(network: network, optimizer: optimizer,
                                 configuration: .init(unitaryPenalty: penalty, clipNorm: clip > 0 ? clip : nil,
                                                      threads: threads))
        var evaluation = KRURandom(seed: 999)
        let test = task.batch(size: 256, random: &evaluation)
        print("copy T=\(delay) N=\(layer.hiddenSize) factors \(factors) \(activation.rawValue) B=\(batchSize) lr=\(lr)",
              "λ=\(penalty) \(optimizerName) params=\(network.parameterCount) baseline \(task.baselineBits) bits")
        let start = Date()
        for i in 1...iterations {
            let report = trainer.train(on: task.batch(size: batchSize, random: &random))
            if i % 50 == 0 || i == iterations {
                let outputs = trainer.network.outputs(for: test)
                let bits = CopyMemoryTask.bits(fromNats: trainer.evaluate(test))
                print(String(format: "%5d  train %.5f  test %.5f bits (%.2f%% of baseline)  " +
                                     "recall %.3f  |g| %.3f  %.1fs", i,
                             CopyMemoryTask.bits(fromNats: report.loss), bits, 100 * bits / task.baselineBits,
                             task.recallAccuracy(outputs, test), report.gradientNorm, Date().timeIntervalSince(start)))
                fflush(nil)
            }
        }
    }
}
