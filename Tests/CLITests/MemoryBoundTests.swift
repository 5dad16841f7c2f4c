import Foundation
import Testing

/// docs/MEMORY.md's bound, measured: no input file of S bytes makes `kru` use more than max(64 MB, 32·S) of memory
/// outside the tensor data the file really holds. Each crafted file of Tests/Fixtures/memory
/// (tools/make_memory_fixtures.py) declares, shares or unpacks far more than it holds; the built `kru` reads it and
/// its peak resident memory (MeasuredRun; it includes the process's own ~25 MB) must stay inside the bound
/// — the old readers took from 64 MB to several GB on these files — while giving the expected answer.
struct MemoryBoundTests {
    static let bound = 64 << 20
    static let bytesPerFileByte = 32

    static let cases: [(file: String, command: String, status: Int32, message: String)] = [
        // Read in full (views listed, storages and members checked), then not a model.
        ("expand_2pow30.pt", "convert", 65, "no recurrent layer found"),
        ("expand_2pow32.pt", "convert", 65, "no recurrent layer found"),
        ("shared_storage_2000.pt", "convert", 65, "no recurrent layer found"),
        ("zeros.npz", "convert", 65, "no recurrent layer found"),
        // Refused before the declared sizes cost anything.
        ("pickle_list_bomb.pt", "convert", 65, "zip entry 'archive/data.pkl'"),
        ("zip_storage_declaring.pt", "convert", 65, "zip entry 'archive/data/0', byte 372: invalid DEFLATE data"),
        ("npz_declaring.npz", "convert", 65, "zip entry 'w.npy', byte 55: invalid DEFLATE data"),
        ("kru_declaring.kru", "inspect", 65, "bad_zlib at byte 128"),
    ]

    @Test(arguments: cases.indices)
    func craftedFileStaysInsideTheBound(index: Int) throws {
        let (file, command, status, message) = Self.cases[index]
        let path = "Tests/Fixtures/memory/\(file)"
        let size = try #require(try FileManager.default
            .attributesOfItem(atPath: CLITests.root.appendingPathComponent(path).path)[.size] as? Int)
        let arguments = command == "convert" ? ["convert", path, "--list"] : ["inspect", path]
        let run = try MeasuredRun.kru(arguments, timeout: 120)
        #expect(!run.timedOut)
        #expect(run.status == status, "\(file): \(run.stderr)")
        #expect(run.stderr.hasPrefix("kru: error: \(path): ") && run.stderr.contains(message), "\(file): \(run.stderr)")
        let limit = max(Self.bound, Self.bytesPerFileByte * size)
        #expect(run.peakBytes <= limit, "\(file) (\(size) bytes): peak \(run.peakBytes) bytes, bound \(limit)")
    }

    /// The measurement is of kru alone: a test process holding 256 MB does not raise the peak it reports.
    @Test func measurementIgnoresTheTestProcess() throws {
        var ballast = [UInt8](repeating: 1, count: 256 << 20)
        ballast[ballast.count - 1] = 2
        let run = try MeasuredRun.kru(["--version"])
        #expect(run.status == 0 && ballast.last == 2)
        #expect(run.peakBytes < 64 << 20, "peak \(run.peakBytes)")
    }

    /// The same bound on every crafted hostile file of the reader tests, and on each real fixture, read in full.
    @Test func hostileAndRealFixturesStayInsideTheBound() throws {
        let folders = ["Tests/Fixtures/hostile", "Tests/Fixtures/torch", "Tests/Fixtures/scripts"]
        var checked = 0
        for folder in folders {
            let names = try FileManager.default
                .contentsOfDirectory(atPath: CLITests.root.appendingPathComponent(folder).path)
            let checkpoints = [".pt", ".ckpt", ".npz", ".npy", ".safetensors"]
            for name in names.sorted() where checkpoints.contains(where: name.hasSuffix) {
                let path = "\(folder)/\(name)"
                let run = try MeasuredRun.kru(["convert", path, "--list"], timeout: 120)
                #expect(!run.timedOut && run.status != 70 && run.status < 128, "\(path): \(run.stderr)")
                #expect(run.peakBytes <= Self.bound, "\(path): peak \(run.peakBytes) bytes")
                checked += 1
            }
        }
        #expect(checked > 50)
    }
}
