import Foundation

/// The bytes of a small input file the converter reads whole (a tensor map, a vocabulary), read as a stream of at
/// most `limit` bytes: a FIFO or pipe works, and a device that never ends (`/dev/zero`) is refused at the limit
/// instead of filling memory.
func readSmallFile(_ path: String, limit: Int, what: String) throws -> Data {
    var info = stat()
    guard stat(path, &info) == 0, (info.st_mode & S_IFMT) != S_IFDIR,
          let handle = FileHandle(forReadingAtPath: path) else {
        throw ConversionError("cannot read the \(what) \(path) (missing, unreadable or a directory)")
    }
    defer { try? handle.close() }
    guard let data = try? handle.read(upToCount: limit + 1) ?? Data() else {
        throw ConversionError("cannot read the \(what) \(path)")
    }
    guard data.count <= limit else { throw ConversionError("the \(what) \(path) is over \(limit) bytes") }
    return data
}

/// `data` checked as strict JSON (duplicate keys, trailing data and bad escapes refused, with the byte offset) before
/// a decoder that would quietly accept them sees it.
func strictJSON(_ data: Data, what: String, path: String) throws -> Data {
    do {
        try StrictJSON.validate([UInt8](data))
    } catch {
        throw ConversionError("the \(what) \(path) is not strict JSON: \(error)")
    }
    return data
}
