/// What the tensors of one checkpoint may materialise, shared by all of them (docs/MEMORY.md).
///
/// Decoding a tensor costs memory in proportion to its element count, which a view can make far larger than the
/// data the file holds: `torch.zeros(1).expand(2**30)` is one stored element and 2^30 decoded ones, and 2,000
/// names over one 4 MB storage are 8 GB if each is decoded. So the elements decoded so far may not exceed
/// max(``CheckpointLimits/materializedElementsFloor``, ``CheckpointLimits/materializedElementsPerStoredElement`` ×
/// the elements of the distinct storages they came from), each storage counted once, and their decoded bytes stay
/// under ``CheckpointLimits/maxTotalTensorBytes``. Ordinary checkpoints (each tensor its own storage, tied weights,
/// a flat parameter buffer split into views) stay far inside.
final class MaterializationBudget: Sendable {
    private struct Totals {
        var storages = Set<String>()
        var storedElements: UInt64 = 0
        var decodedElements: UInt64 = 0
        var decodedBytes: UInt64 = 0
    }

    private let limits: CheckpointLimits
    private let totals = Locked(Totals())

    init(limits: CheckpointLimits) { self.limits = limits }

    /// Admits decoding `elements` elements of `dtype` from `storage` (which holds `storageElements` elements),
    /// or throws ``CheckpointLimit/materializedElements`` / ``CheckpointLimit/totalTensorBytes``.
    func admit(elements: Int, dtype: CheckpointDType, storage: String, storageElements: Int, name: String,
               context: CheckpointContext) throws {
        try totals.withLock { totals in
            var next = totals
            if next.storages.insert(storage).inserted { next.storedElements += UInt64(storageElements) }
            next.decodedElements += UInt64(elements)
            let (scaled, overflow) = next.storedElements
                .multipliedReportingOverflow(by: limits.materializedElementsPerStoredElement)
            let allowed = overflow ? UInt64.max : max(limits.materializedElementsFloor, scaled)
            guard next.decodedElements <= allowed else {
                throw context.limit(.materializedElements, at: nil,
                                    "decoding \(quotedForMessage(name)) (\(elements) elements, a view of a "
                                        + "\(storageElements)-element storage) would bring the elements decoded from "
                                        + "this checkpoint to \(next.decodedElements); its storages hold "
                                        + "\(next.storedElements), which allows \(allowed)")
            }
            // Decoded size: Float for the 32/16-bit floating types, 8 bytes for everything else.
            let width: UInt64 = dtype == .float64 || !dtype.isFloatingPoint ? 8 : 4
            next.decodedBytes += UInt64(elements) * width  // elements ≤ 2^32 each, counts far from overflow
            guard next.decodedBytes <= limits.maxTotalTensorBytes else {
                throw context.limit(.totalTensorBytes, at: nil, "tensor \(quotedForMessage(name)) would bring the "
                                        + "decoded total past \(limits.maxTotalTensorBytes) bytes")
            }
            totals = next
        }
    }
}
