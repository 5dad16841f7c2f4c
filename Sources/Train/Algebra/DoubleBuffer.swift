/// A zero-filled heap buffer of `Double`s with a stable address, freed with the object.
///
/// The passes hand raw pointers into these buffers to worker threads, each writing a disjoint range; a Swift
/// array could not be shared that way (copy-on-write and exclusivity checks would get in the way).
final class DoubleBuffer: @unchecked Sendable {
    let count: Int
    let base: UnsafeMutablePointer<Double>

    init(count: Int) {
        self.count = count
        base = .allocate(capacity: max(count, 1))
        base.initialize(repeating: 0, count: max(count, 1))
    }

    convenience init(_ values: [Double]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { base.update(from: $0.baseAddress!, count: values.count) }
    }

    deinit { base.deallocate() }

    func zero() { base.update(repeating: 0, count: count) }
    var array: [Double] { Array(UnsafeBufferPointer(start: base, count: count)) }
    subscript(i: Int) -> Double {
        get { base[i] }
        set { base[i] = newValue }
    }
}

/// A complex array held as two planes of equal length (element k = re[k] + i·im[k]).
struct SplitBuffer: @unchecked Sendable {
    let re: DoubleBuffer
    let im: DoubleBuffer

    init(count: Int) {
        re = DoubleBuffer(count: count)
        im = DoubleBuffer(count: count)
    }

    init(re: DoubleBuffer, im: DoubleBuffer) {
        precondition(re.count == im.count, "the planes differ in length")
        self.re = re
        self.im = im
    }

    var count: Int { re.count }
    /// Pointers to the planes, advanced by `offset` elements.
    func pointer(at offset: Int = 0) -> SplitPointer { SplitPointer(re: re.base + offset, im: im.base + offset) }
    func zero() {
        re.zero()
        im.zero()
    }
}

/// Pointers to the real and imaginary planes of a complex vector (or batch of vectors).
struct SplitPointer: @unchecked Sendable {
    var re: UnsafeMutablePointer<Double>
    var im: UnsafeMutablePointer<Double>

    func advanced(by n: Int) -> SplitPointer { SplitPointer(re: re + n, im: im + n) }
}
