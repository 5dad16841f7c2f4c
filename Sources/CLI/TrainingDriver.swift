import ArgumentParser
import Foundation
import KRUFormat
import KRUInference
import KRUTrain

/// The loop both training commands share: the learning-rate schedule, updates, validation, the progress line,
/// checkpoints, resuming, and finally the model with its training record.
struct TrainingDriver {
    let options: TrainingOptions
    let job: any TrainingJob
    /// `general.creation_tool`: "kru train" or "kru finetune".
    let tool: String
    /// Settings besides the options' and the job's that a checkpoint must match (e.g. the architecture flags).
    let settings: [KRUMetadataEntry]

    var configuration: [KRUMetadataEntry] { options.configurationMetadata + job.metadata + settings }

    /// Trains `network` (fresh, with `random` continuing from its initialisation) or resumes from the checkpoint,
    /// then writes the model and prints the summary. Returns without a model when `--stop-after` stopped the run.
    func run(network: KRUNetwork, random: KRURandom, metadata extra: [KRUMetadataEntry] = []) throws {
        let trainer = options.makeTrainer(network)
        var progress = TrainingProgress(random: random)
        if options.resume { try restore(trainer, &progress) }
        let schedule = options.learningRateSchedule
        let progressLine = ProgressLine(total: options.steps, unit: "steps")
        let start = Date(), secondsBefore = progress.seconds, firstStep = progress.step + 1
        guard firstStep <= options.steps else { throw usage("\(options.checkpointPath) has already finished all \(options.steps) steps") }
        for step in firstStep...options.steps {
            trainer.optimizer.learningRate = schedule.rate(atStep: step)
            progress.lastLoss = job.update(trainer, &progress)
            progress.step = step
            progress.seconds = secondsBefore + Date().timeIntervalSince(start)
            if step % options.validateEvery == 0 || step == options.steps {
                let validation = job.validate(trainer.network)
                progress.history.append(validation)
                if options.keepBest, isBest(validation, progress) { progress.best = (step, validation, trainer.network.parameters) }
                try appendLog(progress, learningRate: trainer.optimizer.learningRate)
            }
            progressLine.update(step, status: status(progress), extra: job.itemUnit.map { (Double(progress.items), $0) })
            guard step < options.steps else { break }
            let stopping = options.stopAfter.map { step - firstStep + 1 >= $0 } ?? false
            if stopping || (options.checkpointInterval > 0 && step % options.checkpointInterval == 0) {
                try writeCheckpoint(trainer, progress)
            }
            if stopping {
                progressLine.finish()
                print("stopped after step \(step) of \(options.steps); checkpoint \(options.checkpointPath) (continue with --resume)")
                return
            }
        }
        progressLine.finish()
        var final = trainer.network
        if let best = progress.best { final.parameters = best.parameters }
        try writeModel(final, progress, extra)
        TrainingSummary(job: job, network: final, progress: progress, out: options.out)
            .print(json: options.json, steps: options.steps)
    }

    /// Whether `validation` beats every earlier one (a NaN never does).
    private func isBest(_ validation: Double, _ progress: TrainingProgress) -> Bool {
        guard validation.isFinite else { return false }
        guard let best = progress.best else { return true }
        return job.higherIsBetter ? validation > best.validation : validation < best.validation
    }

    /// One JSON line per validation in --log (appended, so a resumed run continues the same record).
    private func appendLog(_ progress: TrainingProgress, learningRate: Double) throws {
        guard let path = options.log else { return }
        let record: [String: Any] = ["step": progress.step, "lr": learningRate, "loss": progress.lastLoss, "loss_unit": job.lossUnit,
                                     "validation": progress.history.last!, "unit": job.unit, "items": progress.items,
                                     "seconds": progress.seconds]
        let line = jsonString(jsonSafe(record), compact: true) + "\n"
        // A missing log is created; a failure to create it shows as the open failing below.
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        guard let handle = FileHandle(forWritingAtPath: path) else { throw usage("--log: cannot write \(path)") }
        defer { try? handle.close() }
        handle.seekToEndOfFile()
        handle.write(Data(line.utf8))
    }

    private func restore(_ trainer: KRUTrainer, _ progress: inout TrainingProgress) throws {
        let path = options.checkpointPath
        guard FileManager.default.fileExists(atPath: path) else { throw usage("--resume: there is no checkpoint \(path)") }
        do {
            let checkpoint = try TrainingCheckpoint(path: path, architecture: trainer.network.architecture, configuration: configuration)
            trainer.network = checkpoint.network
            try trainer.optimizer.restore(checkpoint.optimizer, parameterCount: checkpoint.network.parameterCount)
            progress = checkpoint.progress
        } catch let error as ExitCode {
            throw error
        } catch {
            throw usage("\(path): \(error)")
        }
    }

    private func writeCheckpoint(_ trainer: KRUTrainer, _ progress: TrainingProgress) throws {
        let checkpoint = TrainingCheckpoint(network: trainer.network, optimizer: trainer.optimizer.state, progress: progress,
                                            configuration: configuration)
        do { try checkpoint.write(toPath: options.checkpointPath) } catch { throw usage("\(options.checkpointPath): \(error)") }
    }

    private func writeModel(_ network: KRUNetwork, _ progress: TrainingProgress, _ extra: [KRUMetadataEntry]) throws {
        let record: [KRUMetadataEntry] = [
            .init("general.creation_tool", .string(tool)),
        ] + extra + configuration + [
            .init("kru.train.validation_metric", .string(job.unit)),
            .init("kru.train.validation_history", .floatArray(progress.history)),
            .init("kru.train.final_loss", .float(progress.lastLoss)),
        ] + (progress.best.map { [.init("kru.train.best_step", .int(Int64($0.step)))] } ?? [])  // no wall time: the same command must write the same bytes
        do { try network.write(toPath: options.out, precision: .doubleFactors, metadata: record) } catch { throw usage("\(options.out): \(error)") }
    }

    private func status(_ progress: TrainingProgress) -> String {
        var text = String(format: "loss %.4g %@", progress.lastLoss, job.lossUnit)
        if let validation = progress.history.last { text += String(format: ", valid %.4g %@", validation, job.unit) }
        return text
    }
}

/// What a finished run prints.
struct TrainingSummary {
    let job: any TrainingJob
    let network: KRUNetwork
    let progress: TrainingProgress
    let out: String

    func print(json: Bool, steps: Int) {
        let validation = progress.history.last ?? .nan
        let seconds = progress.seconds
        if json {
            var document: [String: Any] = [
                "steps": steps, "seconds": seconds, "steps_per_second": Double(steps) / seconds,
                "final_loss": progress.lastLoss, "loss_unit": job.lossUnit, "validation": validation,
                "validation_history": progress.history, "unit": job.unit, "parameters": network.parameterCount, "out": out,
            ]
            if let task = job.metadata.first(where: { $0.key == "kru.train.task" }), case .string(let name) = task.value {
                document["task"] = name
            }
            if let baseline = job.baseline {
                document["baseline"] = baseline
                document["ratio"] = validation / baseline
            }
            if job.unit == "bits/char" { document["validation_bits_per_char"] = validation }
            if let unit = job.itemUnit { document["\(unit == "chars" ? "characters" : unit)_per_second"] = Double(progress.items) / seconds }
            Swift.print(jsonString(jsonSafe(document)))
            return
        }
        Swift.print(String(format: "%d steps in %.1f s (%.1f steps/s), %d parameters", steps, seconds, Double(steps) / seconds,
                           network.parameterCount))
        Swift.print(String(format: "final training loss %.5g %@, validation %.5g %@", progress.lastLoss, job.lossUnit, validation, job.unit))
        if let baseline = job.baseline {
            Swift.print(String(format: "memoryless baseline %.5g %@, validation/baseline %.4g", baseline, job.unit, validation / baseline))
        }
        Swift.print("wrote \(out)")
    }
}
