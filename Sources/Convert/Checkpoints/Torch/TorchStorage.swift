/// A torch storage named by a persistent id `('storage', <torch.XStorage>, key, location, numel[, view])`:
/// `key` names the archive record `data/<key>` (zip layout) or a raw storage after the pickles (legacy).
struct TorchStorageRef: Equatable {
    let key: String
    /// The storage class name, e.g. `FloatStorage`.
    let typeName: String
    let dtype: CheckpointDType
    /// Elements (not bytes) in the storage.
    let elementCount: Int

    /// Storage classes and their element types; everything else (complex, quantized, untyped) is refused.
    static let dtypes: [String: CheckpointDType] = [
        "FloatStorage": .float32, "DoubleStorage": .float64, "HalfStorage": .float16, "BFloat16Storage": .bfloat16,
        "LongStorage": .int64, "IntStorage": .int32, "ShortStorage": .int16, "CharStorage": .int8,
        "ByteStorage": .uint8, "BoolStorage": .bool,
    ]

    /// The persistent-load function for torch pickles: validates the id tuple and describes the storage (or, in a
    /// legacy whole-module file, gives the module class it names).
    static func persistentLoad(_ pid: PickleValue, limits: CheckpointLimits, context: CheckpointContext,
                               at offset: UInt64) throws -> PickleValue {
        let bad = { (why: String) in context.error(.torchMalformed, at: offset, "persistent id: \(why)") }
        guard case .tuple(let tuple) = pid else { throw bad("a \(pid.typeName), not a tuple") }
        let f = tuple.items
        // Legacy whole-module files name each module class as ('module', class, source file, source code): the
        // class is kept as a name and the source is ignored (it is never run).
        if f.count == 4, case .string("module") = f[0], case .global = f[1] { return f[1] }
        guard f.count == 5 || f.count == 6, case .string("storage") = f[0] else {
            throw bad("expected ('storage', type, key, location, numel), got \(f.count) fields")
        }
        guard case .global(let type) = f[1] else { throw bad("the storage type is a \(f[1].typeName)") }
        guard case .string(let key) = f[2], !key.isEmpty, key.utf8.count <= 64 else {
            throw bad("the storage key is not a short string")
        }
        guard case .string = f[3] else { throw bad("the location is a \(f[3].typeName)") }
        guard case .int(let numel) = f[4], numel >= 0 else {
            throw bad("the element count is not a non-negative integer")
        }
        if f.count == 6, case .none = f[5] {} else if f.count == 6 {
            throw context.error(.torchMalformed, at: offset,
                                "legacy storage views (a sixth persistent-id field other than None) are not supported")
        }
        guard type.module == "torch" || type.module == "torch.cuda", let dtype = dtypes[type.name] else {
            throw context.error(.unsupportedStorage(type.qualifiedName), at: offset,
                                "storage type \(type.qualifiedName) is not supported (float, double, half, bfloat16 "
                                    + "and integer storages are)")
        }
        guard UInt64(numel) <= limits.maxTensorElements else {
            throw context.limit(.tensorElements, at: offset,
                                "a storage of \(numel) elements exceeds the limit of \(limits.maxTensorElements)")
        }
        return .storage(TorchStorageRef(key: key, typeName: type.name, dtype: dtype, elementCount: Int(numel)))
    }
}

/// A tensor as `_rebuild_tensor_v2` describes it: a validated strided view of a storage.
struct TorchTensorRef {
    let storage: TorchStorageRef
    let layout: StridedLayout
    /// Where the rebuild call was, for errors found when the data is read.
    let offset: UInt64
}

/// `torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])`
/// and the older `_rebuild_tensor(storage, storage_offset, size, stride)`, checked and described.
enum TorchTensorRebuild {
    static func tensor(_ function: PickleGlobal, _ args: [PickleValue], limits: CheckpointLimits,
                       context: CheckpointContext, at offset: UInt64) throws -> TorchTensorRef {
        let bad = { (why: String) in context.error(.torchMalformed, at: offset, "\(function.qualifiedName): \(why)") }
        let v2 = function.name == "_rebuild_tensor_v2"
        guard v2 ? (args.count == 6 || args.count == 7) : args.count == 4 else {
            throw bad("\(args.count) arguments")
        }
        guard case .storage(let storage) = args[0] else {
            throw bad("the first argument is a \(args[0].typeName), not a storage")
        }
        guard case .int(let storageOffset) = args[1] else { throw bad("the storage offset is a \(args[1].typeName)") }
        let size = try integers(args[2], "size", bad)
        let stride = try integers(args[3], "stride", bad)
        let layout = try StridedLayout(shape: size, strides: stride, offset: storageOffset,
                                       storageElements: storage.elementCount, limits: limits, context: context,
                                       at: offset)
        return TorchTensorRef(storage: storage, layout: layout, offset: offset)
    }

    private static func integers(_ value: PickleValue, _ what: String,
                                 _ bad: (String) -> CheckpointError) throws -> [Int64] {
        guard case .tuple(let tuple) = value else { throw bad("the \(what) is a \(value.typeName), not a tuple") }
        return try tuple.items.map {
            guard case .int(let n) = $0 else { throw bad("the \(what) holds a \($0.typeName)") }
            return n
        }
    }
}
