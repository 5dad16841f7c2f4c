import KRUFormat

/// Fetches the tensors a model needs by name, checking shape and kind, and remembers which names were used
/// so that unexpected tensors can be refused (spec/MODEL.md §6: they would be silently ignored weights).
struct WeightLoader {
    let file: KRUFile
    private(set) var used = Set<String>()

    init(file: KRUFile) { self.file = file }

    func has(_ name: String) -> Bool { file.tensorInfo(named: name) != nil }

    private mutating func tensor(_ name: String, shape: [Int]?) throws -> KRUTensor {
        guard let info = file.tensorInfo(named: name) else { throw ModelSchemaError("tensor \(name) is missing") }
        if let shape, info.shape != shape {
            throw ModelSchemaError("tensor \(name) has shape \(info.shape), expected \(shape)")
        }
        used.insert(name)
        return try file.tensor(info)
    }

    /// A real tensor (f16, bf16, f32 or f64) as `Float`.
    mutating func real(_ name: String, shape: [Int]) throws -> [Float] {
        let t = try tensor(name, shape: shape)
        guard !t.dtype.isComplex, [.f16, .bf16, .f32, .f64].contains(t.dtype) else {
            throw ModelSchemaError("tensor \(name) is \(t.dtype); a real floating-point type is required")
        }
        return try t.floats()
    }

    mutating func matrix(_ name: String, rows: Int, columns: Int) throws -> DenseMatrix {
        DenseMatrix(rows: rows, columns: columns, values: try real(name, shape: [rows, columns]))
    }

    /// A real matrix stored as bf16 or f16, kept in that type (``SixteenBitMatrix``); nil when the file stores it
    /// in another type.
    mutating func sixteenBitMatrix(_ name: String, rows: Int, columns: Int) throws -> SixteenBitMatrix? {
        guard let dtype = file.tensorInfo(named: name)?.dtype, dtype == .bf16 || dtype == .f16 else { return nil }
        return SixteenBitMatrix(try tensor(name, shape: [rows, columns]), rows: rows, columns: columns)
    }

    /// A complex tensor (complex64 or complex128) as split `Float` planes.
    mutating func complex(_ name: String, shape: [Int]) throws -> (real: [Float], imaginary: [Float]) {
        let t = try tensor(name, shape: shape)
        guard t.dtype.isComplex else {
            throw ModelSchemaError("tensor \(name) is \(t.dtype); complex64 or complex128 is required")
        }
        return try t.complexFloats()
    }

    mutating func complexMatrix(_ name: String, rows: Int, columns: Int) throws -> ComplexDenseMatrix {
        let (re, im) = try complex(name, shape: [rows, columns])
        return ComplexDenseMatrix(real: DenseMatrix(rows: rows, columns: columns, values: re),
                                  imaginary: DenseMatrix(rows: rows, columns: columns, values: im))
    }

    /// The shape of a rank-2 tensor, for Kronecker factors whose shapes the file chooses.
    func matrixShape(_ name: String) throws -> (rows: Int, columns: Int) {
        guard let info = file.tensorInfo(named: name) else { throw ModelSchemaError("tensor \(name) is missing") }
        guard info.shape.count == 2, info.shape[0] >= 1, info.shape[1] >= 1 else {
            throw ModelSchemaError("tensor \(name) has shape \(info.shape); a Kronecker factor is a non-empty matrix")
        }
        return (info.shape[0], info.shape[1])
    }

    /// Refuses tensors the schema does not name.
    func checkNothingUnused() throws {
        let unused = file.tensors.map(\.name).filter { !used.contains($0) }
        guard unused.isEmpty else {
            throw ModelSchemaError("tensors not part of the model schema: \(unused.prefix(5).joined(separator: ", "))")
        }
    }
}
