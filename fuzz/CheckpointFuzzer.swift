// libFuzzer entry point for the checkpoint readers (`Checkpoint.read`: torch zip and legacy pickles, npy/npz,
// safetensors): any byte string must give a checkpoint or a CheckpointError — never a crash, a hang, a leak, an
// out-of-bounds access, or an allocation the memory bound of docs/MEMORY.md does not allow (the script runs it
// with -malloc_limit_mb). Built together with Sources/Convert/Checkpoints (and KRUFormat as a module) by
// tools/fuzz-format.sh; not part of the Swift package.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // As recognised, then forced into every other reader (a safetensors parser fed a ZIP archive, …).
    let recognised = check(bytes, format: nil)
    for format in CheckpointFormat.allCases where format != recognised {
        _ = check(bytes, format: format)
    }
    return 0
}

/// Reads `bytes` (as `format`, or as recognised) and decodes every tensor; returns the format it was read as.
private func check(_ bytes: [UInt8], format: CheckpointFormat?) -> CheckpointFormat? {
    var read: CheckpointFormat? = nil
    for unknownCalls in [CheckpointReadOptions.UnknownCalls.refuse, .keepInert] {
        var options = CheckpointReadOptions()
        options.unknownCalls = unknownCalls
        // Decoding widens elements (int8 to Int64): cap what one input may decode, so that every allocation stays
        // far below the script's -malloc_limit_mb and a larger one is a bug.
        options.limits.maxTotalTensorBytes = 128 << 20
        do {
            let checkpoint = try Checkpoint.read(bytes: bytes, format: format, options: options)
            read = checkpoint.format
            // Decoding is lazy: decode every tensor, so the views and the budget are exercised too.
            for tensor in checkpoint.tensors {
                do {
                    let values = try tensor.values()
                    precondition(values.count == tensor.elementCount,
                                 "decoded \(values.count) values for shape \(tensor.shape)")
                } catch let error as CheckpointError {
                    // Only the decoding budget and the uint64 range may refuse a tensor the reader accepted.
                    switch error.kind {
                    case .limitExceeded(.materializedElements), .limitExceeded(.totalTensorBytes),
                         .unsupportedDType("uint64"): break
                    default: fatalError("a checked tensor failed to decode: \(error)")
                    }
                }
            }
        } catch is CheckpointError {
            // Expected for damaged input.
        } catch {
            fatalError("untyped error: \(error)")
        }
        if read != .torchZip && read != .torchLegacy { break }  // the policy for unknown calls is for pickles only
    }
    return read
}
