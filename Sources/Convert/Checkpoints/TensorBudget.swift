/// Running totals over one checkpoint, checked before each tensor's values are allocated.
struct TensorBudget {
    let limits: CheckpointLimits
    private(set) var tensors = 0
    private(set) var bytes: UInt64 = 0

    init(limits: CheckpointLimits) { self.limits = limits }

    /// Admits one more tensor of `elements` elements decoded from `dtype`.
    mutating func admit(elements: Int, dtype: CheckpointDType, name: String, context: CheckpointContext) throws {
        guard tensors < limits.maxTensorCount else {
            throw context.limit(.tensorCount, at: nil, "more than \(limits.maxTensorCount) tensors")
        }
        // Decoded size: Float for the 32/16-bit floating types, 8 bytes for everything else.
        let width: UInt64 = dtype == .float64 || !dtype.isFloatingPoint ? 8 : 4
        let (size, overflow) = UInt64(elements).multipliedReportingOverflow(by: width)
        guard !overflow, size <= limits.maxTotalTensorBytes - bytes else {
            throw context.limit(.totalTensorBytes, at: nil,
                                "tensor \(quotedForMessage(name)) would bring the decoded total past \(limits.maxTotalTensorBytes) bytes")
        }
        tensors += 1
        bytes += size
    }
}
