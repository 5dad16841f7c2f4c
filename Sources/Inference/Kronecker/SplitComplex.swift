/// Read-only split complex data: element k is `real[k] + i · imaginary[k]`.
struct SplitComplexSource {
    var real: UnsafePointer<Float>
    var imaginary: UnsafePointer<Float>
}

/// Writable split complex data: element k is `real[k] + i · imaginary[k]`.
struct SplitComplexDestination {
    var real: UnsafeMutablePointer<Float>
    var imaginary: UnsafeMutablePointer<Float>
}
