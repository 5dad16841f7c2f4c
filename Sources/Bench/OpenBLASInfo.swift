import CLAPACK

/// What the dense baseline runs on. Dense numbers mean little without it: OpenBLAS picks its kernels for
/// the CPU (core name) and spreads a product over its threads, while the Kronecker operator runs on one.
struct OpenBLASInfo: Codable {
    let threads: Int
    let processors: Int
    let config: String
    let coreName: String

    static func current() -> OpenBLASInfo {
        OpenBLASInfo(threads: Int(openblas_get_num_threads()), processors: Int(openblas_get_num_procs()),
                     config: String(cString: openblas_get_config()), coreName: String(cString: openblas_get_corename()))
    }
}

/// Runs `body` with OpenBLAS limited to `threads` threads, then restores the previous count.
func withOpenBLASThreads<T>(_ threads: Int, _ body: () -> T) -> T {
    let previous = openblas_get_num_threads()
    openblas_set_num_threads(Int32(threads))
    defer { openblas_set_num_threads(previous) }
    return body()
}
