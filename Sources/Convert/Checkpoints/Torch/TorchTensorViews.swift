/// Turns the weights found by ``StateDictExtractor`` into lazily decoded tensors over their storages.
enum TorchTensorViews {
    /// A storage's bytes and the name messages and the budget know it by.
    typealias OpenedStorage = (bytes: any StorageBytes, name: String)

    /// `openStorage` is called once per distinct storage key: it finds the storage's bytes, checks that they
    /// hold exactly `numel × itemsize` bytes (reading them through once, in constant memory, where the container
    /// has a checksum) and names the storage for messages. Storages shared by several tensors must agree on type
    /// and size; they are stored once and each tensor stays a view of its storage until it is decoded.
    static func checkpoint(_ found: StateDictExtractor.Result, format: CheckpointFormat, byteOrder: StorageByteOrder,
                           limits: CheckpointLimits, context: CheckpointContext,
                           openStorage: (TorchStorageRef) throws -> OpenedStorage) throws -> Checkpoint {
        let budget = MaterializationBudget(limits: limits)
        var seen: [String: TorchStorageRef] = [:]
        var opened: [String: OpenedStorage] = [:]
        var tensors: [CheckpointTensor] = []
        tensors.reserveCapacity(found.tensors.count)
        for (name, tensor) in found.tensors {
            let storage = tensor.storage
            if let first = seen[storage.key], first != storage {
                throw context.error(.torchMalformed, at: tensor.offset,
                                    "storage '\(storage.key)' is used as \(first.typeName) of \(first.elementCount) "
                                        + "and as \(storage.typeName) of \(storage.elementCount)")
            }
            seen[storage.key] = storage
            let source: OpenedStorage
            if let known = opened[storage.key] {
                source = known
            } else {
                source = try openStorage(storage)
                opened[storage.key] = source
            }
            let view = StorageView(storage: source.bytes, storageName: source.name,
                                   storageElements: storage.elementCount, dtype: storage.dtype, byteOrder: byteOrder,
                                   layout: tensor.layout, budget: budget, context: context)
            tensors.append(CheckpointTensor(name: name, dtype: storage.dtype, shape: tensor.layout.shape,
                                            elements: .stored(view)))
        }
        return Checkpoint(format: format, tensors: tensors, metadata: found.metadata, stateDictKey: found.stateDictKey,
                          strippedPrefixes: found.strippedPrefixes, skippedEntries: found.skipped,
                          modules: found.modules)
    }
}
