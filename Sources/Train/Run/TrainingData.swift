import Foundation
import KRUConvert
import KRUFormat
import KRUInference

/// Reads a run's data — texts and .npy arrays — and turns it into a ``TrainingTask``, checking it before it is
/// used: files exist and are regular, fit in memory, decode (UTF-8, NumPy), and have the shapes the task needs.
enum TrainingData {
    /// Checks that `path` names a regular file (through symbolic links) and returns its size: never a FIFO or
    /// device, which could block or never end, nor a directory.
    static func requireRegularFile(_ path: String) throws(TrainingRunError) -> Int {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw TrainingRunError(.noInput, "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw TrainingRunError(.noInput, "\(path) is \(fileTypeName(info.st_mode)), not a regular file")
        }
        return Int(info.st_size)
    }

    /// The bytes of a data file that fits in memory.
    static func read(_ path: String) throws(TrainingRunError) -> Data {
        let size = try requireRegularFile(path)
        // A token takes 8 bytes per character of text; refuse what could not be held rather than start swapping.
        let available = Int(clamping: ProcessInfo.processInfo.physicalMemory)
        guard size <= available / 16 else {
            throw .data("\(path) has \(TrainingMemory.text(size)); a run on it would need more than this machine's "
                        + "\(TrainingMemory.text(available)) of memory")
        }
        let handle: FileHandle
        do { handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path)) } catch {
            throw TrainingRunError(.noInput, "cannot open \(path): \(error.localizedDescription)")
        }
        defer { try? handle.close() }
        do { return try handle.readToEnd() ?? Data() } catch {
            throw TrainingRunError(.io, "\(path): reading failed (\(error.localizedDescription))")
        }
    }

    static func text(_ data: Data, path: String) throws(TrainingRunError) -> String {
        guard let text = String(data: data, encoding: .utf8) else { throw .data("\(path) is not valid UTF-8") }
        return text
    }

    static func array(_ data: Data, path: String) throws(TrainingRunError) -> NumPyArray {
        do { return try NumPyArray.decode([UInt8](data), name: path) } catch { throw .data("\(path): \(error)") }
    }

    /// `directory/name`.
    static func file(_ name: String, in directory: String) -> String {
        (directory as NSString).appendingPathComponent(name)
    }
}

// MARK: Character language modelling

extension TrainingData {
    /// The training and validation tokens of `--data` (and `--valid`, or the last 10 % of `--data`) in `task`'s
    /// vocabulary (the training text's own, or a fine-tuned model's), and the data's fingerprint.
    static func characters(data path: String, valid: String?, vocabulary: [Unicode.Scalar]?, streams: Int, bptt: Int,
                           evaluation: EvaluationSettings) throws(TrainingRunError)
        -> (CharacterTask, CharacterTraining, DataFingerprint) {
        let bytes = try read(path), validBytes = try valid.map { path throws(TrainingRunError) in try read(path) }
        let trainingText = try text(bytes, path: path)
        let task = vocabulary.map(CharacterTask.init(vocabulary:)) ?? CharacterTask(trainingText: trainingText)
        var tokens = try encode(task, trainingText, path)
        var validTokens: [Int]
        if let valid, let validBytes {
            validTokens = try encode(task, try text(validBytes, path: valid), valid)
        } else {
            let tail = tokens.count / 10
            validTokens = Array(tokens[(tokens.count - tail)...])
            tokens.removeLast(tail)
        }
        guard CharacterTask.streamLength(tokenCount: tokens.count, streams: streams) >= 1 else {
            throw .data("\(path): \(tokens.count) training characters are too few for \(streams) streams")
        }
        guard validTokens.count >= 2 else {
            throw .data("the validation text needs at least 2 characters (give --valid or a longer --data)")
        }
        let training = CharacterTraining(tokens: tokens, validTokens: validTokens, streams: streams, bptt: bptt,
                                         evaluation: evaluation)
        return (task, training, DataFingerprint(files: [bytes] + (validBytes.map { [$0] } ?? [])))
    }

    private static func encode(_ task: CharacterTask, _ text: String,
                               _ path: String) throws(TrainingRunError) -> [Int] {
        switch task.encode(text) {
        case .success(let tokens): return tokens
        case .failure(let error): throw .data("\(path): \(error)")
        }
    }
}

// MARK: Sequence classification and music

extension TrainingData {
    /// Sequence classification (pixel MNIST and friends): validation accuracy. Reads `{train,valid}-inputs.npy`
    /// (N × T × D floats) and `{train,valid}-targets.npy` (N integer classes) from the directory; the class count is
    /// one more than the largest training label.
    static func classification(_ directory: String, batchSize: Int,
                               evaluation: EvaluationSettings) throws(TrainingRunError)
        -> (ExampleTraining, SequenceClassificationTask, DataFingerprint) {
        var files: [Data] = []
        let training = try classificationSplit("train", in: directory, classCount: nil, files: &files)
        let validation = try classificationSplit("valid", in: directory, classCount: training.classCount, files: &files)
        let task = ExampleTraining(unit: "accuracy", lossUnit: "nats", higherIsBetter: true, itemUnit: "sequences",
                                   batchSize: batchSize, draw: { training.randomBatch(size: $0, random: &$1) },
                                   measure: { validation.evaluate($0, batchSize: 100, threads: evaluation.threads,
                                                                  precision: evaluation.precision).accuracy })
        return (task, training, DataFingerprint(files: files))
    }

    /// Polyphonic music: whole pieces, padded and masked; validation NLL per frame. Reads `{train,valid}-rolls.npy`
    /// (frames × K, 0/1) and `{train,valid}-lengths.npy` (frames per piece), as `tools/data/chorales.py` writes them.
    static func music(_ directory: String, batchSize: Int, evaluation: EvaluationSettings) throws(TrainingRunError)
        -> (ExampleTraining, PianoRollTask, DataFingerprint) {
        var files: [Data] = []
        let training = try pianoRollSplit("train", in: directory, files: &files)
        let validation = try pianoRollSplit("valid", in: directory, files: &files)
        let task = ExampleTraining(unit: "nats/frame", lossUnit: "nats/frame", higherIsBetter: false,
                                   itemUnit: "pieces",
                                   batchSize: batchSize, draw: { training.randomBatch(size: $0, random: &$1) },
                                   measure: {
                                       validation.frameNegativeLogLikelihood(of: $0, batchSize: 64,
                                                                             threads: evaluation.threads,
                                                                             precision: evaluation.precision)
                                   })
        return (task, training, DataFingerprint(files: files))
    }

    private static func classificationSplit(
        _ name: String, in directory: String, classCount: Int?, files: inout [Data]
    ) throws(TrainingRunError) -> SequenceClassificationTask {
        let inputsPath = file("\(name)-inputs.npy", in: directory)
        let targetsPath = file("\(name)-targets.npy", in: directory)
        let inputBytes = try read(inputsPath), targetBytes = try read(targetsPath)
        files += [inputBytes, targetBytes]
        let inputs = try array(inputBytes, path: inputsPath), targets = try array(targetBytes, path: targetsPath)
        guard inputs.shape.count == 3, inputs.shape.allSatisfy({ $0 >= 1 }) else {
            throw .data("\(inputsPath) has shape \(inputs.shape); classification inputs are N × T × D")
        }
        guard targets.shape == [inputs.shape[0]], case .integer(let labels) = targets.values else {
            throw .data("\(targetsPath) must hold \(inputs.shape[0]) integer classes, has shape \(targets.shape)")
        }
        let values: [Float]
        switch inputs.values {
        case .float(let x): values = x
        case .double(let x): values = x.map { Float($0) }
        default: throw .data("\(inputsPath) holds \(inputs.dtype) values; inputs must be floating point")
        }
        let classes = classCount ?? Int(clamping: (labels.max() ?? 0) + 1)
        guard labels.allSatisfy({ $0 >= 0 && $0 < classes }), classes <= 1 << 20 else {
            throw .data("\(targetsPath): classes must lie in 0..<\(classes)")
        }
        return SequenceClassificationTask(inputs: values, labels: labels.map { Int($0) }, length: inputs.shape[1],
                                          width: inputs.shape[2], classCount: classes)
    }

    private static func pianoRollSplit(_ name: String, in directory: String,
                                       files: inout [Data]) throws(TrainingRunError) -> PianoRollTask {
        let rollsPath = file("\(name)-rolls.npy", in: directory)
        let lengthsPath = file("\(name)-lengths.npy", in: directory)
        let rollBytes = try read(rollsPath), lengthBytes = try read(lengthsPath)
        files += [rollBytes, lengthBytes]
        let rolls = try array(rollBytes, path: rollsPath), lengths = try array(lengthBytes, path: lengthsPath)
        guard rolls.shape.count == 2, rolls.shape[1] >= 1, case .integer(let values) = rolls.values,
              values.allSatisfy({ $0 == 0 || $0 == 1 }) else {
            throw .data("\(rollsPath) must be a frames × keys array of 0/1 integers, has shape \(rolls.shape)")
        }
        // The sum saturates instead of overflowing: hostile counts must be refused, not trap.
        guard lengths.shape.count == 1, case .integer(let counts) = lengths.values, counts.allSatisfy({ $0 >= 2 }),
              counts.reduce(Int64(0), { min($0 &+ $1, Int64.max / 2) }) == Int64(rolls.shape[0]) else {
            throw .data("\(lengthsPath) must give the frames (at least 2) of each piece, summing to \(rolls.shape[0])")
        }
        return PianoRollTask(rolls: values.map { UInt8($0) }, lengths: counts.map { Int($0) }, keys: rolls.shape[1])
    }
}
