import Foundation
import KRUFormat

/// Checks an output path before a command does any work, so that a run never ends in an error it could have
/// given at the start: the target (a symbolic link is followed, as the writer follows it) must be a regular
/// file or not exist yet, its directory must exist and be writable, and it must not be one of the command's
/// own inputs. The write itself is atomic (``AtomicFile``).
func checkOutput(_ path: String, notOverwriting inputs: [String?]) throws {
    let target: String
    do {
        target = try AtomicFile.resolvedTarget(path)
    } catch {
        throw CLIError(.cannotCreate, "cannot create \(path): \(error)")
    }
    var info = stat()
    if lstat(target, &info) == 0 {
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw CLIError(.cannotCreate, "\(path) is \(fileTypeName(info.st_mode)); kru writes only regular files")
        }
        for case let input? in inputs where input != "-" {
            var other = stat()
            if stat(input, &other) == 0, other.st_dev == info.st_dev, other.st_ino == info.st_ino {
                throw CLIError(.cannotCreate,
                               "\(path) is also an input of this command (\(input)); choose another output")
            }
        }
    }
    let directory = (target as NSString).deletingLastPathComponent
    let parent = directory.isEmpty ? "." : directory
    var parentInfo = stat()
    guard stat(parent, &parentInfo) == 0, (parentInfo.st_mode & S_IFMT) == S_IFDIR else {
        throw CLIError(.cannotCreate, "cannot create \(path): the directory \(parent) does not exist")
    }
    guard access(parent, W_OK) == 0 else {
        throw CLIError(.cannotCreate, "cannot create \(path): the directory \(parent) is not writable")
    }
}
