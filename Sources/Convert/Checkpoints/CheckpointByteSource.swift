import KRUFormat

/// Random access to the bytes of a checkpoint, so that a multi-gigabyte file is never read whole: ZIP and
/// safetensors readers fetch the directory first and then only the ranges they have validated. The same
/// sources as the `.kru` reader's: `FileByteSource` (`pread` on a file) and `InMemoryByteSource`.
typealias CheckpointByteSource = KRUByteSource

extension KRUByteSource {
    /// `count` bytes at `offset`, or a `truncated` error naming `what` when the range leaves the file; I/O
    /// failures become checkpoint errors too.
    func read(at offset: UInt64, count: Int, _ what: String, _ context: CheckpointContext) throws -> [UInt8] {
        guard count >= 0, offset <= size, UInt64(count) <= size - offset else {
            throw context.error(.truncated, at: offset,
                                "\(what) needs \(count) bytes at byte \(offset) but the file has \(size) bytes")
        }
        do {
            return try read(at: offset, count: count)
        } catch let error as KRUFormatError {
            throw context.error(.io, at: offset, error.message)
        }
    }
}

/// Opens a regular file for `pread` access, reporting failures as checkpoint errors.
func openCheckpointFile(_ path: String) throws -> FileByteSource {
    do {
        return try FileByteSource(path: path)
    } catch let error as KRUFormatError {
        throw CheckpointContext(file: path).error(.io, at: nil, error.message)
    }
}
