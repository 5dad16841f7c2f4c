/// Loads a layer's recurrent blocks (spec/MODEL.md §3).
extension WeightLoader {
    mutating func recurrentBlocks(layer l: Int, _ layer: ModelDescription.Layer) throws -> [RecurrentBlock] {
        let n = layer.hiddenSize
        let gates = layer.cell.gateCount
        let complex = layer.cell == .kru
        switch layer.recurrent {
        case .dense:
            let name = ModelTensorName.recurrentWeight(layer: l)
            if complex {
                let m = try complexMatrix(name, rows: gates * n, columns: n)
                return [.complexDense(m)]  // kru cells have one block.
            }
            let m = try matrix(name, rows: gates * n, columns: n)
            return (0..<gates).map { .realDense(m.rowBlock($0 * n, count: n)) }
        case .kronecker(let rank, let factorCount):
            return try (0..<gates).map { g in
                let terms = (0..<rank).map { t in
                    (0..<factorCount).map { f in ModelTensorName.recurrentFactor(layer: l, gate: g, term: t, factor: f) }
                }
                for (t, names) in terms.enumerated() {
                    let shapes = try names.map { try matrixShape($0) }
                    let rows = shapes.reduce(1) { $0 * $1.rows }, columns = shapes.reduce(1) { $0 * $1.columns }
                    guard rows == n && columns == n else {
                        throw ModelSchemaError("layer \(l) gate \(g) term \(t): factors multiply to \(rows)×\(columns), not \(n)×\(n)")
                    }
                }
                if complex {
                    return .complexKronecker(try terms.map { names in
                        try ComplexKroneckerOperator(factors: names.map { name in
                            let (r, c) = try matrixShape(name)
                            let (re, im) = try self.complex(name, shape: [r, c])
                            return ComplexKroneckerFactor(rows: r, columns: c, real: re, imaginary: im)
                        })
                    })
                }
                return .realKronecker(try terms.map { names in
                    try RealKroneckerOperator(factors: names.map { name in
                        let (r, c) = try matrixShape(name)
                        return RealKroneckerFactor(rows: r, columns: c, values: try real(name, shape: [r, c]))
                    })
                })
            }
        }
    }
}
