/// The structure memory one checkpoint file may use: the pickles it holds (at their inflated size), the objects
/// they build and the values kept from them. The limit scales with the file, max(``CheckpointLimits/memoryFloorBytes``,
/// ``CheckpointLimits/memoryBytesPerFileByte`` × its size), so a small file cannot unpack into gigabytes
/// (docs/MEMORY.md). Charges are estimates of live bytes, made before the memory is allocated.
struct MemoryBudget {
    let limit: UInt64
    let fileSize: UInt64
    private(set) var used: UInt64 = 0

    init(limits: CheckpointLimits, fileSize: UInt64) {
        self.limit = limits.memoryBudget(fileSize: fileSize)
        self.fileSize = fileSize
    }

    /// Whether `bytes` more fit; charges them if so.
    mutating func tryCharge(_ bytes: UInt64) -> Bool {
        let (total, overflow) = used.addingReportingOverflow(bytes)
        guard !overflow, total <= limit else { return false }
        used = total
        return true
    }

    /// Charges `bytes` for `what`, or throws ``CheckpointLimit/memoryBudget``.
    mutating func charge(_ bytes: UInt64, for what: @autoclosure () -> String, context: CheckpointContext,
                         at offset: UInt64?) throws {
        guard tryCharge(bytes) else { throw exceeded(by: what(), context: context, at: offset) }
    }

    /// The error for `what` not fitting.
    func exceeded(by what: String, context: CheckpointContext, at offset: UInt64?) -> CheckpointError {
        context.limit(.memoryBudget, at: offset,
                      "\(what) would take this file's structures past its memory budget of \(limit) bytes (the "
                          + "larger of a fixed floor and a multiple of its \(fileSize) bytes; see docs/MEMORY.md)")
    }
}
