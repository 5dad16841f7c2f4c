extension SIMD8 {
    /// Eight scalars from `pointer` (no alignment needed).
    static func load(_ pointer: UnsafePointer<Scalar>) -> Self {
        UnsafeRawPointer(pointer).loadUnaligned(as: Self.self)
    }

    /// Writes the eight scalars to `pointer` (no alignment needed).
    func store(to pointer: UnsafeMutablePointer<Scalar>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: self, as: Self.self)
    }
}
