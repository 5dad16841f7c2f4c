/// Runs one torch pickle through the ``PickleMachine`` with torch's persistent ids, then finds the state dict.
/// The arena is dismantled before returning, whatever happens, so no pickle structure outlives the call.
enum TorchPickleLoader {
    /// Every storage the pickle names, by key (legacy files need the sizes of storages no weight uses).
    final class StorageList {
        var byKey: [String: TorchStorageRef] = [:]
    }

    /// The pickle's objects are charged to `memory`.
    static func stateDict(_ bytes: [UInt8], start: Int = 0, base: UInt64 = 0, options: CheckpointReadOptions,
                          context: CheckpointContext, end: inout Int, memory: inout MemoryBudget,
                          storages: StorageList = StorageList()) throws -> StateDictExtractor.Result {
        let arena = PickleArena(limits: options.limits, memory: memory, pickleBytes: bytes.count - start)
        defer {
            memory = arena.memory
            arena.dismantle()
        }
        let limits = options.limits
        var machine = PickleMachine(bytes: bytes, start: start, base: base, context: context, limits: limits,
                                    calls: PickleCalls(limits: limits, unknownCalls: options.unknownCalls),
                                    arena: arena,
                                    persistentLoad: { pid, context, offset in
                                        let value = try TorchStorageRef.persistentLoad(pid, limits: limits,
                                                                                       context: context, at: offset)
                                        if case .storage(let storage) = value {
                                            if let known = storages.byKey[storage.key], known != storage {
                                                throw context.error(.torchMalformed, at: offset,
                                                                    "storage '\(storage.key)' is named with two "
                                                                        + "different types or sizes")
                                            }
                                            storages.byKey[storage.key] = storage
                                        }
                                        return value
                                    })
        let root = try machine.run()
        end = machine.endPosition
        return try StateDictExtractor(options: options, context: context, arena: arena).extract(root)
    }

    /// Runs a pickle that must hold no persistent ids and returns its value converted by `convert` while the
    /// arena is alive (legacy headers: magic number, protocol version, sys_info, storage keys).
    static func plain<T>(_ bytes: [UInt8], start: Int, options: CheckpointReadOptions, context: CheckpointContext,
                         end: inout Int, memory: inout MemoryBudget, _ convert: (PickleValue) throws -> T) throws -> T {
        let arena = PickleArena(limits: options.limits, memory: memory, pickleBytes: bytes.count - start)
        defer {
            memory = arena.memory
            arena.dismantle()
        }
        var machine = PickleMachine(bytes: bytes, start: start, base: 0, context: context, limits: options.limits,
                                    calls: PickleCalls(limits: options.limits, unknownCalls: .refuse), arena: arena,
                                    persistentLoad: { _, context, offset in
                                        throw context.error(.torchMalformed, at: offset,
                                                            "a persistent id outside the object pickle")
                                    })
        let value = try machine.run()
        end = machine.endPosition
        return try convert(value)
    }
}
