extension NearestKronecker {
    /// A dense row-major matrix: `elements[i * columns + j]` is entry (i, j).
    ///
    /// Used both for the input A and for the returned factors. The initializer only stores; `factorize`
    /// checks that `elements.count == rows * columns` and throws if not.
    public struct Matrix<Element: Sendable>: Sendable {
        public var rows: Int
        public var columns: Int
        public var elements: [Element]

        public init(rows: Int, columns: Int, elements: [Element]) {
            self.rows = rows
            self.columns = columns
            self.elements = elements
        }

        /// Entry (row, column).
        public subscript(row: Int, column: Int) -> Element {
            get { elements[row * columns + column] }
            set { elements[row * columns + column] = newValue }
        }
    }
}

extension NearestKronecker.Matrix: Equatable where Element: Equatable {}
extension NearestKronecker.Matrix: Hashable where Element: Hashable {}

extension NearestKronecker.Matrix where Element == NearestKronecker.Complex {
    /// A complex matrix from interleaved storage: entry (i, j) is
    /// `interleaved[2(i·columns + j)] + i·interleaved[2(i·columns + j) + 1]` (the container's complex128 layout).
    /// - Throws: ``KroneckerFactorizationError/elementCountMismatch(expected:actual:)`` unless
    ///   `interleaved.count == 2 · rows · columns`.
    public init(rows: Int, columns: Int, interleaved: [Double]) throws(KroneckerFactorizationError) {
        let count = try Self.checkedCount(rows: rows, columns: columns)
        guard interleaved.count == 2 * count else {
            throw .elementCountMismatch(expected: 2 * count, actual: interleaved.count)
        }
        let elements = (0..<count).map { NearestKronecker.Complex(interleaved[2 * $0], interleaved[2 * $0 + 1]) }
        self.init(rows: rows, columns: columns, elements: elements)
    }

    /// A complex matrix from split planes: entry (i, j) is `real[i·columns + j] + i·imaginary[i·columns + j]`.
    /// - Throws: ``KroneckerFactorizationError/elementCountMismatch(expected:actual:)`` unless both planes hold
    ///   `rows · columns` values.
    public init(rows: Int, columns: Int, real: [Double], imaginary: [Double]) throws(KroneckerFactorizationError) {
        let count = try Self.checkedCount(rows: rows, columns: columns)
        guard real.count == count else { throw .elementCountMismatch(expected: count, actual: real.count) }
        guard imaginary.count == count else { throw .elementCountMismatch(expected: count, actual: imaginary.count) }
        let elements = (0..<count).map { NearestKronecker.Complex(real[$0], imaginary[$0]) }
        self.init(rows: rows, columns: columns, elements: elements)
    }

    /// The entries as interleaved (re, im) pairs, row-major.
    public var interleaved: [Double] { elements.flatMap { [$0.real, $0.imaginary] } }

    /// The real plane, row-major.
    public var realPart: [Double] { elements.map(\.real) }

    /// The imaginary plane, row-major.
    public var imaginaryPart: [Double] { elements.map(\.imaginary) }

    private static func checkedCount(rows: Int, columns: Int) throws(KroneckerFactorizationError) -> Int {
        guard rows >= 1, columns >= 1 else { throw .invalidMatrixSize(rows: rows, columns: columns) }
        let (count, overflow) = rows.multipliedReportingOverflow(by: columns)
        guard !overflow, count <= NearestKronecker.maxEntryCount else {
            throw .matrixTooLarge(entries: overflow ? Int.max : count, limit: NearestKronecker.maxEntryCount)
        }
        return count
    }
}
