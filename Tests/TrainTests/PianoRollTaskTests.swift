import KRUInference
import Testing
@testable import KRUTrain

/// Padded batches of pieces of different lengths: the padding never counts, and the gradient is still exact.
struct PianoRollTaskTests {
    /// Three pieces of 5, 2 and 4 frames over 3 keys, drawn from a seed.
    static func task() -> PianoRollTask {
        var random = KRURandom(seed: 101)
        let lengths = [5, 2, 4]
        let rolls = (0..<lengths.reduce(0, +) * 3).map { _ in UInt8(random.nextIndex(below: 2)) }
        return PianoRollTask(rolls: rolls, lengths: lengths, keys: 3)
    }

    static func network(for task: PianoRollTask) throws -> KRUNetwork {
        let layer = LayerArchitecture(cell: .gru, hiddenSize: 6,
                                      recurrence: .kronecker(factorShapes: TestNetworks.smallShapes, rank: 1))
        return TestNetworks.randomNetwork(try task.architecture(layers: [layer]), seed: 102)
    }

    @Test func batchesShiftFramesAndMaskThePadding() throws {
        let task = Self.task()
        let batch = task.batch([0, 1, 2])
        #expect(batch.length == 4 && batch.lengths == [4, 1, 3])
        #expect(batch.scoredCount == 8)
        guard case .vectors(let inputs, 3) = batch.inputs, case .values(let targets) = batch.targets else {
            Issue.record("a piano-roll batch holds vectors and values")
            return
        }
        // Piece 2 (rows t·3 + 2) starts at frame 7: input frame 7 + t, target frame 8 + t.
        for t in 0..<3 {
            for key in 0..<3 {
                #expect(inputs[(t * 3 + 2) * 3 + key] == Double(task.rolls[(7 + t) * 3 + key]))
                #expect(targets[(t * 3 + 2) * 3 + key] == Double(task.rolls[(8 + t) * 3 + key]))
            }
        }
        #expect(inputs[(1 * 3 + 1) * 3..<(1 * 3 + 1) * 3 + 3].allSatisfy { $0 == 0 })  // piece 1 is over after step 0
    }

    /// The padded batch's loss is the frame-weighted mean of each piece run alone (no padding at all).
    @Test func paddedLossEqualsThePiecesRunAlone() throws {
        let task = Self.task(), network = try Self.network(for: task)
        let padded = network.loss(on: task.batch([0, 1, 2]), threads: 1)
        let alone = (0..<3).map { network.loss(on: task.batch([$0]), threads: 1) * Double(task.lengths[$0] - 1) }
        #expect(abs(padded - alone.reduce(0, +) / 8) < 1e-12)
        #expect(abs(task.frameNegativeLogLikelihood(of: network, batchSize: 2, threads: 1) - padded) < 1e-12)
    }

    @Test func gradientThroughAPaddedBatchChecks() throws {
        let task = Self.task(), network = try Self.network(for: task)
        GradientCheckTests.check(GradientCheck(network: network, batch: task.batch([2, 0, 1]), state: nil, penalty: 0),
                                 "padded piano rolls")
    }
}
