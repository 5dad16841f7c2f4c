/// A 64-bit FNV-1a hash over the bit patterns of a model's weights, in a fixed order. It tells models apart for
/// saved session states; it is a check against mistakes, not a cryptographic digest.
enum WeightFingerprint {
    static func of(embedding: DenseMatrix?, layers: [LayerWeights], readout: DenseMatrix, bias: [Float]) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        func add(_ values: [Float]) {
            for value in values {
                hash = (hash ^ UInt64(value.bitPattern)) &* 0x0000_0100_0000_01B3
            }
        }
        add(embedding?.values ?? [])
        for layer in layers {
            switch layer {
            case .kru(let w):
                [w.input.real.values, w.input.imaginary.values, w.biasReal, w.biasImaginary, w.modReLUBias ?? []]
                    .forEach(add)
            case .real(let w):
                [w.input.values, w.inputBias ?? [], w.recurrentBias ?? []].forEach(add)
            }
            switch layer.recurrence {
            case .dense(let m): add(m.values)
            case .sixteenBitDense(let m): add(m.widened().values)  // as when it was widened at load
            case .complexDense(let m): add(m.real.values); add(m.imaginary.values)
            case .kronecker(let gates): gates.operators.joined().forEach { $0.factors.forEach { add($0.values) } }
            case .complexKronecker(let terms): terms.forEach { $0.factors.forEach { add($0.real); add($0.imaginary) } }
            }
        }
        add(readout.values)
        add(bias)
        return hash
    }
}
