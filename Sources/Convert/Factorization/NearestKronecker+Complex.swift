extension NearestKronecker {
    /// A complex number in Double precision, stored as (real, imaginary).
    ///
    /// An array of these is laid out as interleaved (re, im) Doubles — the layout of complex128 in the `.kru`
    /// container and of `lapack_complex_double` — so buffers go to LAPACK without copying. (Swift lays out the
    /// two stored Doubles of a frozen-shape struct in declaration order; ``layoutIsInterleaved`` checks it.)
    public struct Complex: Hashable, Sendable, CustomStringConvertible {
        public var real: Double
        public var imaginary: Double

        public init(_ real: Double, _ imaginary: Double = 0) {
            self.real = real
            self.imaginary = imaginary
        }

        public static var zero: Complex { Complex(0, 0) }

        /// The complex conjugate real − i·imaginary.
        public var conjugate: Complex { Complex(real, -imaginary) }

        /// |z|², without a square root.
        public var squaredMagnitude: Double { real * real + imaginary * imaginary }

        /// |z|.
        public var magnitude: Double { squaredMagnitude.squareRoot() }

        public static func + (lhs: Complex, rhs: Complex) -> Complex {
            Complex(lhs.real + rhs.real, lhs.imaginary + rhs.imaginary)
        }

        public static func - (lhs: Complex, rhs: Complex) -> Complex {
            Complex(lhs.real - rhs.real, lhs.imaginary - rhs.imaginary)
        }

        public static func * (lhs: Complex, rhs: Complex) -> Complex {
            Complex(
                lhs.real * rhs.real - lhs.imaginary * rhs.imaginary,
                lhs.real * rhs.imaginary + lhs.imaginary * rhs.real)
        }

        public static prefix func - (operand: Complex) -> Complex { Complex(-operand.real, -operand.imaginary) }

        public var description: String {
            imaginary < 0 ? "\(real)-\(-imaginary)i" : "\(real)+\(imaginary)i"
        }

        /// True when an array of ``Complex`` is interleaved (re, im) Double storage, as LAPACK expects.
        static let layoutIsInterleaved: Bool =
            MemoryLayout<Complex>.size == 16 && MemoryLayout<Complex>.stride == 16
            && MemoryLayout<Complex>.offset(of: \.real) == 0 && MemoryLayout<Complex>.offset(of: \.imaginary) == 8
    }
}
