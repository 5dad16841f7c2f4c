/// Reads `torch.save` archives (PyTorch ≥ 1.6): `<folder>/data.pkl` is the pickled object, `<folder>/data/<key>`
/// each storage, `<folder>/byteorder` (since 2.1) the byte order of the storages. Storages are looked up by
/// key, never by entry order.
enum TorchZipReader {
    static func read(_ archive: ZipArchive, options: CheckpointReadOptions,
                     memory: inout MemoryBudget) throws -> Checkpoint {
        let context = archive.context
        let pickles = archive.entries.filter { isDataPickle($0.name) }
        guard let pickle = pickles.first else {
            throw context.error(.missingEntry("data.pkl"), at: nil,
                                "the ZIP archive has no <folder>/data.pkl: not a torch.save file")
        }
        guard pickles.count == 1 else {
            throw context.error(.torchMalformed, at: nil,
                                "several data.pkl entries: "
                                    + "\(pickles.prefix(4).map { quotedForMessage($0.name) }.joined(separator: ", "))")
        }
        let folder = String(pickle.name.dropLast("data.pkl".count))

        var byteOrder = StorageByteOrder.little
        if let entry = archive.entry(named: folder + "byteorder") {
            guard entry.uncompressedSize <= 16 else {
                throw context.error(.torchMalformed, at: entry.localHeaderOffset,
                                    "the byteorder record has \(entry.uncompressedSize) bytes")
            }
            switch String(decoding: try archive.read(entry), as: UTF8.self) {
            case "little": byteOrder = .little
            case "big": byteOrder = .big
            case let other:
                throw context.error(.torchMalformed, at: entry.localHeaderOffset,
                                    "byteorder record says \(quotedForMessage(other))")
            }
        }

        guard pickle.uncompressedSize <= options.limits.maxPickleBytes else {
            throw context.limit(.pickleBytes, at: pickle.localHeaderOffset,
                                "data.pkl has \(pickle.uncompressedSize) bytes; "
                                    + "the limit is \(options.limits.maxPickleBytes)")
        }
        // A DEFLATE-compressed pickle counts at its inflated size: a small file must not unpack a large pickle.
        try memory.charge(pickle.uncompressedSize, for: "data.pkl's \(pickle.uncompressedSize) bytes", context: context,
                          at: pickle.localHeaderOffset)
        let pickleBytes = try archive.read(pickle)
        var end = 0
        var found = try TorchPickleLoader.stateDict(
            pickleBytes, options: options, context: context.inside("zip entry \(quotedForMessage(pickle.name))"),
            end: &end, memory: &memory)
        guard end == pickleBytes.count else {
            throw context.error(.pickleMalformed, at: nil,
                                "\(pickleBytes.count - end) bytes follow STOP in \(pickle.name)")
        }
        try TorchScriptCode.addRecurrentModes(&found, archive: archive, folder: folder, memory: &memory)
        return try TorchTensorViews.checkpoint(found, format: .torchZip, byteOrder: byteOrder, limits: options.limits,
                                               context: context) { storage in
            let name = folder + "data/" + storage.key
            guard let entry = archive.entry(named: name) else {
                throw context.error(.missingEntry(name), at: nil,
                                    "the pickle refers to storage '\(storage.key)' but the archive has no "
                                        + "\(quotedForMessage(name))")
            }
            let expected = UInt64(storage.elementCount) * UInt64(storage.dtype.byteCount)  // both capped: no overflow
            guard entry.uncompressedSize == expected else {
                throw context.error(.torchMalformed, at: entry.localHeaderOffset,
                                    "storage '\(storage.key)' has \(entry.uncompressedSize) bytes but its "
                                        + "persistent id says \(storage.elementCount) × \(storage.dtype.byteCount)")
            }
            try archive.stream(entry) { _ in }  // size and CRC-32, in constant memory
            return (ZipEntryStorage(archive: archive, entry: entry, start: 0), name)
        }
    }

    /// `data.pkl` or `<folder>/data.pkl` with exactly one folder level, as torch writes it.
    static func isDataPickle(_ name: String) -> Bool {
        guard name.hasSuffix("data.pkl") else { return false }
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        return parts.last == "data.pkl" && (parts.count == 1 || (parts.count == 2 && !parts[0].isEmpty))
    }
}
