/// Copies the weights found by ``StateDictExtractor`` out of their storages into a ``Checkpoint``.
enum TorchTensorMaterializer {
    /// `storageBytes` returns the raw bytes of a storage record; each is fetched once and checked to hold
    /// exactly `numel × itemsize` bytes. Storages shared by several tensors must agree on type and size.
    static func materialize(_ found: StateDictExtractor.Result, format: CheckpointFormat, byteOrder: StorageByteOrder,
                            limits: CheckpointLimits, context: CheckpointContext,
                            storageBytes: (TorchStorageRef) throws -> [UInt8]) throws -> Checkpoint {
        var budget = TensorBudget(limits: limits)
        var seen: [String: TorchStorageRef] = [:]
        var cache: [String: [UInt8]] = [:]
        var tensors: [CheckpointTensor] = []
        tensors.reserveCapacity(found.tensors.count)
        for (name, tensor) in found.tensors {
            let storage = tensor.storage
            if let first = seen[storage.key], first != storage {
                throw context.error(.torchMalformed, at: tensor.offset,
                                    "storage '\(storage.key)' is used as \(first.typeName) of \(first.elementCount) and as \(storage.typeName) of \(storage.elementCount)")
            }
            seen[storage.key] = storage
            try budget.admit(elements: tensor.layout.elementCount, dtype: storage.dtype, name: name, context: context)
            let bytes: [UInt8]
            if let cached = cache[storage.key] {
                bytes = cached
            } else {
                bytes = try storageBytes(storage)
                let expected = storage.elementCount * storage.dtype.byteCount  // both capped: no overflow
                guard bytes.count == expected else {
                    throw context.error(.torchMalformed, at: nil,
                                        "storage '\(storage.key)' has \(bytes.count) bytes but its persistent id says \(storage.elementCount) × \(storage.dtype.byteCount)")
                }
                cache[storage.key] = bytes
            }
            let values = try ElementDecoding.decode(bytes, dtype: storage.dtype, byteOrder: byteOrder,
                                                    layout: tensor.layout, context: context)
            tensors.append(CheckpointTensor(name: name, dtype: storage.dtype, shape: tensor.layout.shape, values: values))
        }
        return Checkpoint(format: format, tensors: tensors, metadata: found.metadata, stateDictKey: found.stateDictKey,
                          strippedPrefixes: found.strippedPrefixes, skippedEntries: found.skipped)
    }
}
