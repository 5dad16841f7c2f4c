import KRUConvert
import KRUFormat
import KRUInference
import KRUTrain

/// The exit statuses of every `kru` command: the classes of BSD's `sysexits.h`, so that a script can tell a
/// mistake in the command line from a bad input file from a failing disk. docs/CLI.md lists them with examples.
/// Commands fail by throwing a ``CLIError``; ``KRUCommand/main()`` prints it and exits with its status.
enum ExitStatus: Int32, CaseIterable, Sendable {
    /// Success.
    case success = 0
    /// The command ran and what it checks does not hold (`kru zoo`: a model file missing or modified; `kru train`:
    /// the loss became NaN or infinite); the report was printed.
    case checkFailed = 1
    /// `EX_USAGE`: the command line is wrong — an unknown option, a missing argument, a value out of range,
    /// options that exclude each other.
    case usage = 64
    /// `EX_DATAERR`: an input exists but its content is unusable — not the expected format, damaged, beyond the
    /// readers' limits, or inconsistent with another input (a model with another vocabulary).
    case dataError = 65
    /// `EX_NOINPUT`: an input does not exist, cannot be opened, or is not a file the command can read (a
    /// directory; a FIFO or device where random access is needed).
    case noInput = 66
    /// `EX_SOFTWARE`: an internal error, a bug in kru.
    case software = 70
    /// `EX_CANTCREAT`: an output cannot be created — its directory is missing or not writable, it exists and is
    /// not a regular file, or it is one of the command's own inputs.
    case cannotCreate = 73
    /// `EX_IOERR`: reading or writing failed part-way (a disk error, a full disk, a file that changed while it
    /// was read).
    case ioError = 74
}

/// A failure reported the way every command reports one: a single line `kru: error: MESSAGE` on standard error
/// (control characters escaped), then exit with ``status``.
struct CLIError: Error, CustomStringConvertible {
    let status: ExitStatus
    let message: String

    var description: String { message }

    init(_ status: ExitStatus, _ message: String) {
        self.status = status
        self.message = message
    }

    /// The error a library failure while reading or writing `path` becomes: the one place that decides which
    /// library error belongs to which exit status.
    init(_ error: any Error, path: String? = nil) {
        let prefix = path.map { "\($0): " } ?? ""
        switch error {
        case let error as CLIError:
            self = error
        case let error as KRUFormatError:
            self.init(error.code == .io ? .ioError : .dataError, prefix + "\(error)")
        case let error as CheckpointError:
            // Its description starts with the file already.
            self.init(error.kind == .io ? .ioError : .dataError, "\(error)")
        case let error as TrainingRunError:
            let status: ExitStatus = switch error.kind {
            case .usage: .usage
            case .data: .dataError
            case .noInput: .noInput
            case .io: .ioError
            case .cannotCreate: .cannotCreate
            case .diverged: .checkFailed  // the run failed, through its settings; not a bug in kru
            }
            self.init(status, "\(error)")
        case let error as KRUWriterError:
            self.init(.dataError, prefix + "cannot be written: \(error)")
        case let error as GenerationError:
            // Generation settings that cannot work (a NaN temperature, top-p outside (0, 1], …): a usage error.
            self.init(.usage, "\(error)")
        default:
            // ModelSchemaError, ConversionError, ModelInputError, UnknownCharactersError, …: the content of
            // an input does not fit what was asked.
            self.init(.dataError, prefix + "\(error)")
        }
    }
}

/// Runs `body`, turning any library failure into the ``CLIError`` for `path`.
func reporting<T>(_ path: String? = nil, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch {
        throw CLIError(error, path: path)
    }
}

/// A usage error: one line naming the problem (``KRUCommand/main()`` adds the pointer to `--help`).
func usage(_ message: String) -> CLIError {
    CLIError(.usage, message)
}
