import ArgumentParser
import Foundation
import KRUConvert
import KRUFormat
import KRUInference

// What several commands read: models, texts and arrays, each failure turned into the one-line error and exit
// status 1 that every command promises.

/// Loads a model, turning format and schema errors into the one-line error every command promises.
func loadModel(_ path: String) throws -> KRUModel {
    try reportingFormatErrors(in: path) {
        do {
            return try KRUModel(path: path)
        } catch let error as ModelSchemaError {
            printError("\(path): not a valid model: \(error)")
            throw ExitCode(1)
        }
    }
}

/// A whole UTF-8 text file.
func readText(_ path: String) throws -> String {
    guard let data = FileManager.default.contents(atPath: path) else {
        printError("cannot read \(path)")
        throw ExitCode(1)
    }
    guard let text = String(data: data, encoding: .utf8) else {
        printError("\(path) is not valid UTF-8")
        throw ExitCode(1)
    }
    return text
}

/// Token ids of `text`, failing with the list of unknown characters unless told to skip them.
func encode(_ text: String, with tokenizer: Tokenizer, skipUnknown: Bool) throws -> [Int] {
    do {
        return try tokenizer.encode(text, unknown: skipUnknown ? .skip : .refuse)
    } catch let error as UnknownCharactersError {
        printError("\(error) (use --skip-unknown to drop them)")
        throw ExitCode(1)
    }
}

/// Reads a .npy file, turning any failure into the one-line error every command promises.
func readArray(_ path: String) throws -> NumPyArray {
    do {
        return try NumPyArray.read(path: path)
    } catch {
        printError("\(path): \(error)")
        throw ExitCode(1)
    }
}

/// Runs `kru` on the array at `path` (token ids T or B×T, vectors T×D or B×T×D) and returns the outputs with
/// their shape (B×T×K, T×K, B×K or K), as `kru run` writes them.
func runModel(_ kru: KRUModel, onArrayAt path: String) throws -> (values: [Float], shape: [Int]) {
    let array = try readArray(path)
    let isTokenModel = kru.description.vocabulary != nil
    let sequenceRank = isTokenModel ? 1 : 2
    guard array.shape.count == sequenceRank || array.shape.count == sequenceRank + 1 else {
        printError("\(path) has shape \(array.shape); this model takes \(isTokenModel ? "T or B×T token ids" : "T×D or B×T×D vectors")")
        throw ExitCode(1)
    }
    let batched = array.shape.count == sequenceRank + 1
    let batch = batched ? array.shape[0] : 1
    let steps = array.shape[batched ? 1 : 0]
    let values: [Float]
    do {
        switch (isTokenModel, array.values) {
        case (true, .integer(let ids)):
            values = try kru.outputs(tokens: ids.map { Int(clamping: $0) }, batch: batch, steps: steps)
        case (false, .float(let x)):
            values = try kru.outputs(vectors: x, batch: batch, steps: steps)
        case (false, .double(let x)):
            values = try kru.outputs(vectors: x.map { Float($0) }, batch: batch, steps: steps)
        default:
            printError("\(path) holds \(array.dtype) values; this model takes \(isTokenModel ? "integer token ids" : "floating-point vectors")")
            throw ExitCode(1)
        }
    } catch let error as ModelInputError {
        printError("\(path): \(error)")
        throw ExitCode(1)
    }
    let stepsShape = kru.description.outputSteps == .every ? [steps] : []
    return (values, (batched ? [batch] : []) + stepsShape + [kru.description.outputWidth])
}
