import CLAPACK
import Testing

/// LAPACK and CBLAS link and compute: the top singular value of a known matrix and a dot product.
struct LinkTests {
    @Test func lapackSingularValuesOfKnownMatrix() {
        // [[3, 0], [4, 5]] has singular values sqrt(45) and sqrt(5) (AᵀA has eigenvalues 45 and 5).
        var a: [Double] = [3, 0, 4, 5]
        var s = [Double](repeating: 0, count: 2)
        var superb = [Double](repeating: 0, count: 1)
        let info = LAPACKE_dgesvd(LAPACK_ROW_MAJOR, 78, 78, 2, 2, &a, 2, &s, nil, 1, nil, 1, &superb)  // 'N', 'N'
        #expect(info == 0)
        #expect(abs(s[0] - 45.0.squareRoot()) < 1e-12)
        #expect(abs(s[1] - 5.0.squareRoot()) < 1e-12)
    }

    @Test func cblasDotProduct() {
        let x: [Double] = [1, 2, 3], y: [Double] = [4, -5, 6]
        #expect(cblas_ddot(3, x, 1, y, 1) == 12)
    }
}
