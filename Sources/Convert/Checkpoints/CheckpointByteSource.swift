#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Random access to the bytes of a checkpoint, so that a multi-gigabyte file is never read whole: ZIP and
/// safetensors readers fetch the directory first and then only the ranges they have validated.
protocol CheckpointByteSource {
    /// The total number of bytes.
    var size: UInt64 { get }
    /// Exactly `count` bytes at `offset`; callers check that the range lies inside ``size`` first.
    func read(at offset: UInt64, count: Int) throws -> [UInt8]
}

extension CheckpointByteSource {
    /// `count` bytes at `offset`, or a `truncated` error naming `what` when the range leaves the file.
    func read(at offset: UInt64, count: Int, _ what: String, _ context: CheckpointContext) throws -> [UInt8] {
        guard count >= 0, offset <= size, UInt64(count) <= size - offset else {
            throw context.error(.truncated, at: offset,
                                "\(what) needs \(count) bytes at byte \(offset) but the file has \(size) bytes")
        }
        return try read(at: offset, count: count)
    }
}

/// Bytes already in memory (tests, mutation tests, archives inside archives).
struct MemoryCheckpointSource: CheckpointByteSource {
    let bytes: [UInt8]
    var size: UInt64 { UInt64(bytes.count) }
    func read(at offset: UInt64, count: Int) throws -> [UInt8] { Array(bytes[Int(offset)..<Int(offset) + count]) }
}

/// An open regular file read with `pread`.
final class FileCheckpointSource: CheckpointByteSource {
    private let descriptor: Int32
    private let path: String
    let size: UInt64

    init(path: String) throws {
        let context = CheckpointContext(file: path)
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw context.error(.io, at: nil, "cannot open: \(String(cString: strerror(errno)))") }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw context.error(.io, at: nil, "not a regular file")
        }
        descriptor = fd
        self.path = path
        size = UInt64(info.st_size)
    }

    deinit { close(descriptor) }

    func read(at offset: UInt64, count: Int) throws -> [UInt8] {
        var result = [UInt8](repeating: 0, count: count)
        var done = 0
        try result.withUnsafeMutableBytes { buffer in
            while done < count {
                let n = pread(descriptor, buffer.baseAddress! + done, count - done, off_t(offset) + off_t(done))
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else {
                    // The file shrank while we read it, or the disk failed: an I/O error, never a crash.
                    throw CheckpointContext(file: path).error(.io, at: offset + UInt64(done),
                                                              "read failed (file changed or I/O error)")
                }
                done += n
            }
        }
        return result
    }
}
