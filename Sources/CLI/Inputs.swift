import ArgumentParser
import Foundation
import KRUConvert
import KRUFormat
import KRUInference

// What several commands read: models, texts and arrays. Every failure becomes a CLIError with the status of
// its class (ExitStatus), so each command reports it in one line.

/// Checks that `path` names a regular file before anything opens it: a reader that needs random access (a
/// model, a checkpoint, an array) would hang on a FIFO waiting for a writer, and cannot seek a device.
func requireRegularFile(_ path: String) throws {
    var info = stat()
    guard stat(path, &info) == 0 else {
        throw CLIError(.noInput, "cannot open \(path): \(String(cString: strerror(errno)))")
    }
    guard (info.st_mode & S_IFMT) == S_IFREG else {
        throw CLIError(.noInput, "\(path) is \(fileTypeName(info.st_mode)), not a regular file; this input is read "
                           + "with random access, so save it to a file first")
    }
}

/// Checks that a small input read as a stream (a JSON map or vocabulary) exists and is not a directory.
func requireExisting(_ path: String) throws {
    var info = stat()
    guard stat(path, &info) == 0 else {
        throw CLIError(.noInput, "cannot open \(path): \(String(cString: strerror(errno)))")
    }
    guard (info.st_mode & S_IFMT) != S_IFDIR else { throw CLIError(.noInput, "\(path) is a directory") }
}

/// Loads a model, or throws the CLIError for what is wrong with it.
func loadModel(_ path: String) throws -> KRUModel {
    try requireRegularFile(path)
    return try reporting(path) {
        do {
            return try KRUModel(path: path)
        } catch let error as ModelSchemaError {
            throw CLIError(.dataError, "\(path): not a valid model: \(error)")
        }
    }
}

/// The most bytes a text input may hold (a text is read whole, and scoring keeps a token per character).
let textSizeLimit = 1 << 30

/// A whole UTF-8 text: a file, or standard input for `-`. Pipes, FIFOs, `/dev/stdin` and process substitution
/// are read as streams until their end.
func readText(_ path: String) throws -> String {
    let data = try readWhole(path)
    guard let text = String(data: data, encoding: .utf8) else {
        throw CLIError(.dataError, "\(path) is not valid UTF-8 text")
    }
    return text
}

/// The bytes of `path` (`-`: standard input), refusing directories and anything over ``textSizeLimit``.
private func readWhole(_ path: String) throws -> Data {
    let handle: FileHandle
    if path == "-" {
        handle = FileHandle.standardInput
    } else {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw CLIError(.noInput, "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        guard (info.st_mode & S_IFMT) != S_IFDIR else { throw CLIError(.noInput, "\(path) is a directory, not a text") }
        guard let opened = FileHandle(forReadingAtPath: path) else {
            throw CLIError(.noInput, "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        handle = opened
    }
    defer { if path != "-" { try? handle.close() } }
    let data: Data
    do {
        data = try handle.read(upToCount: textSizeLimit + 1) ?? Data()
    } catch {
        throw CLIError(.ioError, "cannot read \(path): \(error.localizedDescription)")
    }
    guard data.count <= textSizeLimit else {
        throw CLIError(.dataError, "\(path) holds more than \(textSizeLimit) bytes, the most a text input may hold")
    }
    return data
}

/// Token ids of `text`, failing with the list of unknown tokens unless told to skip them (`closingLastLine`: see
/// `Tokenizer.encode`; false for a prime).
func encode(_ text: String, with tokenizer: Tokenizer, skipUnknown: Bool,
            closingLastLine: Bool = true) throws -> [Int] {
    do {
        return try tokenizer.encode(text, unknown: skipUnknown ? .skip : .refuse, closingLastLine: closingLastLine)
    } catch let error as UnknownCharactersError {
        throw CLIError(.dataError, "\(error) (use --skip-unknown to drop them)")
    }
}

/// Reads a .npy file, or throws the CLIError for what is wrong with it.
func readArray(_ path: String) throws -> NumPyArray {
    try requireRegularFile(path)
    return try reporting(path) { try NumPyArray.read(path: path) }
}

/// What `kru run` computes for one input array: the outputs, their shape, and the input's batch and steps.
struct ModelRun {
    let values: [Float]
    let shape: [Int]
    let batch: Int
    let steps: Int
}

/// Runs `kru` on the array at `path` (token ids T or B×T, vectors T×D or B×T×D) and returns the outputs with
/// their shape (B×T×K, T×K, B×K or K), as `kru run` writes them.
func runModel(_ kru: KRUModel, onArrayAt path: String) throws -> ModelRun {
    let array = try readArray(path)
    let isTokenModel = kru.description.vocabulary != nil
    let sequenceRank = isTokenModel ? 1 : 2
    guard array.shape.count == sequenceRank || array.shape.count == sequenceRank + 1 else {
        let wanted = isTokenModel ? "T or B×T token ids" : "T×D or B×T×D vectors"
        throw CLIError(.dataError, "\(path) has shape \(array.shape); this model takes \(wanted)")
    }
    let batched = array.shape.count == sequenceRank + 1
    let batch = batched ? array.shape[0] : 1
    let steps = array.shape[batched ? 1 : 0]
    let values: [Float] = try reporting(path) {
        switch (isTokenModel, array.values) {
        case (true, .integer(let ids)):
            return try kru.outputs(tokens: ids.map { Int(clamping: $0) }, batch: batch, steps: steps)
        case (false, .float(let x)):
            return try kru.outputs(vectors: x, batch: batch, steps: steps)
        case (false, .double(let x)):
            return try kru.outputs(vectors: x.map { Float($0) }, batch: batch, steps: steps)
        default:
            let wanted = isTokenModel ? "integer token ids" : "floating-point vectors"
            throw CLIError(.dataError, "\(path) holds \(array.dtype) values; this model takes \(wanted)")
        }
    }
    let stepsShape = kru.description.outputSteps == .every ? [steps] : []
    return ModelRun(values: values, shape: (batched ? [batch] : []) + stepsShape + [kru.description.outputWidth],
                    batch: batch, steps: steps)
}
