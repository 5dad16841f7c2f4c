/// One real factor W_f of a Kronecker operator: a `rows × columns` (P_f × Q_f) matrix.
///
/// `values` is row-major: `values[p * columns + q] = W_f[p, q]`. The initializer only stores; the shape
/// and the value count are checked when an operator is built from the factor, so the error can name the
/// factor's position.
public struct RealKroneckerFactor: Sendable, Hashable {
    /// P_f, the factor's row count; it contributes a digit of the output index.
    public var rows: Int
    /// Q_f, the factor's column count; it contributes a digit of the input index.
    public var columns: Int
    /// The `rows × columns` entries in row-major order.
    public var values: [Float]

    public init(rows: Int, columns: Int, values: [Float]) {
        self.rows = rows
        self.columns = columns
        self.values = values
    }
}

/// One complex factor W_f of a Kronecker operator: a `rows × columns` (P_f × Q_f) matrix held as two
/// split planes.
///
/// `real[p * columns + q] + i · imaginary[p * columns + q] = W_f[p, q]` (row-major). Split planes rather
/// than interleaved (re, im) pairs because the kernels then run four real AXPYs on contiguous runs, which
/// vectorise; convert from the container's interleaved complex64 once at load time.
public struct ComplexKroneckerFactor: Sendable, Hashable {
    /// P_f, the factor's row count; it contributes a digit of the output index.
    public var rows: Int
    /// Q_f, the factor's column count; it contributes a digit of the input index.
    public var columns: Int
    /// Real parts of the `rows × columns` entries, row-major.
    public var real: [Float]
    /// Imaginary parts of the `rows × columns` entries, row-major.
    public var imaginary: [Float]

    public init(rows: Int, columns: Int, real: [Float], imaginary: [Float]) {
        self.rows = rows
        self.columns = columns
        self.real = real
        self.imaginary = imaginary
    }
}
