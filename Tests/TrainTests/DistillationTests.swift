import Foundation
import KRUFormat
import KRUInference
import Testing
@testable import KRUTrain

/// Knowledge distillation: the loss and its gradient against finite differences and closed forms, the teacher's
/// state against single-stream runs of the engine and the trainer's own forward pass, and whole runs.
struct DistillationTests {
    /// Random logits (seeded) with a spread wide enough that the softmaxes are far from uniform.
    static func logits(_ count: Int, seed: UInt64) -> [Double] {
        var random = KRURandom(seed: seed)
        return (0..<count).map { _ in 2 * random.nextStandardNormalPair().0 }
    }

    static func row(_ z: [Double], _ t: [Double], target: Int, _ distillation: Distillation,
                    gradient: inout [Double]) -> (crossEntropy: Double, divergence: Double) {
        z.withUnsafeBufferPointer { z in
            t.withUnsafeBufferPointer { t in
                gradient.withUnsafeMutableBufferPointer { g in
                    DistillationLoss.row(student: z.baseAddress!, teacher: t.baseAddress!, width: z.count,
                                         target: target, distillation: distillation, scale: 1,
                                         gradient: g.baseAddress!)
                }
            }
        }
    }

    /// softmax(x / T) written out plainly (no maximum subtracted; the test logits are small).
    static func softmax(_ x: [Double], _ temperature: Double) -> [Double] {
        let e = x.map { exp($0 / temperature) }
        let total = e.reduce(0, +)
        return e.map { $0 / total }
    }

    /// The terms against their definitions, and the gradient against central differences of the mixed loss
    /// (1 − a)·CE + a·T²·KL and against Hinton's closed form.
    @Test(arguments: [(2.0, 0.5), (1.0, 0.3), (4.0, 0.9), (0.5, 1.0)])
    func theRowLossMatchesItsDefinitionAndFiniteDifferences(temperature: Double, weight: Double) {
        let k = 7, target = 3
        let distillation = Distillation(temperature: temperature, weight: weight)
        let z = Self.logits(k, seed: 1), t = Self.logits(k, seed: 2)
        var gradient = [Double](repeating: .nan, count: k)
        let terms = Self.row(z, t, target: target, distillation, gradient: &gradient)

        let p = Self.softmax(t, temperature), q = Self.softmax(z, temperature), s = Self.softmax(z, 1)
        let divergence = zip(p, q).reduce(0) { $0 + $1.0 * log($1.0 / $1.1) }
        #expect(abs(terms.crossEntropy + log(s[target])) < 1e-12)
        #expect(abs(terms.divergence - divergence) < 1e-12)
        for i in 0..<k {
            let hinton = (1 - weight) * (s[i] - (i == target ? 1 : 0)) + weight * temperature * (q[i] - p[i])
            #expect(abs(gradient[i] - hinton) < 1e-12, "entry \(i): \(gradient[i]) vs \(hinton)")
        }

        func mixed(_ z: [Double]) -> Double {
            var scratch = [Double](repeating: 0, count: k)
            let terms = Self.row(z, t, target: target, distillation, gradient: &scratch)
            return (1 - weight) * terms.crossEntropy + weight * temperature * temperature * terms.divergence
        }
        let h = 1e-5
        for i in 0..<k {
            var up = z, down = z
            up[i] += h
            down[i] -= h
            let numeric = (mixed(up) - mixed(down)) / (2 * h)
            #expect(abs(numeric - gradient[i]) < 1e-8, "entry \(i): numeric \(numeric), analytic \(gradient[i])")
        }
    }

    /// A teacher whose logits are the student's: a divergence of exactly 0, and with a = 1 a gradient of exactly 0.
    @Test func aTeacherEqualToTheStudentAddsNothing() {
        let z = Self.logits(9, seed: 3)
        var gradient = [Double](repeating: .nan, count: 9)
        let terms = Self.row(z, z, target: 4, Distillation(temperature: 3, weight: 1), gradient: &gradient)
        #expect(terms.divergence == 0)
        #expect(gradient.allSatisfy { $0 == 0 }, "\(gradient)")
    }

    /// Through the network: a = 0 gives exactly the plain cross-entropy's loss and gradient, in both precisions;
    /// the mixed loss's gradient matches central differences of (1 − a)·loss + a·T²·divergence.
    @Test func theNetworkGradientIsTheMixedLosss() throws {
        let layer = LayerArchitecture(cell: .lstm, hiddenSize: 6, recurrence: .dense)
        let architecture = try TestNetworks.architecture(input: .embedding, layers: [layer], output: .categorical)
        let network = TestNetworks.randomNetwork(architecture, seed: 5)
        let batch = TestNetworks.batch(architecture, length: 4, batchSize: 3, seed: 6)
        let state = TestNetworks.randomState(architecture, batchSize: 3, seed: 7)
        let teacherLogits = Self.logits(4 * 3 * architecture.output.width, seed: 8)

        for precision in TrainingPrecision.allCases {
            let plain = network.lossAndGradient(on: batch, from: state, threads: 2, precision: precision)
            let soft = SoftTargets(logits: teacherLogits, distillation: Distillation(temperature: 2, weight: 0))
            let weightless = network.lossAndGradient(on: batch, from: state, threads: 2, precision: precision,
                                                     teacher: soft)
            #expect(weightless.loss == plain.loss && weightless.gradient == plain.gradient, "\(precision)")
            #expect(plain.divergence == nil && (weightless.divergence ?? 0) > 0)
        }

        let distillation = Distillation(temperature: 2, weight: 0.6)
        let soft = SoftTargets(logits: teacherLogits, distillation: distillation)
        func objective(_ parameters: [Double]) -> Double {
            var probe = network
            probe.parameters = parameters
            let result = probe.lossAndGradient(on: batch, from: state, threads: 1, teacher: soft)
            return (1 - distillation.weight) * result.loss + distillation.weight * 4 * result.divergence!
        }
        let analytic = network.lossAndGradient(on: batch, from: state, threads: 2, teacher: soft).gradient
        var random = KRURandom(seed: 9)
        for _ in 0..<40 {
            let i = random.nextIndex(below: network.parameterCount)
            var up = network.parameters, down = network.parameters
            up[i] += 1e-5
            down[i] -= 1e-5
            let numeric = (objective(up) - objective(down)) / 2e-5
            let scale = max(abs(numeric), abs(analytic[i]), 1e-6)
            #expect(abs(numeric - analytic[i]) / scale < 1e-5 || abs(numeric - analytic[i]) < 1e-9,
                    "parameter \(i): numeric \(numeric), analytic \(analytic[i])")
        }
    }

    // MARK: The teacher's state

    static let text = String(repeating: "and the earth was without form, and void; and darkness was upon the deep. ",
                             count: 4)

    /// A small character LSTM written to `path` (the engine reads it), returned as the trainer imports it back.
    static func writeModel(_ path: String, vocabulary: [Unicode.Scalar], hidden: Int, seed: UInt64) throws
        -> KRUNetwork {
        let layer = LayerArchitecture(cell: .lstm, hiddenSize: hidden, recurrence: .dense)
        let architecture = try CharacterTask(vocabulary: vocabulary).architecture(layers: [layer], embeddingWidth: 4)
        try TestNetworks.randomNetwork(architecture, seed: seed).write(toPath: path)
        return try KRUNetwork(file: KRUFile(path: path))
    }

    /// The teacher's logits for each window — through a wrap to a new epoch, and for a teacher created mid-epoch as
    /// after a resume — equal the engine's single-stream run of that stream from its epoch start (exactly: a stream
    /// does not depend on its batch), and the trainer's own Double forward pass within Float rounding.
    @Test func theTeacherFollowsTheStudentsStreams() throws {
        let directory = try TrainingRunTests.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let task = CharacterTask(trainingText: Self.text)
        let tokens = try task.encode(Self.text).get()
        let path = directory.appendingPathComponent("teacher.kru").path
        let network = try Self.writeModel(path, vocabulary: task.vocabulary, hidden: 5, seed: 11)
        let model = try KRUModel(path: path)
        let streams = 3, window = 17, k = task.vocabulary.count
        let streamLength = CharacterTask.streamLength(tokenCount: tokens.count, streams: streams)
        let teacher = try DistillationTeacher(model: model, vocabulary: task.vocabulary,
                                              distillation: Distillation(), name: "teacher")

        // Each stream alone: the engine's single-stream logits and the trainer's, for the whole epoch.
        let engine = try (0..<streams).map { b in
            try model.outputs(tokens: Array(tokens[b * streamLength..<(b + 1) * streamLength]), batch: 1,
                              steps: streamLength)
        }
        let trainer = (0..<streams).map { b in
            let inputs = Array(tokens[b * streamLength..<(b + 1) * streamLength])
            let batch = SequenceBatch(length: streamLength, batchSize: 1, inputs: .tokens(inputs),
                                      targets: .classes(inputs), steps: .every)
            return network.outputs(for: batch, threads: 1).values
        }
        func check(_ soft: SoftTargets, start: Int, length: Int) {
            var largest = 0.0
            for t in 0..<length {
                for b in 0..<streams {
                    let row = Array(soft.logits[(t * streams + b) * k..<(t * streams + b + 1) * k])
                    let single = engine[b][(start + t) * k..<(start + t + 1) * k].map(Double.init)
                    #expect(row == single, "step \(start + t), stream \(b)")
                    let reference = trainer[b][(start + t) * k..<(start + t + 1) * k]
                    largest = max(largest, zip(row, reference).map { abs($0 - $1) }.max()!)
                }
            }
            #expect(largest < 1e-4, "engine vs trainer: \(largest)")
        }
        // Two epochs of windows, as CharacterTraining cuts them (the last one of an epoch shorter).
        for _ in 0..<2 {
            for start in stride(from: 0, to: streamLength, by: window) {
                let length = min(window, streamLength - start)
                check(teacher.softTargets(tokens: tokens, streams: streams, start: start, length: length),
                      start: start, length: length)
            }
        }
        // A new teacher asked for a window mid-epoch (a resumed run) rebuilds the state the stream has there.
        let resumed = try DistillationTeacher(model: model, vocabulary: task.vocabulary,
                                              distillation: Distillation(), name: "teacher")
        check(resumed.softTargets(tokens: tokens, streams: streams, start: 2 * window, length: window),
              start: 2 * window, length: window)
    }

    /// A teacher with another vocabulary (even the same characters in another order) is refused.
    @Test func aTeacherWithAnotherVocabularyIsRefused() throws {
        let directory = try TrainingRunTests.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("teacher.kru").path
        let vocabulary = CharacterTask(trainingText: Self.text).vocabulary
        _ = try Self.writeModel(path, vocabulary: vocabulary.reversed(), hidden: 3, seed: 1)
        let error = #expect(throws: TrainingRunError.self) {
            try DistillationTeacher(model: KRUModel(path: path), vocabulary: vocabulary, distillation: Distillation(),
                                    name: "teacher.kru")
        }
        #expect(error?.kind == .data && "\(error!)".contains("vocabulary"), "\(String(describing: error))")
    }

    // MARK: Whole runs

    /// KL(teacher ‖ student) at T = 1 in nats per character over `text`, from the engine's outputs of both models
    /// (an independent path from the trainer's loss).
    static func divergence(teacher: String, student: String, tokens: [Int]) throws -> Double {
        let (p, q) = (try KRUModel(path: teacher), try KRUModel(path: student))
        let a = try p.outputs(tokens: tokens, batch: 1, steps: tokens.count)
        let b = try q.outputs(tokens: tokens, batch: 1, steps: tokens.count)
        let k = p.description.outputWidth
        var total = 0.0
        for row in 0..<tokens.count {
            let pt = softmax(a[row * k..<(row + 1) * k].map(Double.init), 1)
            let qs = softmax(b[row * k..<(row + 1) * k].map(Double.init), 1)
            total += zip(pt, qs).reduce(0) { $0 + $1.0 * log($1.0 / $1.1) }
        }
        return total / Double(tokens.count)
    }

    /// Distilling a small student toward a teacher brings it closer to the teacher than plain fine-tuning for the
    /// same steps and seed; the record names the teacher; an interrupted distilling run resumes to the same bytes.
    @Test func distillingMovesTheStudentTowardTheTeacher() throws {
        let directory = try TrainingRunTests.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = directory.appendingPathComponent("text.txt").path
        try Data(Self.text.utf8).write(to: URL(fileURLWithPath: text))
        let vocabulary = CharacterTask(trainingText: Self.text).vocabulary
        let teacher = directory.appendingPathComponent("teacher.kru").path
        let student = directory.appendingPathComponent("student.kru").path
        _ = try Self.writeModel(teacher, vocabulary: vocabulary, hidden: 8, seed: 21)
        _ = try Self.writeModel(student, vocabulary: vocabulary, hidden: 4, seed: 22)

        func finetune(_ out: String, teacher path: String?, stopAfter: Int? = nil, resume: Bool = false) throws {
            var source = FinetuneSource(model: student)
            source.data = text
            source.bptt = 10
            source.teacher = path
            source.distillation = path.map { _ in Distillation(temperature: 2, weight: 0.9) }
            var settings = TrainingSettings(task: nil)
            settings.steps = 40
            settings.batch = 4
            settings.validateEvery = 20
            settings.learningRate = 0.01
            settings.lambda = 0
            var options = TrainingRunOptions(modelPath: out)
            options.stopAfter = stopAfter
            options.resume = resume
            _ = try TrainingRun(plan: try TrainingPlan.finetune(source, settings: settings), options: options)
                .run { _ in }
        }
        let plain = directory.appendingPathComponent("plain.kru").path
        let distilled = directory.appendingPathComponent("distilled.kru").path
        try finetune(plain, teacher: nil)
        try finetune(distilled, teacher: teacher)
        let tokens = try CharacterTask(vocabulary: vocabulary).encode(Self.text).get()
        let before = try Self.divergence(teacher: teacher, student: student, tokens: tokens)
        let afterPlain = try Self.divergence(teacher: teacher, student: plain, tokens: tokens)
        let afterDistilling = try Self.divergence(teacher: teacher, student: distilled, tokens: tokens)
        #expect(afterDistilling < afterPlain && afterDistilling < before,
                "KL to the teacher: \(before) before, \(afterPlain) fine-tuned, \(afterDistilling) distilled")

        let file = try KRUFile(path: distilled)
        #expect(file.metadata("kru.finetune.teacher") == .string("teacher.kru"))
        let size = try #require(try FileManager.default.attributesOfItem(atPath: teacher)[.size] as? Int)
        #expect(file.metadata("kru.finetune.teacher_bytes") == .int(Int64(size)))
        #expect(file.metadata("kru.finetune.distill_temperature") == .float(2))
        #expect(file.metadata("kru.finetune.distill_weight") == .float(0.9))

        // Stopped after 13 updates (mid-epoch: the teacher's state must be rebuilt), then resumed.
        let interrupted = directory.appendingPathComponent("interrupted.kru").path
        try finetune(interrupted, teacher: teacher, stopAfter: 13)
        try finetune(interrupted, teacher: teacher, resume: true)
        #expect(FileManager.default.contents(atPath: interrupted) == FileManager.default.contents(atPath: distilled))
    }

    /// Settings that cannot work are refused before anything is read.
    @Test func badDistillationSettingsAreRefused() throws {
        func refused(_ source: FinetuneSource) -> String {
            let error = #expect(throws: TrainingRunError.self) {
                try TrainingPlan.finetune(source, settings: TrainingSettings(task: nil))
            }
            #expect(error?.kind == .usage)
            return error.map { "\($0)" } ?? ""
        }
        var source = FinetuneSource(model: "/nonexistent/student.kru")
        source.teacher = "/nonexistent/teacher.kru"
        for temperature in [0, -1, .infinity, .nan] {
            source.distillation = Distillation(temperature: temperature, weight: 0.5)
            #expect(refused(source).contains("--distill-temperature"))
        }
        for weight in [-0.1, 1.5, .nan] {
            source.distillation = Distillation(temperature: 2, weight: weight)
            #expect(refused(source).contains("--distill-weight"))
        }
        source.teacher = nil
        source.distillation = Distillation()
        #expect(refused(source).contains("need --teacher"))
    }
}
