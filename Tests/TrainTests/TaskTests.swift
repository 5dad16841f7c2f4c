import Foundation
import KRUInference
import Testing
@testable import KRUTrain

struct TaskTests {
    @Test func copyMemoryLayout() {
        let task = CopyMemoryTask(delay: 100)
        #expect(task.sequenceLength == 120)
        #expect(abs(task.baselineBits - 0.25) < 1e-15)
        #expect(abs(CopyMemoryTask(delay: 1000).baselineBits - 0.0294) < 1e-4)  // the literature's 0.03 for T = 1000
        var random = KRURandom(seed: 161)
        let batch = task.batch(size: 5, random: &random)
        guard case .tokens(let inputs) = batch.inputs, case .classes(let targets) = batch.targets else {
            Issue.record("copy batches are tokens → classes")
            return
        }
        #expect(batch.scoredSteps.allSatisfy { $0 })
        for b in 0..<5 {
            let x = (0..<120).map { inputs[$0 * 5 + b] }, y = (0..<120).map { targets[$0 * 5 + b] }
            #expect(x[0..<10].allSatisfy { CopyMemoryTask.dataSymbols.contains($0) })
            #expect(x[10..<109].allSatisfy { $0 == CopyMemoryTask.blank })  // T − 1 blanks
            #expect(x[109] == CopyMemoryTask.delimiter)
            #expect(x[110...].allSatisfy { $0 == CopyMemoryTask.blank })
            #expect(y[0..<110].allSatisfy { $0 == CopyMemoryTask.blank })
            #expect(Array(y[110...]) == Array(x[0..<10]))
        }
    }

    /// A model that outputs blank with certainty before the delimiter and a uniform guess over the 8 symbols after
    /// it scores exactly the memoryless baseline.
    @Test func memorylessStrategyScoresTheBaseline() throws {
        let task = CopyMemoryTask(delay: 30)
        var random = KRURandom(seed: 162)
        let batch = task.batch(size: 3, random: &random)
        let k = 10
        var logits = [Double](repeating: -1e9, count: batch.length * 3 * k)
        for t in 0..<batch.length {
            for b in 0..<3 {
                let row = (t * 3 + b) * k
                if t < task.delay + 10 { logits[row] = 0 } else { for s in 1...8 { logits[row + s] = 0 } }
            }
        }
        let (sum, count, _) = logits.withUnsafeBufferPointer {
            SequenceLoss.evaluate(.categorical, logits: $0.baseAddress!, width: k, batch: batch, gradient: nil)
        }
        #expect(abs(CopyMemoryTask.bits(fromNats: sum / Double(count)) - task.baselineBits) < 1e-12)
    }

    @Test func addingProblemLayoutAndBaseline() {
        let task = AddingTask(length: 50)
        var random = KRURandom(seed: 163)
        let batch = task.batch(size: 2000, random: &random)
        guard case .vectors(let inputs, 2) = batch.inputs, case .values(let targets) = batch.targets else {
            Issue.record("adding batches are 2-wide vectors → values")
            return
        }
        #expect(batch.scoredSteps == (0..<50).map { $0 == 49 })
        var squaredError = 0.0
        for b in 0..<2000 {
            let markers = (0..<50).filter { inputs[($0 * 2000 + b) * 2 + 1] == 1 }
            #expect(markers.count == 2 && markers[0] < 25 && markers[1] >= 25)
            let sum = markers.reduce(0) { $0 + inputs[($1 * 2000 + b) * 2] }
            #expect(targets[49 * 2000 + b] == sum)
            squaredError += (sum - 1) * (sum - 1)
        }
        // Always predicting 1 scores about 1/6.
        #expect(abs(squaredError / 2000 - AddingTask.baselineMeanSquaredError) < 0.01)
    }

    @Test func architecturesAreChecked() {
        let layer = LayerArchitecture(hiddenSize: 12, activation: .modReLU,
                                      factorShapes: [KroneckerFactorShape(rows: 3, columns: 4),
                                                     KroneckerFactorShape(rows: 4, columns: 4)])
        #expect(throws: ArchitectureError.self) { try AddingTask(length: 5).architecture(layers: [layer]) }
        #expect(throws: ArchitectureError.self) {
            try KRUArchitecture(input: .tokens(vocabulary: Array("aa".unicodeScalars)),
                                layers: [LayerArchitecture(squareFactors: [2], activation: .modReLU)],
                                output: .init(kind: .categorical, width: 2, steps: .every))
        }
        #expect(throws: ArchitectureError.self) {
            try KRUArchitecture(input: .tokens(vocabulary: Array("ab".unicodeScalars)),
                                layers: [LayerArchitecture(squareFactors: [2], activation: .modReLU)],
                                output: .init(kind: .categorical, width: 3, steps: .every))
        }
        // A sequence classifier over tokens may have its own classes.
        #expect(throws: Never.self) {
            try KRUArchitecture(input: .tokens(vocabulary: Array("ab".unicodeScalars)),
                                layers: [LayerArchitecture(squareFactors: [2], activation: .modReLU)],
                                output: .init(kind: .categorical, width: 3, steps: .last))
        }
    }
}
