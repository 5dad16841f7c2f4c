/// Where the reader is, so that every error names the file and the place in it.
struct CheckpointContext: Sendable {
    /// The file path or in-memory name.
    let file: String
    /// A region inside the file, such as `zip entry 'a/data.pkl'`; nil for the file itself.
    var region: String? = nil

    /// The same file, inside `region`.
    func inside(_ region: String) -> CheckpointContext {
        CheckpointContext(file: file, region: self.region.map { "\($0), \(region)" } ?? region)
    }

    func error(_ kind: CheckpointError.Kind, at offset: UInt64?, _ message: String) -> CheckpointError {
        var parts: [String] = []
        if let region { parts.append(region) }
        if let offset { parts.append("byte \(offset)") }
        return CheckpointError(kind, file: file, location: parts.joined(separator: ", "), message)
    }

    func error(_ kind: CheckpointError.Kind, at offset: Int, _ message: String) -> CheckpointError {
        error(kind, at: UInt64(offset), message)
    }

    func limit(_ which: CheckpointLimit, at offset: UInt64?, _ message: String) -> CheckpointError {
        error(.limitExceeded(which), at: offset, message)
    }
}
