/// Reads Hugging Face safetensors with every check of the reference implementation (docs/CHECKPOINTS.md):
/// header length capped and inside the file, strict JSON, known dtypes, offsets that tile the buffer from 0
/// with no hole or overlap, byte lengths equal to shape × dtype size, and no bytes after the buffer.
enum SafetensorsReader {
    private static let dtypes: [String: CheckpointDType] = [
        "F64": .float64, "F32": .float32, "F16": .float16, "BF16": .bfloat16,
        "I64": .int64, "I32": .int32, "I16": .int16, "I8": .int8,
        "U64": .uint64, "U32": .uint32, "U16": .uint16, "U8": .uint8, "BOOL": .bool,
    ]

    private struct Entry {
        let name: String
        let dtype: CheckpointDType
        let shape: [Int64]
        let elements: Int
        let begin: UInt64
        let end: UInt64
    }

    static func read(_ source: CheckpointByteSource, context: CheckpointContext,
                     limits: CheckpointLimits) throws -> Checkpoint {
        let size = source.size
        guard size >= 8 else {
            throw context.error(.safetensorsBadHeader, at: 0,
                                "a safetensors file has at least 8 bytes; this one has \(size)")
        }
        let headerLength = littleEndianUInt64(try source.read(at: 0, count: 8, "header length", context))
        guard headerLength <= limits.maxSafetensorsHeaderBytes else {
            throw context.limit(.safetensorsHeaderBytes, at: 0,
                                "the header length is \(headerLength) bytes; "
                                    + "the limit is \(limits.maxSafetensorsHeaderBytes)")
        }
        guard headerLength <= size - 8 else {
            throw context.error(.safetensorsBadHeader, at: 0,
                                "the header length \(headerLength) runs past the end of the \(size)-byte file")
        }
        let headerBytes = try source.read(at: 8, count: Int(headerLength), "JSON header", context)
        guard strictUTF8String(headerBytes) != nil else {
            throw context.error(.safetensorsBadHeader, at: 8, "the header is not valid UTF-8")
        }
        guard case .object(let members) = try StrictJSONParser.parse(headerBytes, base: 8, context: context) else {
            throw context.error(.safetensorsBadHeader, at: 8, "the header is not a JSON object")
        }

        var metadata: [CheckpointMetadataEntry] = []
        var entries: [Entry] = []
        for (name, value) in members {
            if name == "__metadata__" {
                metadata = try metadataMap(value, context: context)
                continue
            }
            entries.append(try entry(name, value, context: context, limits: limits))
        }

        // The buffer must be indexed exactly: sorted by offsets, each tensor starts where the previous ended.
        let dataStart = 8 + headerLength
        var expected: UInt64 = 0
        for e in entries.sorted(by: { ($0.begin, $0.end) < ($1.begin, $1.end) }) {
            guard e.begin == expected else {
                throw context.error(.safetensorsBadOffsets, at: dataStart + min(e.begin, expected),
                                    "tensor \(quotedForMessage(e.name)) starts at buffer offset \(e.begin) but the "
                                        + "previous tensor ends at \(expected) "
                                        + "(\(e.begin < expected ? "overlap" : "hole"))")
            }
            expected = e.end
        }
        guard dataStart + expected == size else {
            throw context.error(.safetensorsIncompleteBuffer, at: dataStart + min(expected, size - dataStart),
                                "the header indexes \(expected) buffer bytes but the file holds \(size - dataStart)")
        }

        guard entries.count <= limits.maxTensorCount else {
            throw context.limit(.tensorCount, at: nil,
                                "\(entries.count) tensors exceed the limit of \(limits.maxTensorCount)")
        }
        let budget = MaterializationBudget(limits: limits)
        var tensors: [CheckpointTensor] = []
        tensors.reserveCapacity(entries.count)
        for e in entries {
            guard e.end - e.begin <= limits.maxBlobBytes else {
                throw context.limit(.blobBytes, at: dataStart + e.begin,
                                    "tensor \(quotedForMessage(e.name)) holds \(e.end - e.begin) bytes; "
                                        + "the limit is \(limits.maxBlobBytes)")
            }
            let layout = try StridedLayout(shape: e.shape,
                                           strides: StridedLayout.rowMajor(e.shape.map { Int($0) }).map { Int64($0) },
                                           offset: 0, storageElements: e.elements, limits: limits, context: context,
                                           at: dataStart + e.begin)
            let storage = FileRangeStorage(source: source, offset: dataStart + e.begin, length: Int(e.end - e.begin),
                                           context: context)
            let view = StorageView(storage: storage, storageName: e.name, storageElements: e.elements, dtype: e.dtype,
                                   byteOrder: .little, layout: layout, budget: budget, context: context)
            tensors.append(CheckpointTensor(name: e.name, dtype: e.dtype, shape: layout.shape, elements: .stored(view)))
        }
        return Checkpoint(format: .safetensors, tensors: tensors, metadata: metadata)
    }

    /// `__metadata__` is a string → string map and nothing else.
    private static func metadataMap(_ value: JSONValue,
                                    context: CheckpointContext) throws -> [CheckpointMetadataEntry] {
        guard case .object(let pairs) = value else {
            throw context.error(.safetensorsBadHeader, at: 8, "__metadata__ must be an object of strings")
        }
        return try pairs.map { key, value in
            guard case .string(let text) = value else {
                throw context.error(.safetensorsBadHeader, at: 8,
                                    "__metadata__ value for \(quotedForMessage(key)) is not a string")
            }
            return CheckpointMetadataEntry(key: key, value: .string(text))
        }
    }

    private static func entry(_ name: String, _ value: JSONValue, context: CheckpointContext,
                              limits: CheckpointLimits) throws -> Entry {
        let bad = { (why: String) in
            context.error(.safetensorsBadHeader, at: 8, "tensor \(quotedForMessage(name)): \(why)")
        }
        guard case .object(let fields) = value else { throw bad("the entry is not an object") }
        var dtypeValue: JSONValue?, shapeValue: JSONValue?, offsetsValue: JSONValue?
        for (key, field) in fields {
            switch key {
            case "dtype": dtypeValue = field
            case "shape": shapeValue = field
            case "data_offsets": offsetsValue = field
            default: throw bad("unknown field \(quotedForMessage(key))")
            }
        }
        guard case .string(let dtypeName) = dtypeValue else { throw bad("'dtype' is missing or not a string") }
        guard let dtype = dtypes[dtypeName] else {
            throw context.error(.unsupportedDType(dtypeName), at: 8,
                                "tensor \(quotedForMessage(name)): "
                                    + "dtype \(quotedForMessage(dtypeName)) is not supported")
        }
        guard case .array(let dims) = shapeValue else { throw bad("'shape' is missing or not an array") }
        let shape: [Int64] = try dims.map { dim in
            guard let d = dim.unsignedInteger, d <= UInt64(Int64.max) else {
                throw bad("'shape' holds \(dim) instead of a non-negative integer")
            }
            return Int64(d)
        }
        guard case .array(let offsets) = offsetsValue, offsets.count == 2,
              let begin = offsets[0].unsignedInteger, let end = offsets[1].unsignedInteger else {
            throw bad("'data_offsets' must be two non-negative integers")
        }
        guard begin <= end else {
            throw context.error(.safetensorsBadOffsets, at: 8,
                                "tensor \(quotedForMessage(name)): data_offsets [\(begin), \(end)] run backwards")
        }
        let elements = try StridedLayout.elementCount(of: shape, limits: limits, context: context, at: 8)
        let bytes = UInt64(elements) * UInt64(dtype.byteCount)  // capped element count: cannot overflow
        guard end - begin == bytes else {
            throw bad("shape \(shape) of \(dtypeName) needs \(bytes) bytes but data_offsets "
                          + "[\(begin), \(end)] hold \(end - begin)")
        }
        return Entry(name: name, dtype: dtype, shape: shape, elements: elements, begin: begin, end: end)
    }
}
