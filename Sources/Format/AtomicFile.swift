#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Replaces a file atomically: write a temporary sibling, flush it to disk, rename it over the target. Every
/// writer of the project (`.kru` models, `.npy` arrays, training checkpoints) goes through here.
///
/// - The target must be a regular file or not exist yet: a device, FIFO, socket or directory is refused, so
///   `-o /dev/null` never replaces `/dev/null`.
/// - A symbolic link is followed: the file it points to is replaced and the link stays a link.
/// - A replaced file keeps its permission bits (and, where allowed, its owner); a new file gets `0666 & ~umask`.
/// - The temporary file, `.NAME.tmp-XXXXXX` beside the target, is locked (`flock`) while it is written. Temporary
///   files of `NAME` left by killed runs are unlocked, and each write removes them.
public enum AtomicFile {
    /// Writes `bytes` to `path` atomically. Throws `KRUFormatError` with code `.io` naming the path and the reason.
    public static func write(_ bytes: [UInt8], toPath path: String) throws {
        let target = try resolvedTarget(path)
        let (directory, base) = split(target)
        let existing = try existingRegularFile(target)
        removeStaleTemporaries(of: base, in: directory)

        var template = Array("\(directory)/.\(base).tmp-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw ioError("cannot create a temporary file beside \(target)") }
        // Held until the rename: a later writer's clean-up sees the lock and leaves this file alone.
        _ = flock(fd, LOCK_EX)
        let temporary = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var keep = false
        defer {
            if !keep { unlink(temporary) }
        }
        let ok = bytes.withUnsafeBytes { writeAll(fd, $0) }
        if let existing {
            fchmod(fd, existing.st_mode & 0o7777)
            if existing.st_uid != geteuid() || existing.st_gid != getegid() {
                _ = fchown(fd, existing.st_uid, existing.st_gid)  // allowed for root or a group member; else keep ours
            }
        } else {
            // mkstemp makes 0600 files; a new file should be as readable as any other file the user writes.
            let mask = umask(0); umask(mask)
            fchmod(fd, 0o666 & ~mask)
        }
        guard ok, fsync(fd) == 0 else {
            let error = ioError("cannot write \(temporary)")
            close(fd)
            throw error
        }
        guard rename(temporary, target) == 0 else {
            let error = ioError("cannot rename \(temporary) to \(target)")
            close(fd)
            throw error
        }
        keep = true
        close(fd)
        // Make the rename itself durable.
        let dirfd = open(directory, O_RDONLY | O_CLOEXEC)
        if dirfd >= 0 { fsync(dirfd); close(dirfd) }
    }

    /// `path` with symbolic links in its last component followed (at most 32 of them): the file ``write(_:toPath:)``
    /// replaces, so that a link stays a link.
    public static func resolvedTarget(_ path: String) throws -> String {
        var current = path
        for _ in 0..<32 {
            var info = stat()
            guard lstat(current, &info) == 0, (info.st_mode & S_IFMT) == S_IFLNK else { return current }
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlink(current, &buffer, buffer.count - 1)
            guard n > 0 else { throw ioError("cannot read the symbolic link \(current)") }
            let link = String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            current = link.hasPrefix("/") ? link : split(current).directory + "/" + link
        }
        throw KRUFormatError(.io, at: 0, "\(path): too many levels of symbolic links")
    }

    /// The status of `target` if it exists; throws if it exists and is not a regular file.
    private static func existingRegularFile(_ target: String) throws -> stat? {
        var info = stat()
        guard lstat(target, &info) == 0 else { return nil }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw KRUFormatError(.io, at: 0,
                                 "\(target) is \(fileTypeName(info.st_mode)); only a regular file is replaced")
        }
        return info
    }

    /// Deletes `.BASE.tmp-XXXXXX` files in `directory` that no writer holds locked (left by killed runs). Only
    /// regular files owned by this user are touched; failures are ignored, this is housekeeping.
    static func removeStaleTemporaries(of base: String, in directory: String) {
        guard let dir = opendir(directory) else { return }
        defer { closedir(dir) }
        let prefix = ".\(base).tmp-"
        while let entry = readdir(dir) {
            let name = entryName(entry)
            guard name.hasPrefix(prefix), name.utf8.count == prefix.utf8.count + 6 else { continue }
            let path = directory + "/" + name
            let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
            guard fd >= 0 else { continue }
            var info = stat()
            if fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_uid == geteuid(),
               flock(fd, LOCK_EX | LOCK_NB) == 0 {
                unlink(path)
            }
            close(fd)
        }
    }

    /// The name of a record `readdir` returned, read in place up to its NUL. Reading `entry.pointee.d_name` would
    /// copy a whole `struct dirent`, but readdir's records are only as long as their names: the copy read past the
    /// end of the buffer, and crashed when a short record ended a page.
    static func entryName(_ entry: UnsafePointer<dirent>) -> String {
        String(cString: (UnsafeRawPointer(entry) + nameOffset).assumingMemoryBound(to: CChar.self))
    }

    /// Where `d_name` starts in a `struct dirent`.
    private static let nameOffset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!

    private static func split(_ path: String) -> (directory: String, base: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }

    private static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) -> Bool {
        var written = 0
        while written < buffer.count {
            let n = posixWrite(fd, buffer.baseAddress! + written, buffer.count - written)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return false }
            written += n
        }
        return true
    }

    private static func ioError(_ what: String) -> KRUFormatError {
        KRUFormatError(.io, at: 0, "\(what): \(String(cString: strerror(errno)))")
    }
}

/// POSIX `write`, named apart from the `write` methods of the writers.
private func posixWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, buffer, count)
}
