/// Loads a layer's recurrent product (spec/MODEL.md §3).
extension WeightLoader {
    mutating func recurrence(layer l: Int, _ layer: ModelDescription.Layer) throws -> Recurrence {
        let n = layer.hiddenSize
        let gates = layer.cell.gateCount
        let complex = layer.cell == .kru
        switch layer.recurrent {
        case .dense:
            let name = ModelTensorName.recurrentWeight(layer: l)
            if complex { return .complexDense(try complexMatrix(name, rows: gates * n, columns: n)) }
            if let narrow = try sixteenBitMatrix(name, rows: gates * n, columns: n) { return .sixteenBitDense(narrow) }
            return .dense(try matrix(name, rows: gates * n, columns: n))
        case .kronecker(let rank, let factorCount):
            let names = (0..<gates).map { g in
                (0..<rank).map { t in
                    (0..<factorCount).map { f in
                        ModelTensorName.recurrentFactor(layer: l, gate: g, term: t, factor: f)
                    }
                }
            }
            for (g, terms) in names.enumerated() {
                for (t, term) in terms.enumerated() {
                    let shapes = try term.map { try matrixShape($0) }
                    let rows = shapes.reduce(1) { $0 * $1.rows }, columns = shapes.reduce(1) { $0 * $1.columns }
                    guard rows == n && columns == n else {
                        throw ModelSchemaError("layer \(l) gate \(g) term \(t): factors multiply to "
                                               + "\(rows)×\(columns), not \(n)×\(n)")
                    }
                }
            }
            if complex {
                return .complexKronecker(try names[0].map { term in
                    try ComplexKroneckerOperator(factors: term.map { name in
                        let (r, c) = try matrixShape(name)
                        let (re, im) = try self.complex(name, shape: [r, c])
                        return ComplexKroneckerFactor(rows: r, columns: c, real: re, imaginary: im)
                    })
                })
            }
            return .kronecker(KroneckerGates(try names.map { terms in
                try terms.map { term in
                    try RealKroneckerOperator(factors: term.map { name in
                        let (r, c) = try matrixShape(name)
                        return RealKroneckerFactor(rows: r, columns: c, values: try real(name, shape: [r, c]))
                    })
                }
            }))
        }
    }
}
