import ArgumentParser
import CLAPACK
import Foundation
import KRUTrain

/// Runs a planned training run for `kru train` and `kru finetune` and prints what it reports: notes on standard
/// error, the progress line, `--log` records, and the summary (text or JSON). The outputs — model, checkpoint, log —
/// are checked before any work (docs/CLI.md); `inputs` are the command's input files, which no output may replace.
func runTraining(_ plan: () throws(TrainingRunError) -> TrainingPlan, _ options: TrainingOptions,
                 inputs: [String?]) throws {
    let readFrom = inputs + [options.data, options.valid]
    for output in [options.out, options.runOptions.checkpointPath, options.log].compactMap({ $0 }) {
        try checkOutput(output, notOverwriting: readFrom)
    }
    openblas_set_num_threads(1)  // the trainer's own workers do the parallel work
    do {
        let run = TrainingRun(plan: try plan(), options: options.runOptions)
        let log = try options.log.map(TrainingLog.init(path:))
        let progressLine = ProgressLine(total: run.plan.settings.steps, unit: "steps")
        let itemUnit = run.plan.task.itemUnit
        let outcome = try run.run { event in
            switch event {
            case .note(let text):
                FileHandle.standardError.write(Data("kru: \(text)\n".utf8))
            case .update(let step, _, let loss, let validation, let items, let divergence):
                var status = String(format: "loss %.4g %@", loss, run.plan.task.lossUnit)
                if let divergence { status += String(format: ", KL to teacher %.4g", divergence) }
                if let validation { status += String(format: ", valid %.4g %@", validation, run.plan.task.unit) }
                progressLine.update(step, status: status, extra: itemUnit.map { (Double(items), $0) })
            case .validation(let record):
                log?.append(record)
            }
        }
        progressLine.finish()
        switch outcome {
        case .stopped(let step, let steps, let checkpoint):
            print("stopped after step \(step) of \(steps); checkpoint \(checkpoint) (continue with --resume)")
        case .finished(let summary):
            printSummary(summary, task: run.plan.settings.task?.name, teacher: run.plan.settings.teacher,
                         json: options.json)
        }
    } catch {
        throw CLIError(error)
    }
}

private func printSummary(_ summary: TrainingSummary, task: String?, teacher: TrainingSettings.TeacherRecord?,
                          json: Bool) {
    let (steps, seconds, validation) = (summary.steps, summary.seconds, summary.validation)
    if json {
        var document: [String: Any] = [
            "steps": steps, "seconds": seconds, "steps_per_second": Double(steps) / seconds,
            "final_loss": summary.finalLoss, "loss_unit": summary.lossUnit, "validation": validation,
            "validation_history": summary.history, "unit": summary.unit, "parameters": summary.parameterCount,
            "out": summary.modelPath,
        ]
        if let task { document["task"] = task }
        if let baseline = summary.baseline {
            document["baseline"] = baseline
            document["ratio"] = validation / baseline
        }
        if summary.unit == "bits/char" { document["validation_bits_per_char"] = validation }
        if let teacher {
            document["teacher"] = [
                "file": teacher.file, "bytes": teacher.fingerprint.bytes, "hash": teacher.fingerprint.hashText,
                "temperature": teacher.distillation.temperature, "weight": teacher.distillation.weight,
                "final_kl": summary.finalDivergence ?? Double.nan,
            ] as [String: Any]
        }
        if let unit = summary.itemUnit {
            document["\(unit == "chars" ? "characters" : unit)_per_second"] = Double(summary.items) / seconds
        }
        print(jsonString(jsonSafe(document)))
        return
    }
    print(String(format: "%d steps in %.1f s (%.1f steps/s), %d parameters", steps, seconds, Double(steps) / seconds,
                 summary.parameterCount))
    print(String(format: "final training loss %.5g %@, validation %.5g %@", summary.finalLoss, summary.lossUnit,
                 validation,
                 summary.unit))
    if let teacher {
        print(String(format: "distilled %@ (%d bytes, %@) at T %g, weight %g; final KL to the teacher at T %.5g %@",
                     teacher.file, teacher.fingerprint.bytes, teacher.fingerprint.hashText,
                     teacher.distillation.temperature, teacher.distillation.weight,
                     summary.finalDivergence ?? .nan, summary.lossUnit))
    }
    if let baseline = summary.baseline {
        print(String(format: "memoryless baseline %.5g %@, validation/baseline %.4g", baseline, summary.unit,
                     validation / baseline))
    }
    print("wrote \(summary.modelPath)")
}

/// `--log`: one JSON line per validation, appended, so a resumed run continues the same record.
private struct TrainingLog {
    let path: String

    init(path: String) throws(TrainingRunError) {
        self.path = path
        // A missing log is created; a failure to create it shows as the open failing.
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
        }
        guard FileHandle(forWritingAtPath: path) != nil else {
            throw TrainingRunError(.cannotCreate, "--log: cannot write \(path)")
        }
    }

    func append(_ record: TrainingLogRecord) {
        let fields: [String: Any] = ["step": record.step, "lr": record.learningRate, "loss": record.loss,
                                     "loss_unit": record.lossUnit, "validation": record.validation, "unit": record.unit,
                                     "items": record.items, "seconds": record.seconds]
        guard let handle = FileHandle(forWritingAtPath: path) else { return }
        defer { try? handle.close() }
        handle.seekToEndOfFile()
        handle.write(Data((jsonString(jsonSafe(fields), compact: true) + "\n").utf8))
    }
}
