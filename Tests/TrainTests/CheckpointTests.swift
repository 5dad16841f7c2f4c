import Foundation
import KRUFormat
import KRUInference
import Testing
@testable import KRUTrain

/// Checkpoints: a run stopped and resumed from its checkpoint makes exactly the updates of an uninterrupted run.
struct CheckpointTests {
    /// An LSTM with a Kronecker recurrence and a carried state, trained with Adam: every piece of state matters.
    private func setup() throws -> (KRUArchitecture, KRUNetwork, [SequenceBatch]) {
        let layer = LayerArchitecture(cell: .lstm, hiddenSize: 24,
                                      recurrence: .kronecker(factorShapes: TestNetworks.rectangularShapes, rank: 2))
        let architecture = try TestNetworks.architecture(input: .embedding, layers: [layer], output: .categorical)
        let network = TestNetworks.randomNetwork(architecture, seed: 91)
        let batches = (0..<6).map { TestNetworks.batch(architecture, length: 4, batchSize: 3, seed: 92 + UInt64($0)) }
        return (architecture, network, batches)
    }

    private let configuration = [KRUMetadataEntry("kru.train.lr", .float(0.01)),
                                 KRUMetadataEntry("kru.train.task", .string("test"))]

    @Test(arguments: ["adam", "rmsprop"])
    func resumedTrainingEqualsUninterruptedTraining(_ optimizerName: String) throws {
        let (architecture, network, batches) = try setup()
        func optimizer() -> any Optimizer {
            optimizerName == "adam" ? Adam(learningRate: 0.01) : RMSprop(learningRate: 0.01)
        }
        let straight = KRUTrainer(network: network, optimizer: optimizer(),
                                  configuration: .init(unitaryPenalty: 0.01, clipNorm: 1))
        var state: RecurrentState?
        for batch in batches { state = straight.train(on: batch, from: state).finalState }

        let first = KRUTrainer(network: network, optimizer: optimizer(),
                               configuration: .init(unitaryPenalty: 0.01, clipNorm: 1))
        state = nil
        for batch in batches[..<3] { state = first.train(on: batch, from: state).finalState }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kru-ckpt-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let progress = TrainingProgress(step: 3, random: KRURandom(seed: 5), position: 12, state: state,
                                        history: [1.5, 0.5],
                                        items: 36, lastLoss: 0.25, seconds: 1.5,
                                        best: (2, 0.5, first.network.parameters.map { $0 + 1 }))
        try TrainingCheckpoint(network: first.network, optimizer: first.optimizer.state, progress: progress,
                               configuration: configuration).write(toPath: path)

        // Stored raw: deflating Double parameters and moments costs time and saves next to nothing.
        #expect(try KRUFile(path: path).tensors.allSatisfy { $0.compression == .none })

        let restored = try TrainingCheckpoint(path: path, architecture: architecture, configuration: configuration)
        #expect(restored.progress == progress)
        #expect(restored.network.parameters == first.network.parameters)
        #expect(restored.optimizer == first.optimizer.state)
        let second = KRUTrainer(network: restored.network, optimizer: optimizer(),
                                configuration: .init(unitaryPenalty: 0.01, clipNorm: 1))
        try second.optimizer.restore(restored.optimizer, parameterCount: network.parameterCount)
        state = restored.progress.state
        for batch in batches[3...] { state = second.train(on: batch, from: state).finalState }
        #expect(second.network.parameters == straight.network.parameters)
    }

    @Test func aCheckpointOfAnotherRunIsRefusedNamingTheSetting() throws {
        let (architecture, network, _) = try setup()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kru-ckpt-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try TrainingCheckpoint(network: network, optimizer: Adam().state,
                               progress: TrainingProgress(random: KRURandom(seed: 1)),
                               configuration: configuration).write(toPath: path)
        let other = [KRUMetadataEntry("kru.train.lr", .float(0.02)), configuration[1]]
        #expect {
            try TrainingCheckpoint(path: path, architecture: architecture, configuration: other)
        } throws: { error in
            "\(error)".contains("kru.train.lr")
        }
        // A checkpoint of a smaller model does not fit this architecture: refused, naming a tensor.
        let small = try TestNetworks.architecture(
            input: .embedding, layers: [LayerArchitecture(cell: .lstm, hiddenSize: 6, recurrence: .dense)],
            output: .categorical)
        #expect {
            try TrainingCheckpoint(path: path, architecture: small, configuration: configuration)
        } throws: { error in
            "\(error)".contains("layer.0.")
        }
    }

    @Test func optimizerStatesThatDoNotFitAreRefused() {
        var adam = Adam()
        #expect(throws: OptimizerStateError.self) {
            try adam.restore(OptimizerState(stepCount: 1, buffers: ["m": [1, 2]]), parameterCount: 2)
        }
        #expect(throws: OptimizerStateError.self) {
            try adam.restore(OptimizerState(stepCount: 1, buffers: ["m": [1, 2], "v": [1, 2, 3]]), parameterCount: 2)
        }
    }
}

/// The learning-rate schedules against their closed forms.
struct LearningRateScheduleTests {
    @Test func warmupIsLinearAndConstantStaysAtThePeak() {
        let schedule = LearningRateSchedule(peak: 0.1, warmup: 4, totalSteps: 10)
        let expected = [0.025, 0.05, 0.075, 0.1, 0.1, 0.1]
        #expect(zip([1, 2, 3, 4, 5, 10].map(schedule.rate(atStep:)), expected).allSatisfy { abs($0 - $1) < 1e-15 })
    }

    @Test func cosineRunsFromThePeakToTheFloor() {
        let schedule = LearningRateSchedule(peak: 2, decay: .cosine(floor: 0.1), warmup: 2, totalSteps: 12)
        #expect(schedule.rate(atStep: 3) == 2)  // first step after the warm-up
        #expect(abs(schedule.rate(atStep: 12) - 0.2) < 1e-15)  // floor × peak at the last step
        // Half-way (step 3 + 4.5 of 9 intervals): the mean of peak and floor.
        let mid = LearningRateSchedule(peak: 2, decay: .cosine(floor: 0.1), warmup: 0, totalSteps: 11)
        #expect(abs(mid.rate(atStep: 6) - 1.1) < 1e-12)
        let rates = (3...12).map(schedule.rate(atStep:))
        #expect(zip(rates, rates.dropFirst()).allSatisfy { $0 > $1 })
    }

    @Test func stepDecayHalvesEveryInterval() {
        let schedule = LearningRateSchedule(peak: 1, decay: .step(every: 3, factor: 0.5), totalSteps: 10)
        #expect((1...7).map(schedule.rate(atStep:)) == [1, 1, 1, 0.5, 0.5, 0.5, 0.25])
    }
}
