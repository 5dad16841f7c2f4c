/// Why a training run cannot start or stopped: one line naming what is wrong (a setting, a file, the memory the
/// run would need), and what kind of failure it is, so a command-line front end can map it to an exit status.
public struct TrainingRunError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// A setting is invalid, inconsistent, or asks for more than the machine has (sysexits' EX_USAGE).
        case usage
        /// Input data or a checkpoint has the wrong content (EX_DATAERR).
        case data
        /// An input file does not exist, cannot be opened, or is not a regular file (EX_NOINPUT).
        case noInput
        /// Reading an input failed part-way (EX_IOERR).
        case io
        /// An output file cannot be created (EX_CANTCREAT).
        case cannotCreate
        /// The loss became NaN or infinite; the run stopped, its last good checkpoint kept (EX_SOFTWARE).
        case diverged
    }

    public let kind: Kind
    public let description: String

    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }

    static func usage(_ message: String) -> TrainingRunError { TrainingRunError(.usage, message) }
    static func data(_ message: String) -> TrainingRunError { TrainingRunError(.data, message) }
}
