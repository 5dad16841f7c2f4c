import ArgumentParser
import CLAPACK
import Foundation
import KRUFormat
import KRUInference
import KRUTrain

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a complex KRU on the copy memory or adding problem, or a character language model.",
        discussion: """
            Adam with gradient clipping and the soft unitary penalty λ·Σ‖WᴴW − I‖². Copy and adding draw fresh
            batches every step; a fixed validation batch of 64 sequences (drawn from --seed + 1) is scored every
            --validate-every steps. charlm cuts the training text into --batch parallel streams and trains on
            chunks of --bptt characters, carrying the state from chunk to chunk; validation bits/char are taken on
            --valid or, without it, on the last 10 % of --data.
            Results are reproducible: the same command with the same --seed and --threads writes the same bytes.
            They depend on --threads (the recurrence is split over that many workers, which changes the order of
            floating-point sums).
            Example: kru train --task copy --delay 100 --hidden 128 --factors 2x2x2x2x2x2x2 --steps 1500 --out copy.kru
            """
    )

    enum Task: String, ExpressibleByArgument, CaseIterable { case copy, adding, charlm }

    @Option(help: "copy, adding or charlm.") var task: Task
    @Option(help: "Copy: the delay T.") var delay = 100
    @Option(help: "Adding: the sequence length T.") var length = 100
    @Option(help: "charlm: the training text (UTF-8).") var data: String?
    @Option(help: "charlm: the validation text (default: the last 10 % of --data).") var valid: String?
    @Option(help: "charlm: truncated BPTT window in characters.") var bptt = 100
    @Option(help: "charlm: embedding width (default: one-hot input).") var embedding: Int?
    @Option(help: "Hidden size N (must be the product of the factor sizes).") var hidden: Int?
    @Option(help: "Square Kronecker factor sizes, e.g. 2x2x2 for three 2×2 factors.") var factors: String
    @Option(help: "modrelu, split_relu or split_tanh.") var activation = "modrelu"
    @Option(help: "Parameter updates.") var steps = 1000
    @Option(help: "Sequences (streams for charlm) per batch.") var batch = 16
    @Option(help: "Adam learning rate.") var lr = 2e-3
    @Option(help: "Strength λ of the soft unitary penalty (0 = off).") var lambda = 0.01
    @Option(help: "Clip the gradient to this norm (0 = off).") var clip = 1.0
    @Option(help: "Seed of the initialisation and the data.") var seed: UInt64 = 1
    @Option(help: "Worker threads (results depend on it).") var threads = 2
    @Option(help: "Validate every this many steps.") var validateEvery = 50
    @Option(help: "The .kru file to write.") var out: String
    @Flag(help: "Print the summary as JSON.") var json = false

    func validate() throws {
        guard steps >= 1, batch >= 1, threads >= 1, validateEvery >= 1, bptt >= 1 else {
            throw usage("--steps, --batch, --threads, --validate-every and --bptt must be at least 1")
        }
        guard lr > 0, lambda >= 0, clip >= 0 else { throw usage("--lr must be positive, --lambda and --clip non-negative") }
        if task == .copy, delay < 1 { throw usage("--delay must be at least 1") }
        if task == .adding, length < 2 { throw usage("--length must be at least 2") }
        if task == .charlm, data == nil { throw usage("--task charlm needs --data") }
        if let embedding, embedding < 1 { throw usage("--embedding must be at least 1") }
    }

    /// The KRU layer --hidden, --factors and --activation describe.
    func layer() throws -> LayerArchitecture {
        let sizes = factors.split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
        guard !sizes.isEmpty, sizes.allSatisfy({ ($0 ?? 0) >= 1 }) else {
            throw usage("--factors takes sizes like 2x2x2 (square factors), got \(factors)")
        }
        let product = sizes.reduce(1) { $0 * $1! }
        if let hidden, hidden != product {
            throw usage("--hidden \(hidden) is not the product of the factor sizes \(factors) (\(product))")
        }
        guard let activation = ModelDescription.Activation(rawValue: activation) else {
            throw usage("--activation takes modrelu, split_relu or split_tanh, got \(activation)")
        }
        return LayerArchitecture(squareFactors: sizes.map { $0! }, activation: activation)
    }

    func run() throws {
        let layer = try layer()
        openblas_set_num_threads(1)  // the trainer's own workers do the parallel work
        let summary: Summary
        switch task {
        case .copy, .adding: summary = try trainSynthetic(layer: layer)
        case .charlm: summary = try trainCharacters(layer: layer)
        }
        var metadata: [KRUMetadataEntry] = [
            .init("general.creation_tool", .string("kru train")),
            .init("kru.train.task", .string(task.rawValue)),
            .init("kru.train.steps", .int(Int64(steps))),
            .init("kru.train.batch", .int(Int64(batch))),
            .init("kru.train.seed", .int(Int64(bitPattern: seed))),
            .init("kru.train.threads", .int(Int64(threads))),
            .init("kru.train.optimizer", .string("adam")),
            .init("kru.train.lr", .float(lr)),
            .init("kru.train.lambda", .float(lambda)),
            .init("kru.train.clip", .float(clip)),
            .init("kru.train.validate_every", .int(Int64(validateEvery))),
            .init("kru.train.validation_metric", .string(summary.unit)),
            .init("kru.train.validation_history", .floatArray(summary.history)),
            .init("kru.train.final_loss", .float(summary.finalLoss)),
        ]
        switch task {
        case .copy: metadata.append(.init("kru.train.delay", .int(Int64(delay))))
        case .adding: metadata.append(.init("kru.train.length", .int(Int64(length))))
        case .charlm:
            metadata.append(.init("kru.train.bptt", .int(Int64(bptt))))
            metadata.append(.init("kru.train.data", .string((data! as NSString).lastPathComponent)))
            if let valid { metadata.append(.init("kru.train.valid", .string((valid as NSString).lastPathComponent))) }
        }
        do {
            try summary.network.write(toPath: out, metadata: metadata)
        } catch {
            printError("\(out): \(error)")
            throw ExitCode(1)
        }
        summary.print(task: task, steps: steps, out: out, json: json)
    }

    struct Summary {
        var network: KRUNetwork
        var seconds: Double
        var finalLoss: Double
        var validation: Double
        var history: [Double]
        var unit: String
        var baseline: Double?
        var characters: Int?

        func print(task: Task, steps: Int, out: String, json: Bool) {
            let parameters = network.parameters.count
            if json {
                var document: [String: Any] = [
                    "task": task.rawValue, "steps": steps, "seconds": seconds, "steps_per_second": Double(steps) / seconds,
                    "final_loss": finalLoss, "validation": validation, "validation_history": history, "unit": unit,
                    "parameters": parameters, "out": out,
                ]
                if let baseline {
                    document["baseline"] = baseline
                    document["ratio"] = validation / baseline
                }
                if task == .charlm { document["validation_bits_per_char"] = validation }
                if let characters { document["characters_per_second"] = Double(characters) / seconds }
                Swift.print(jsonString(document.mapValues { value -> Any in
                    if let x = value as? Double, !x.isFinite { return "\(x)" }
                    if let xs = value as? [Double] { return xs.map { $0.isFinite ? $0 as Any : "\($0)" as Any } }
                    return value
                }))
                return
            }
            Swift.print(String(format: "%@: %d steps in %.1f s (%.1f steps/s), %d parameters",
                               task.rawValue, steps, seconds, Double(steps) / seconds, parameters))
            Swift.print(String(format: "final training loss %.5g %@, validation %.5g %@", finalLoss, unit, validation, unit))
            if let baseline {
                Swift.print(String(format: "memoryless baseline %.5g %@, validation/baseline %.4g", baseline, unit, validation / baseline))
            }
            Swift.print("wrote \(out)")
        }
    }

    /// A one-line usage error (exit status 1), like every other `kru` error.
    private func usage(_ message: String) -> ExitCode {
        printError(message)
        return ExitCode(1)
    }

    private func makeTrainer(_ network: KRUNetwork) -> KRUTrainer {
        KRUTrainer(network: network, optimizer: Adam(learningRate: lr),
                   configuration: .init(unitaryPenalty: lambda, clipNorm: clip > 0 ? clip : nil, threads: threads))
    }

    private func trainSynthetic(layer: LayerArchitecture) throws -> Summary {
        let copy = CopyMemoryTask(delay: max(delay, 1)), adding = AddingTask(length: max(length, 2))
        let architecture = try task == .copy ? copy.architecture(layers: [layer]) : adding.architecture(layers: [layer])
        let scale = task == .copy ? 1 / log(2.0) : 1  // copy in bits per step, adding as a mean squared error
        let unit = task == .copy ? "bits/step" : "mse"
        var random = KRURandom(seed: seed)
        let trainer = makeTrainer(KRUNetwork(architecture: architecture, random: &random))
        var held = KRURandom(seed: seed &+ 1)
        let validation = task == .copy ? copy.batch(size: 64, random: &held) : adding.batch(size: 64, random: &held)
        let progress = ProgressLine(total: steps, unit: "steps")
        let start = Date()
        var history: [Double] = [], finalLoss = Double.nan
        for step in 1...steps {
            let batch = task == .copy ? copy.batch(size: self.batch, random: &random) : adding.batch(size: self.batch, random: &random)
            finalLoss = trainer.train(on: batch).loss * scale
            if step % validateEvery == 0 || step == steps {
                history.append(trainer.evaluate(validation) * scale)
            }
            progress.update(step, status: status(finalLoss, history.last, unit))
        }
        progress.finish()
        return Summary(network: trainer.network, seconds: Date().timeIntervalSince(start), finalLoss: finalLoss,
                       validation: history.last!, history: history, unit: unit,
                       baseline: task == .copy ? copy.baselineBits : AddingTask.baselineMeanSquaredError)
    }

    private func trainCharacters(layer: LayerArchitecture) throws -> Summary {
        let text = try readText(data!)
        let task = CharacterTask(trainingText: text)
        var tokens = try encode(task, text, data!)
        var validTokens: [Int]
        if let valid {
            validTokens = try encode(task, try readText(valid), valid)
        } else {
            let tail = tokens.count / 10
            validTokens = Array(tokens[(tokens.count - tail)...])
            tokens.removeLast(tail)
        }
        let streamLength = CharacterTask.streamLength(tokenCount: tokens.count, streams: batch)
        guard streamLength >= 1 else {
            printError("\(data!): \(tokens.count) training characters are too few for \(batch) streams")
            throw ExitCode(1)
        }
        guard validTokens.count >= 2 else {
            printError("the validation text needs at least 2 characters (give --valid or a longer --data)")
            throw ExitCode(1)
        }
        var random = KRURandom(seed: seed)
        let trainer = makeTrainer(KRUNetwork(architecture: try task.architecture(layers: [layer], embeddingWidth: embedding),
                                             random: &random))
        func validate() -> Double {
            CharacterTask.bitsPerCharacter(of: trainer.network, tokens: validTokens, streams: batch, chunk: bptt,
                                           threads: threads)
        }
        let progress = ProgressLine(total: steps, unit: "steps")
        let start = Date()
        var history: [Double] = [], finalLoss = Double.nan, position = 0, characters = 0
        var state: RecurrentState?
        for step in 1...steps {
            let length = min(bptt, streamLength - position)
            let chunk = CharacterTask.batch(tokens: tokens, streams: batch, start: position, length: length)
            let report = trainer.train(on: chunk, from: state)
            finalLoss = report.loss / log(2.0)
            characters += length * batch
            position += length
            if position >= streamLength {  // a new epoch starts every stream from its beginning, from a zero state
                position = 0
                state = nil
            } else {
                state = report.finalState
            }
            if step % validateEvery == 0 || step == steps { history.append(validate()) }
            progress.update(step, status: status(finalLoss, history.last, "bits/char"),
                            extra: (Double(characters), "chars"))
        }
        progress.finish()
        return Summary(network: trainer.network, seconds: Date().timeIntervalSince(start), finalLoss: finalLoss,
                       validation: history.last!, history: history, unit: "bits/char", baseline: nil,
                       characters: characters)
    }

    private func status(_ loss: Double, _ validation: Double?, _ unit: String) -> String {
        var text = String(format: "loss %.4g", loss)
        if let validation { text += String(format: ", valid %.4g", validation) }
        return text + " \(unit)"
    }

    private func encode(_ task: CharacterTask, _ text: String, _ path: String) throws -> [Int] {
        switch task.encode(text) {
        case .success(let tokens): return tokens
        case .failure(let error):
            printError("\(path): \(error)")
            throw ExitCode(1)
        }
    }
}
