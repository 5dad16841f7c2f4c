/// A failure to read a `.kru` file: what is wrong (a stable ``Code`` shared with the spec and the Python
/// reader) and the byte offset where the fault lies.
public struct KRUFormatError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The error classes of spec/FORMAT.md §6. The raw values are the spec's spelling.
    public enum Code: String, Sendable, CaseIterable {
        case truncated
        case badMagic = "bad_magic"
        case unsupportedVersion = "unsupported_version"
        case trailingData = "trailing_data"
        case reservedNonzero = "reserved_nonzero"
        case directoryTooLarge = "directory_too_large"
        case directoryChecksum = "directory_checksum"
        case directoryOverrun = "directory_overrun"
        case directoryTrailing = "directory_trailing"
        case tooManyEntries = "too_many_entries"
        case badKey = "bad_key"
        case duplicateKey = "duplicate_key"
        case badValueType = "bad_value_type"
        case badValue = "bad_value"
        case badUTF8 = "bad_utf8"
        case badTensorName = "bad_tensor_name"
        case duplicateTensor = "duplicate_tensor"
        case badDType = "bad_dtype"
        case badCompression = "bad_compression"
        case badShape = "bad_shape"
        case badRawLength = "bad_raw_length"
        case badStoredLength = "bad_stored_length"
        case badOffset = "bad_offset"
        case badPadding = "bad_padding"
        case tensorTooLarge = "tensor_too_large"
        case badZlib = "bad_zlib"
        case tensorChecksum = "tensor_checksum"
        /// Not a property of the file: the operating system could not open, read or write it.
        case io
    }

    /// What is wrong.
    public let code: Code
    /// The byte offset of the field at fault (spec §6, "Which offset").
    public let offset: UInt64
    /// A sentence for people: names the problem and the values involved.
    public let message: String

    public init(_ code: Code, at offset: UInt64, _ message: String) {
        self.code = code
        self.offset = offset
        self.message = message
    }

    public var description: String { code == .io ? message : "\(code.rawValue) at byte \(offset): \(message)" }
}
