import Foundation

/// The size and a 64-bit FNV-1a hash of a run's training data, recorded with the run so that `--resume` notices
/// when the data changed underneath a checkpoint. Not a cryptographic hash: it guards against accidents.
public struct DataFingerprint: Sendable, Equatable {
    /// Bytes of all data files together.
    public var bytes: Int
    public var hash: UInt64

    /// The fingerprint of `files` (their bytes, in order, each preceded by its length).
    public init(files: [Data]) {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        func mix(_ byte: UInt8) {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        for file in files {
            withUnsafeBytes(of: UInt64(file.count).littleEndian) { $0.forEach(mix) }
            file.withUnsafeBytes { $0.forEach(mix) }
        }
        bytes = files.reduce(0) { $0 + $1.count }
        self.hash = hash
    }

    public init(bytes: Int, hash: UInt64) {
        self.bytes = bytes
        self.hash = hash
    }

    /// The hash as recorded: "fnv1a64:" and 16 hexadecimal digits.
    public var hashText: String {
        let digits = String(hash, radix: 16)
        return "fnv1a64:" + String(repeating: "0", count: 16 - digits.count) + digits
    }
}
