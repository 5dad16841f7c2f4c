import Foundation
import Testing
@testable import KRUFormat

/// The writer replaces files atomically and leaves nothing behind when it fails.
struct AtomicWriteTests {
    private func scratchDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kru-atomic-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

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

    @Test func unwritableDirectoryIsAnIOErrorNotACrash() {
        let error = #expect(throws: KRUFormatError.self) {
            try KRUWriter().write(toPath: "/nonexistent-kru-directory/m.kru")
        }
        #expect(error?.code == .io)
    }

    @Test func missingFileIsAnIOError() {
        let error = #expect(throws: KRUFormatError.self) { try KRUFile(path: "/nonexistent-kru-file.kru") }
        #expect(error?.code == .io)
    }
}
