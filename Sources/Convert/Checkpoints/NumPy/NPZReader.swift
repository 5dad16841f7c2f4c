import KRUFormat

/// Reads an `.npz` archive (`numpy.savez`, `numpy.savez_compressed`): every `<name>.npy` entry becomes the
/// tensor `<name>`, in central-directory order; other entries are listed as skipped. Each member is read through
/// once (size and CRC-32, in constant memory) keeping only its header; its data is decoded when asked for.
enum NPZReader {
    static func read(_ archive: ZipArchive) throws -> Checkpoint {
        let limits = archive.limits
        let budget = MaterializationBudget(limits: limits)
        var tensors: [CheckpointTensor] = []
        var skipped: [String] = []
        for entry in archive.entries {
            guard entry.name.hasSuffix(".npy") else {
                skipped.append("\(entry.name): not a .npy entry")
                continue
            }
            guard tensors.count < limits.maxTensorCount else {
                throw archive.context.limit(.tensorCount, at: nil, "more than \(limits.maxTensorCount) tensors")
            }
            let name = String(entry.name.dropLast(4))
            let context = archive.context.inside("zip entry \(quotedForMessage(entry.name))")
            // The preamble and the longest header the limits allow; the rest is only checksummed.
            let keep = 12 + limits.maxNpyHeaderBytes
            var head: [UInt8] = []
            try archive.stream(entry) { piece in
                if head.count < keep { head.append(contentsOf: piece.prefix(keep - head.count)) }
            }
            let found = try NumPyDecoding.layout(InMemoryByteSource(head), length: entry.uncompressedSize,
                                                 context: context, limits: limits)
            let storage = ZipEntryStorage(archive: archive, entry: entry, start: Int(found.dataOffset))
            tensors.append(NumPyDecoding.tensor(found, name: name, storage: storage, storageName: entry.name,
                                                budget: budget, context: context))
        }
        return Checkpoint(format: .npz, tensors: tensors, skippedEntries: skipped)
    }
}
