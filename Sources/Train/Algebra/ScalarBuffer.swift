/// A zero-filled heap buffer of `Double`s or `Float`s with a stable address, freed with the object.
///
/// The passes hand raw pointers into these buffers to worker threads, each writing a disjoint range; a Swift
/// array could not be shared that way (copy-on-write and exclusivity checks would get in the way).
final class ScalarBuffer<Scalar: BinaryFloatingPoint>: @unchecked Sendable {
    let count: Int
    let base: UnsafeMutablePointer<Scalar>

    init(count: Int) {
        self.count = count
        base = .allocate(capacity: max(count, 1))
        base.initialize(repeating: 0, count: max(count, 1))
    }

    convenience init(_ values: [Scalar]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { base.update(from: $0.baseAddress!, count: values.count) }
    }

    deinit { base.deallocate() }

    func zero() { base.update(repeating: 0, count: count) }
    var array: [Scalar] { Array(UnsafeBufferPointer(start: base, count: count)) }
    subscript(i: Int) -> Scalar {
        get { base[i] }
        set { base[i] = newValue }
    }
}

/// The Double path's buffers (the reference the single-precision path is checked against).
typealias DoubleBuffer = ScalarBuffer<Double>
/// The single-precision path's buffers.
typealias FloatBuffer = ScalarBuffer<Float>

/// A complex array held as two planes of equal length (element k = re[k] + i·im[k]).
struct SplitPlanes<Scalar: BinaryFloatingPoint>: @unchecked Sendable {
    let re: ScalarBuffer<Scalar>
    let im: ScalarBuffer<Scalar>

    init(count: Int) {
        re = ScalarBuffer(count: count)
        im = ScalarBuffer(count: count)
    }

    init(re: ScalarBuffer<Scalar>, im: ScalarBuffer<Scalar>) {
        precondition(re.count == im.count, "the planes differ in length")
        self.re = re
        self.im = im
    }

    var count: Int { re.count }
    /// Pointers to the planes, advanced by `offset` elements.
    func pointer(at offset: Int = 0) -> SplitPlanesPointer<Scalar> {
        SplitPlanesPointer(re: re.base + offset, im: im.base + offset)
    }
    func zero() {
        re.zero()
        im.zero()
    }
}

typealias SplitBuffer = SplitPlanes<Double>

/// Pointers to the real and imaginary planes of a complex vector (or batch of vectors).
struct SplitPlanesPointer<Scalar: BinaryFloatingPoint>: @unchecked Sendable {
    var re: UnsafeMutablePointer<Scalar>
    var im: UnsafeMutablePointer<Scalar>

    func advanced(by n: Int) -> SplitPlanesPointer { SplitPlanesPointer(re: re + n, im: im + n) }
}

typealias SplitPointer = SplitPlanesPointer<Double>
