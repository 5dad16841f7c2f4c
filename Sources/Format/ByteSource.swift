#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Random access to the bytes of a `.kru` file, so that tensors can be read one at a time.
public protocol KRUByteSource: Sendable {
    /// The total number of bytes.
    var size: UInt64 { get }
    /// Exactly `count` bytes starting at `offset`; callers only ask for ranges inside ``size``.
    func read(at offset: UInt64, count: Int) throws -> [UInt8]
}

/// A byte source over bytes already in memory.
public struct InMemoryByteSource: KRUByteSource {
    public let bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public var size: UInt64 { UInt64(bytes.count) }
    public func read(at offset: UInt64, count: Int) throws -> [UInt8] {
        Array(bytes[Int(offset)..<Int(offset) + count])
    }
}

/// A byte source over an open file, read with `pread` (safe to use from several threads at once).
public final class FileByteSource: KRUByteSource, @unchecked Sendable {
    private let descriptor: Int32
    public let path: String
    public let size: UInt64

    /// Opens `path` for reading. Only regular files are accepted: the reader needs random access, and opening
    /// is non-blocking so that a FIFO (which would wait for a writer) or a device is refused at once.
    public init(path: String) throws {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else {
            throw KRUFormatError(.io, at: 0, "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            let kind = fileTypeName(info.st_mode)
            close(fd)
            throw KRUFormatError(.io, at: 0, "\(path) is \(kind), not a regular file (the reader needs random access)")
        }
        self.descriptor = fd
        self.path = path
        self.size = UInt64(info.st_size)
    }

    deinit { close(descriptor) }

    public func read(at offset: UInt64, count: Int) throws -> [UInt8] {
        var result = [UInt8](repeating: 0, count: count)
        var done = 0
        try result.withUnsafeMutableBytes { buffer in
            while done < count {
                let n = pread(descriptor, buffer.baseAddress! + done, count - done, off_t(offset) + off_t(done))
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else {
                    // The file shrank under us, or the disk failed: not a format fault, but never a crash.
                    throw KRUFormatError(.io, at: offset + UInt64(done),
                                         "cannot read \(path) at byte \(offset + UInt64(done)) "
                                             + "(file changed or I/O error)")
                }
                done += n
            }
        }
        return result
    }
}

/// "a directory", "a FIFO (named pipe)", … for the file type bits of `mode`, in messages.
public func fileTypeName(_ mode: mode_t) -> String {
    switch mode & S_IFMT {
    case S_IFREG: "a regular file"
    case S_IFDIR: "a directory"
    case S_IFIFO: "a FIFO (named pipe)"
    case S_IFCHR: "a character device"
    case S_IFBLK: "a block device"
    case S_IFSOCK: "a socket"
    case S_IFLNK: "a symbolic link"
    default: "not a regular file"
    }
}
