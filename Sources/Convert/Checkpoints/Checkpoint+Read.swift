import KRUFormat

extension Checkpoint {
    /// Reads the checkpoint at `path`.
    ///
    /// The format is recognised from the first bytes (ZIP `PK\3\4` → torch zip or npz by its entries, the
    /// legacy torch magic pickle, a safetensors header length followed by `{`, `\x93NUMPY`) unless `format`
    /// forces one. Nothing in the file is executed: pickles are interpreted by a machine that only describes
    /// allow-listed tensor rebuilds. Every size is checked against `options.limits` before allocation.
    ///
    /// - Throws: ``CheckpointError`` naming the problem, the file and the place in it.
    public static func read(path: String, format: CheckpointFormat? = nil,
                            options: CheckpointReadOptions = CheckpointReadOptions()) throws -> Checkpoint {
        try read(openCheckpointFile(path), name: path, format: format, options: options)
    }

    /// Reads a checkpoint held in memory; `name` labels errors (a file name or a description).
    public static func read(bytes: [UInt8], name: String = "<memory>", format: CheckpointFormat? = nil,
                            options: CheckpointReadOptions = CheckpointReadOptions()) throws -> Checkpoint {
        try read(InMemoryByteSource(bytes), name: name, format: format, options: options)
    }

    /// The format ``read(path:format:options:)`` would choose for the file at `path`.
    public static func detectFormat(path: String) throws -> CheckpointFormat {
        let source = try openCheckpointFile(path)
        let context = CheckpointContext(file: path)
        switch try CheckpointSniffer.container(source, context: context) {
        case .zip:
            return try CheckpointSniffer.zipFormat(ZipArchive(source: source, context: context, limits: .standard))
        case .torchLegacy: return .torchLegacy
        case .safetensors: return .safetensors
        case .npy: return .npy
        }
    }

    static func read(_ source: CheckpointByteSource, name: String, format: CheckpointFormat?,
                     options: CheckpointReadOptions) throws -> Checkpoint {
        let context = CheckpointContext(file: name)
        var memory = MemoryBudget(limits: options.limits, fileSize: source.size)
        let chosen: CheckpointFormat
        var archive: ZipArchive? = nil
        if let format {
            chosen = format
        } else {
            switch try CheckpointSniffer.container(source, context: context) {
            case .zip:
                archive = try ZipArchive(source: source, context: context, limits: options.limits)
                chosen = try CheckpointSniffer.zipFormat(archive!)
            case .torchLegacy: chosen = .torchLegacy
            case .safetensors: chosen = .safetensors
            case .npy: chosen = .npy
            }
        }
        switch chosen {
        case .torchZip:
            return try TorchZipReader.read(archive ?? ZipArchive(source: source, context: context,
                                                                 limits: options.limits),
                                           options: options, memory: &memory)
        case .npz:
            return try NPZReader.read(archive ?? ZipArchive(source: source, context: context, limits: options.limits))
        case .torchLegacy:
            return try TorchLegacyReader.read(source, options: options, context: context, memory: &memory)
        case .safetensors:
            return try SafetensorsReader.read(source, context: context, limits: options.limits)
        case .npy:
            let tensorName = npyTensorName(name)
            let found = try NumPyDecoding.layout(source, length: source.size, context: context, limits: options.limits)
            let storage = FileRangeStorage(source: source, offset: found.dataOffset, length: found.dataLength,
                                           context: context)
            let tensor = NumPyDecoding.tensor(found, name: tensorName, storage: storage, storageName: tensorName,
                                              budget: MaterializationBudget(limits: options.limits), context: context)
            return Checkpoint(format: .npy, tensors: [tensor])
        }
    }

    /// A lone `.npy` array is named after its file: `weights/w_hh.npy` → `w_hh`.
    private static func npyTensorName(_ path: String) -> String {
        let file = path.split(separator: "/").last.map(String.init) ?? path
        return file.hasSuffix(".npy") ? String(file.dropLast(4)) : file
    }
}
