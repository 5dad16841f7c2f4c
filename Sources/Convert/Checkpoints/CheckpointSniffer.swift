/// Recognises a checkpoint's format from its first bytes, never from its file name.
enum CheckpointSniffer {
    static let zipLocalHeader: [UInt8] = [0x50, 0x4b, 0x03, 0x04]
    static let zipEmptyArchive: [UInt8] = [0x50, 0x4b, 0x05, 0x06]

    /// The container family; a ZIP archive is told apart (torch or npz) by its entries.
    enum Container { case zip, torchLegacy, safetensors, npy }

    static func container(_ source: CheckpointByteSource, context: CheckpointContext) throws -> Container {
        let head = try source.read(at: 0, count: Int(min(source.size, 64)))
        if head.starts(with: zipLocalHeader) || head.starts(with: zipEmptyArchive) { return .zip }
        if head.starts(with: NumPyDecoding.magic) { return .npy }
        if isLegacyTorch(head) { return .torchLegacy }
        if looksLikeSafetensors(head, size: source.size) { return .safetensors }
        let hint = head.first == 0x80
            ? " (a bare pickle, not torch.save output: only torch's zip and legacy layouts are read)" : ""
        throw context.error(.unknownFormat, at: 0,
                            "unrecognised format\(hint): the file starts with "
                                + "\(head.isEmpty ? "nothing (it is empty)" : hexPreview(head, count: 12)); expected "
                                + "a ZIP archive (torch.save, .npz), a legacy torch.save file, safetensors or .npy")
    }

    /// A pickle (PROTO) whose first value is torch's legacy magic number, possibly after a FRAME header.
    static func isLegacyTorch(_ head: [UInt8]) -> Bool {
        guard head.first == 0x80, head.count >= TorchLegacyReader.magicLong1.count + 2 else { return false }
        let magic = TorchLegacyReader.magicLong1
        return head[2...].starts(with: magic)
            || (head.count >= 11 + magic.count && head[2] == 0x95 && head[11...].starts(with: magic))
    }

    /// Eight bytes of header length followed by `{` (leading JSON whitespace allowed, as the reference reader
    /// does). The length itself is not judged here, so that an absurd one gets the reader's specific error.
    static func looksLikeSafetensors(_ head: [UInt8], size: UInt64) -> Bool {
        guard head.count >= 10 else { return false }
        let firstNonSpace = head[8...].first { $0 != 0x20 && $0 != 0x0a && $0 != 0x0d && $0 != 0x09 }
        return firstNonSpace == 0x7b
    }

    /// Which ZIP-based format an archive holds: torch if it has a data.pkl, npz if it holds .npy entries.
    static func zipFormat(_ archive: ZipArchive) throws -> CheckpointFormat {
        if archive.entries.contains(where: { TorchZipReader.isDataPickle($0.name) }) { return .torchZip }
        if archive.entries.isEmpty || archive.entries.contains(where: { $0.name.hasSuffix(".npy") }) { return .npz }
        throw archive.context.error(
            .unknownFormat, at: nil,
            "the ZIP archive holds neither a torch data.pkl nor .npy arrays (first entries: "
                + "\(archive.entries.prefix(4).map { quotedForMessage($0.name) }.joined(separator: ", ")))")
    }
}
