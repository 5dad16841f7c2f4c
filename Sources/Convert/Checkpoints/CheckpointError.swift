/// Why a checkpoint could not be read: what is wrong (``kind``, stable and comparable), in which file, where
/// in it, and a sentence naming the values involved.
public struct CheckpointError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The class of problem. Payloads name the limit, entry, opcode or global at fault.
    public enum Kind: Equatable, Sendable {
        /// The operating system could not open or read the file.
        case io
        /// The first bytes match no supported format (or the forced format does not fit).
        case unknownFormat
        /// The data ends before a field that must be there.
        case truncated
        /// A size or count is larger than the reader allows (see ``CheckpointLimits``).
        case limitExceeded(CheckpointLimit)

        /// No ZIP end-of-central-directory record where one must be.
        case zipEndRecordMissing
        /// A ZIP structure is damaged: bad signature, field out of range, inconsistent ZIP64 values.
        case zipMalformed
        /// The archive spans several disks.
        case zipMultiDisk
        /// An entry or the central directory is encrypted.
        case zipEncrypted
        /// An entry uses a compression method other than STORED (0) or DEFLATE (8).
        case zipUnsupportedMethod(UInt16)
        /// A local header disagrees with its central-directory record.
        case zipHeaderMismatch
        /// Two entries share bytes (the trick behind "non-overlapping" zip bombs).
        case zipOverlappingEntries
        /// Two entries have the same name.
        case zipDuplicateEntry(String)
        /// DEFLATE data is invalid.
        case zipInflateFailed
        /// The data inflates to a size other than the declared one (a DEFLATE bomb inflates past it).
        case zipSizeMismatch
        /// The CRC-32 of an entry differs from the recorded one.
        case zipChecksumMismatch
        /// An entry the format requires is absent (`data.pkl`, `data/<key>`).
        case missingEntry(String)

        /// A `.npy` header is not the strict literal `{'descr': str, 'fortran_order': bool, 'shape': (int, ...)}`.
        case npyBadHeader
        /// A `.npy` version other than 1.0, 2.0 or 3.0.
        case npyUnsupportedVersion
        /// A dtype this reader does not decode (structured, complex, object, ...).
        case unsupportedDType(String)
        /// The bytes after a header do not match the shape and dtype exactly.
        case dataSizeMismatch

        /// A safetensors header length, UTF-8, JSON or entry is invalid.
        case safetensorsBadHeader
        /// safetensors data offsets overlap, leave a hole, or run backwards.
        case safetensorsBadOffsets
        /// safetensors buffer length differs from what the header indexes (truncation or trailing bytes).
        case safetensorsIncompleteBuffer

        /// A pickle opcode the reader does not interpret (named in hexadecimal).
        case pickleUnsupportedOpcode(UInt8)
        /// A structurally broken pickle: stack underflow, dangling memo reference, wrong argument types.
        case pickleMalformed
        /// The pickle asks to call a function or class that is not on the allow-list, for example `os.system`.
        /// Nothing is ever called; the file is refused.
        case refusedGlobal(String)

        /// A torch storage reference or tensor record is inconsistent.
        case torchMalformed
        /// A torch storage class with no supported element type.
        case unsupportedStorage(String)
        /// A tensor's size, strides and offset reach outside its storage.
        case tensorOutOfBounds
        /// The object in the checkpoint holds no state dict (a mapping of names to tensors).
        case notAStateDict
        /// Two tensors end up with the same name.
        case duplicateTensor(String)
    }

    public let kind: Kind
    /// The file (or the name given for in-memory bytes).
    public let file: String
    /// Where in the file: a byte offset, possibly inside a named ZIP entry or pickle.
    public let location: String
    /// What is wrong, with the values involved.
    public let message: String

    public init(_ kind: Kind, file: String, location: String, _ message: String) {
        self.kind = kind
        self.file = file
        self.location = location
        self.message = message
    }

    public var description: String { location.isEmpty ? "\(file): \(message)" : "\(file): \(location): \(message)" }
}
