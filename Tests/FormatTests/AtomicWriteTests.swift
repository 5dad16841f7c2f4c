import Foundation
import Testing
@testable import KRUFormat

/// The writer replaces files atomically and leaves nothing behind when it fails.
struct AtomicWriteTests {
    @Test func writesReadableFileAndLeavesNoTemporaries() throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/m.kru"
        let tensor = KRUTensor(name: "w", shape: [2, 2], floats: [1, 2, 3, 4])
        try KRUWriter(tensors: [tensor]).write(toPath: path)
        #expect(try KRUFile(path: path).tensor(named: "w") == tensor)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["m.kru"])
    }

    @Test func failedWriteLeavesTheOldFileUntouched() throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/m.kru"
        try KRUWriter(tensors: [KRUTensor(name: "old", shape: [1], floats: [1])]).write(toPath: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        // An invalid file fails while encoding, before any byte reaches the disk.
        let invalid = KRUWriter(metadata: [KRUMetadataEntry("bad key", .int(1))])
        #expect(throws: KRUWriterError.self) { try invalid.write(toPath: path) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["m.kru"])
    }

    #if canImport(Glibc)
    /// A directory record as short as its name, ending where readable memory ends (the page after it is
    /// inaccessible), as readdir may return one: its name is read without touching the next page. Copying the
    /// whole `struct dirent`, as the clean-up of stale temporaries once did, crashes here.
    @Test func directoryEntryNameIsReadWithinItsRecord() throws {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let memory = try #require(mmap(nil, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0))
        try #require(memory != MAP_FAILED)
        defer { munmap(memory, 2 * page) }
        #expect(mprotect(memory + page, page, PROT_NONE) == 0)
        let name = Array(".m.kru.tmp-abc123".utf8) + [0]
        let nameOffset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!
        let recordLength = (nameOffset + name.count + 7) / 8 * 8
        let record = memory + page - recordLength
        name.withUnsafeBytes { record.advanced(by: nameOffset).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        let entry = UnsafePointer<dirent>(record.assumingMemoryBound(to: dirent.self))
        #expect(AtomicFile.entryName(entry) == ".m.kru.tmp-abc123")
    }
    #endif

    @Test func unwritableDirectoryIsAnIOErrorNotACrash() {
        let error = #expect(throws: KRUFormatError.self) {
            try KRUWriter().write(toPath: "/nonexistent-kru-directory/m.kru")
        }
        #expect(error?.code == .io)
    }

    /// A FIFO is refused at once (opened non-blocking, then its type checked), never waited on.
    @Test func fifoIsRefusedWithoutWaitingForAWriter() throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        mkfifo(directory + "/fifo", 0o600)
        let error = #expect(throws: KRUFormatError.self) { try KRUFile(path: directory + "/fifo") }
        #expect(error?.code == .io && error?.message.contains("is a FIFO (named pipe), not a regular file") == true)
    }

    @Test func missingFileIsAnIOError() {
        let error = #expect(throws: KRUFormatError.self) { try KRUFile(path: "/nonexistent-kru-file.kru") }
        #expect(error?.code == .io)
    }
}

/// What the writer promises about the file it replaces.
struct AtomicReplaceTests {
    @Test func refusesToReplaceAnythingButARegularFile() throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        mkfifo(directory + "/fifo", 0o600)
        for target in ["/dev/null", directory, directory + "/fifo"] {
            let error = #expect(throws: KRUFormatError.self) { try AtomicFile.write([1, 2, 3], toPath: target) }
            #expect(error?.message.contains("only a regular file is replaced") == true, "\(target)")
        }
        var info = stat()
        #expect(stat("/dev/null", &info) == 0 && (info.st_mode & S_IFMT) == S_IFCHR)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["fifo"])
    }

    @Test func keepsTheModeOfTheFileItReplaces() throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/m.kru"
        try AtomicFile.write([1], toPath: path)
        chmod(path, 0o640)
        try AtomicFile.write([2], toPath: path)
        var info = stat()
        stat(path, &info)
        #expect(info.st_mode & 0o7777 == 0o640)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data([2]))
    }

    @Test func writesThroughASymbolicLink() throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory + "/real", withIntermediateDirectories: true)
        try AtomicFile.write([1], toPath: directory + "/real/m.kru")
        symlink("real/m.kru", directory + "/link.kru")
        try AtomicFile.write([7, 7], toPath: directory + "/link.kru")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: directory + "/link.kru") == "real/m.kru")
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory + "/real/m.kru")) == Data([7, 7]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory + "/real") == ["m.kru"])
    }

    /// A killed run's temporary file is removed by the next write of the same target; one a live writer holds
    /// (locked) is left alone.
    @Test func staleTemporariesAreRemovedLiveOnesKept() throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let stale = directory + "/.m.kru.tmp-AbC123", live = directory + "/.m.kru.tmp-XyZ789"
        let other = directory + "/.other.kru.tmp-AbC123"
        for path in [stale, live, other] { FileManager.default.createFile(atPath: path, contents: Data([0])) }
        let holder = open(live, O_RDONLY)
        defer { close(holder) }
        #expect(flock(holder, LOCK_EX) == 0)
        try AtomicFile.write([1], toPath: directory + "/m.kru")
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: directory))
        #expect(left == ["m.kru", ".m.kru.tmp-XyZ789", ".other.kru.tmp-AbC123"])
    }
}

/// A new empty directory under the temporary directory.
private func scratchDirectory() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("kru-atomic-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}
