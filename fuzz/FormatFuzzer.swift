// libFuzzer entry point for the .kru reader: any byte string must give a valid file or a KRUFormatError,
// never a crash, a hang, a leak or an out-of-bounds access (built with -sanitize=fuzzer,address).
// Built together with Sources/Format by tools/fuzz-format.sh; not part of the Swift package.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // A lowered limit, and the default one (4 GiB a tensor): inflation allocates only what a stream really
    // produces (at most 1032 bytes per input byte), so even the default limit stays far inside libFuzzer's RSS cap.
    var lowered = KRUFile.Options()
    lowered.maximumTensorBytes = 64 << 20
    check(bytes, options: lowered)
    // Random mutations almost never keep the directory CRC right, so also parse a copy whose CRC is fixed:
    // that lets the fuzzer explore the directory parser instead of stopping at the checksum.
    check(directoryCRCRepaired(bytes), options: KRUFile.Options())
    return 0
}

private func check(_ bytes: [UInt8], options: KRUFile.Options) {
    do {
        let file = try KRUFile(bytes: bytes, options: options)
        try file.verifyAllTensors()
        // verify() checks in constant memory what tensor() decodes: they must agree.
        let tensors: [KRUTensor]
        do {
            tensors = try file.tensors.map { try file.tensor($0) }
        } catch {
            fatalError("verify() accepted a tensor that tensor() refuses: \(error)")
        }
        // A file the reader accepts must survive a rewrite unchanged in content.
        let rewritten = try KRUFile(bytes: KRUWriter(metadata: file.metadata, tensors: tensors).encode())
        precondition(rewritten.metadata == file.metadata, "metadata changed in a rewrite")
        let reread = try rewritten.tensors.map { try rewritten.tensor($0) }
        precondition(reread == tensors, "tensors changed in a rewrite")
    } catch is KRUFormatError {
        // Expected for damaged input. (A KRUWriterError here would mean the writer refuses what the reader
        // accepts: that falls through to fatalError below and is reported as a crash.)
    } catch {
        fatalError("untyped error: \(error)")
    }
}
