/// Float storage allocated once and freed with its owner. The timed loops work on raw buffers rather than
/// arrays so that nothing in them can trigger copy-on-write, exclusivity bookkeeping or a reallocation.
final class FloatBuffer {
    let pointer: UnsafeMutableBufferPointer<Float>

    init(count: Int) {
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0)
    }

    convenience init(_ values: [Float]) {
        self.init(count: values.count)
        _ = pointer.update(fromContentsOf: values)
    }

    deinit { pointer.deallocate() }

    var base: UnsafeMutablePointer<Float> { pointer.baseAddress! }
    var readOnly: UnsafeBufferPointer<Float> { UnsafeBufferPointer(pointer) }
}
