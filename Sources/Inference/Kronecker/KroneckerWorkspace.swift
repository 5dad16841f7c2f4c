/// Preallocated scratch for applying Kronecker operators without touching the heap.
///
/// A chain of F mode products needs somewhere to put F − 1 intermediate vectors; they ping-pong between
/// two buffers held here. A real operator uses two `Float` planes, a complex operator four (real and
/// imaginary plane of each buffer). Each plane holds ``elementsPerPlane`` floats, enough for any batch
/// with `batchSize × scratchElementsPerVector ≤ elementsPerPlane`, so one workspace can serve several
/// operators (a cell's forward and adjoint passes, or operators of different shapes).
///
/// The workspace is mutable memory reused by every call, so it belongs to one session (one thread of
/// work) at a time and is deliberately not `Sendable`. Operators themselves are immutable and `Sendable`:
/// many sessions may share one operator, each with its own workspace.
public final class KroneckerWorkspace {
    /// The largest batch this workspace was sized for by its creator.
    public let maxBatchSize: Int
    /// Floats in each scratch plane.
    public let elementsPerPlane: Int
    /// Whether the workspace has the four planes a complex operator needs (a real operator uses two).
    public let isComplex: Bool

    private let storage: UnsafeMutablePointer<Float>

    /// Allocates scratch for batches of up to `maxBatchSize` vectors of an operator that needs
    /// `scratchElementsPerVector` per vector (read it from the operator, taking the maximum over all
    /// operators this workspace will serve).
    ///
    /// - Throws: ``KroneckerOperatorError/invalidBatchSize(_:)`` if `maxBatchSize < 1`,
    ///   ``KroneckerOperatorError/workspaceTooLarge(batchSize:elementsPerVector:limit:)`` above
    ///   ``KroneckerLimits/maxWorkspaceElements``.
    public init(maxBatchSize: Int, scratchElementsPerVector: Int, isComplex: Bool) throws(KroneckerOperatorError) {
        guard maxBatchSize >= 1 else { throw .invalidBatchSize(maxBatchSize) }
        let perVector = max(1, scratchElementsPerVector)
        let (elements, overflow) = maxBatchSize.multipliedReportingOverflow(by: perVector)
        guard !overflow, elements <= KroneckerLimits.maxWorkspaceElements else {
            throw .workspaceTooLarge(
                batchSize: maxBatchSize, elementsPerVector: perVector, limit: KroneckerLimits.maxWorkspaceElements)
        }
        self.maxBatchSize = maxBatchSize
        self.elementsPerPlane = elements
        self.isComplex = isComplex
        let planes = isComplex ? 4 : 2
        storage = .allocate(capacity: planes * elements)
        // Zeroed once so the memory is never read uninitialised, even by a debugger or a sanitiser.
        storage.initialize(repeating: 0, count: planes * elements)
    }

    deinit { storage.deallocate() }

    /// Plane `index` (0…1 real, 0…3 complex). Complex layout: 0 = ping real, 1 = ping imaginary,
    /// 2 = pong real, 3 = pong imaginary.
    func plane(_ index: Int) -> UnsafeMutablePointer<Float> {
        storage + index * elementsPerPlane
    }
}

// Stated explicitly: sharing one workspace between concurrent applies would corrupt both results.
@available(*, unavailable)
extension KroneckerWorkspace: Sendable {}
