extension NearestKronecker {
    /// Guards against an out-of-bounds read in OpenBLAS 0.3.21 (the version in Debian bookworm's
    /// libopenblas0-pthread): its Haswell `zgemv_n`/`zgemv_r` kernels load one element past the end of the vector x
    /// whenever the row count is ≡ 2 (mod 4). The stray value is never used (results are bit-identical whatever it
    /// holds), but when x ends at a page boundary the process dies with SIGSEGV — seen here intermittently inside
    /// `zgesvd` (→ zungbr → zunglq → zlarf → zgemv_n_HASWELL). Public reports: OpenMathLib/OpenBLAS issues #4013 and
    /// #5000 (the latter inside `cgesvd` on bookworm).
    ///
    /// Measured on this machine with guard pages after every array (C probes, m, n ≤ 34–120): the reachable zgemv
    /// variants are exactly column-major no-transpose and row-major (conjugate-)transpose, the over-read is one
    /// element at x + n·incx, and `zgesvd`, `zgesvdx` and `zheevr` fault for most sizes unless each complex array has
    /// one spare column after it — with which no size faulted. Real (`d…`) routines, `zgemm` and `zherk` never
    /// faulted. Hence: complex `gemv` passes such x through a padded copy, and complex LAPACK runs column-major
    /// `_work` routines on copies with one spare column plus a few elements after every complex array.
    enum OpenBLASWorkaround {
        /// Spare elements after a unit-stride vector handed to zgemv (one is read; a few more cost nothing).
        static let vectorPadding = 4

        /// `count` copies of `value` followed by a spare column of `leading` elements plus ``vectorPadding``.
        static func paddedArray<S>(_ value: S, count: Int, leading: Int) -> [S] {
            [S](repeating: value, count: count + leading + vectorPadding)
        }

        /// A column-major copy (leading dimension `rows`) of a row-major rows × columns matrix, padded.
        static func columnMajorCopy<S: Scalar>(_ a: UnsafePointer<S>, rows: Int, columns: Int) -> [S] {
            var copy = paddedArray(S.zero, count: rows * columns, leading: rows)
            for i in 0..<rows { for j in 0..<columns { copy[i + j * rows] = a[i * columns + j] } }
            return copy
        }

        /// The row-major rows × columns matrix held column-major with leading dimension `leading` in `a`.
        static func rowMajor<S: Scalar>(_ a: [S], rows: Int, columns: Int, leading: Int) -> [S] {
            var result = [S](repeating: .zero, count: rows * columns)
            for i in 0..<rows { for j in 0..<columns { result[i * columns + j] = a[i + j * leading] } }
            return result
        }
    }
}
