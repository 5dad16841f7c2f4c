import KRUFormat

/// Reads an `.npz` archive (`numpy.savez`, `numpy.savez_compressed`): every `<name>.npy` entry becomes the
/// tensor `<name>`, in central-directory order; other entries are listed as skipped.
enum NPZReader {
    static func read(_ archive: ZipArchive) throws -> Checkpoint {
        var budget = TensorBudget(limits: archive.limits)
        var inflated: UInt64 = 0
        var tensors: [CheckpointTensor] = []
        var skipped: [String] = []
        for entry in archive.entries {
            guard entry.name.hasSuffix(".npy") else {
                skipped.append("\(entry.name): not a .npy entry")
                continue
            }
            let name = String(entry.name.dropLast(4))
            let bytes = try archive.read(entry, inflated: &inflated)
            let array = try NumPyDecoding.decode(InMemoryByteSource(bytes), length: UInt64(bytes.count), name: name,
                                                 context: archive.context.inside("zip entry \(quotedForMessage(entry.name))"), budget: &budget)
            tensors.append(CheckpointTensor(name: name, dtype: array.dtype, shape: array.shape, values: array.values))
        }
        return Checkpoint(format: .npz, tensors: tensors, skippedEntries: skipped)
    }
}
