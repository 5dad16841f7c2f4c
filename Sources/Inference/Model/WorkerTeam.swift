import CInferenceKernels

/// Threads that share a session's large dense products: the rows of each product are split between the session's
/// own thread and its helpers (`kru_dense_multiply_shared`). Every row is computed by the kernel that computes it
/// without a team, so a session's results do not depend on its thread count. The team is adaptive: where sharing
/// does not pay (other processes hold the cores), it works on the session's thread alone until it tries again.
///
/// Only products large enough to repay the hand-over use the team: at batch 1, kjv-lstm512's 2048 × 512 recurrent
/// matrix (about 50 µs alone) does, its 2048 × 32 input matrix (about 2 µs) does not.
final class WorkerTeam {
    /// Products of fewer multiply-adds (rows × columns × streams) run on the session's thread alone.
    static let minimumSharedMultiplyAdds = 1 << 18

    private let team: OpaquePointer
    /// The threads in the team, the caller included.
    let threadCount: Int

    /// A team of `threads` threads (the caller included), or nil when `threads` < 2 or the threads cannot be started.
    /// A team that is not `adaptive` shares every product (tests use it to be sure the shared path runs).
    init?(threads: Int, adaptive: Bool = true) {
        let members = Int32(min(threads, Int(KRU_WORKER_TEAM_MAX_MEMBERS)))
        guard threads >= 2, let team = kru_worker_team_create(members, adaptive ? 1 : 0) else { return nil }
        self.team = team
        threadCount = Int(kru_worker_team_members(team))
    }

    deinit { kru_worker_team_destroy(team) }

    /// Whether a product of `multiplyAdds` (rows × columns × streams) is shared rather than run on the calling
    /// thread.
    static func shares(multiplyAdds: Int) -> Bool { multiplyAdds >= minimumSharedMultiplyAdds }

    /// `kru_dense_multiply_shared` on this team.
    func multiply(
        weightKind: Int32, rows: Int, columns: Int, weights: UnsafeRawPointer, batch: Int, x: UnsafePointer<Float>,
        xStride: Int, y: UnsafeMutablePointer<Float>, yStride: Int, accumulate: Bool, variant: KernelVariant
    ) {
        kru_dense_multiply_shared(team, variant.rawValue, weightKind, rows, columns, weights, batch, x, xStride, y,
                                  yStride, accumulate ? 1 : 0)
    }
}
