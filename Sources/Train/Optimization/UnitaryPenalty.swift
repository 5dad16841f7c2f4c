/// The soft unitary constraint of the paper (eq. 7): R = Σ_f ‖W_fᴴW_f − I‖²_F over every Kronecker factor of every
/// layer (and every term), added to the loss as λ·R.
///
/// **Gradient.** With A = WᴴW − I (Hermitian) and dR = 2·Re tr(A·dA) = 2·Re tr(A·dWᴴ·W) + 2·Re tr(A·Wᴴ·dW)
/// = 4·Re tr(A·Wᴴ·dW), the module's convention (W̄ = ∂R/∂Re W + i·∂R/∂Im W, dR = Re Σ conj(W̄)·dW) gives
///
///     W̄ = 4·W·(WᴴW − I)
///
/// (derived in docs/KRONECKER.md, §11), confirmed by finite differences in the tests.
///
/// Real factors (of gated cells) are the same with zero imaginary parts: R penalises ‖WᵀW − I‖² and W̄ = 4·W·(WᵀW − I).
///
/// For a rectangular P × Q factor WᴴW is Q × Q of rank ≤ P, so with P < Q the penalty cannot reach 0 (the factor
/// can at best be a co-isometry); the paper's definition is kept as is.
///
/// Both entry points take `threads`: workers take blocks of factors, and the factors' terms are added in factor order,
/// so the results are the same, bit for bit, for every thread count.
public enum UnitaryPenalty {
    /// R for the network's current parameters (without the strength λ).
    public static func value(of network: KRUNetwork, threads: Int = 1) -> Double {
        network.parameters.withUnsafeBufferPointer { p in
            eachFactor(of: network, threads: threads) { tensor in
                tensor.isComplex ? squaredNorm(defect(p.baseAddress!, tensor))
                    : squaredNorm(realDefect(p.baseAddress!, tensor))
            }
        }
    }

    /// Adds λ·∂R/∂parameters to `gradient` (flat layout) and returns λ·R.
    @discardableResult
    public static func addGradient(of network: KRUNetwork, strength lambda: Double,
                                   to gradient: inout [Double], threads: Int = 1) -> Double {
        precondition(gradient.count == network.parameterCount, "the gradient does not fit the network")
        guard lambda != 0 else { return 0 }
        let total = network.parameters.withUnsafeBufferPointer { p in
            gradient.withUnsafeMutableBufferPointer { g in
                let (w, g) = (p.baseAddress!, g.baseAddress!)
                return eachFactor(of: network, threads: threads) { tensor in
                    tensor.isComplex ? addComplexGradient(w, tensor, strength: lambda, to: g)
                        : addRealGradient(w, tensor, strength: lambda, to: g)
                }
            }
        }
        return lambda * total
    }

    /// Σ over the network's Kronecker factors of `term(factor)`, the factors shared among `threads` workers (each
    /// writes only its own factors' gradient entries) and their terms added in factor order.
    private static func eachFactor(of network: KRUNetwork, threads: Int,
                                   _ term: (ParameterTensor) -> Double) -> Double {
        let tensors = factorTensors(network)
        var terms = [Double](repeating: 0, count: tensors.count)
        terms.withUnsafeMutableBufferPointer { terms in
            BatchPartition(batchSize: tensors.count, workers: threads).run { _, block in
                for i in block { terms[i] = term(tensors[i]) }
            }
        }
        return terms.reduce(0, +)
    }

    /// The complex case of ``addGradient(of:strength:to:threads:)`` for one factor: adds λ·4·W·A (P × Q times
    /// Q × Q) and returns R's term.
    private static func addComplexGradient(_ w: UnsafePointer<Double>, _ tensor: ParameterTensor,
                                           strength lambda: Double,
                                           to gradient: UnsafeMutablePointer<Double>) -> Double {
        let (rows, columns) = (tensor.shape[0], tensor.shape[1])
        let a = defect(w, tensor)
        for p in 0..<rows {
            for q in 0..<columns {
                var sr = 0.0, si = 0.0
                for j in 0..<columns {
                    let (wr, wi) = (w[tensor.realOffset + p * columns + j], w[tensor.imaginaryOffset + p * columns + j])
                    let (ar, ai) = (a.re[j * columns + q], a.im[j * columns + q])
                    sr += wr * ar - wi * ai
                    si += wr * ai + wi * ar
                }
                gradient[tensor.realOffset + p * columns + q] += lambda * 4 * sr
                gradient[tensor.imaginaryOffset + p * columns + q] += lambda * 4 * si
            }
        }
        return squaredNorm(a)
    }

    private static func factorTensors(_ network: KRUNetwork) -> [ParameterTensor] {
        network.layout.tensors.filter { if case .recurrentFactor = $0.role { true } else { false } }
    }

    /// A = WᴴW − I for a complex factor (Q × Q, split planes).
    private static func defect(_ w: UnsafePointer<Double>, _ tensor: ParameterTensor) -> (re: [Double], im: [Double]) {
        let (rows, columns) = (tensor.shape[0], tensor.shape[1])
        var re = [Double](repeating: 0, count: columns * columns), im = re
        for i in 0..<columns {
            for j in 0..<columns {
                // (WᴴW)[i, j] = Σ_p conj(W[p, i])·W[p, j]
                var sr = 0.0, si = 0.0
                for p in 0..<rows {
                    let (ar, ai) = (w[tensor.realOffset + p * columns + i], w[tensor.imaginaryOffset + p * columns + i])
                    let (br, bi) = (w[tensor.realOffset + p * columns + j], w[tensor.imaginaryOffset + p * columns + j])
                    sr += ar * br + ai * bi
                    si += ar * bi - ai * br
                }
                re[i * columns + j] = sr - (i == j ? 1 : 0)
                im[i * columns + j] = si
            }
        }
        return (re, im)
    }

    /// A = WᵀW − I for a real factor (Q × Q, symmetric): the sums of ``defect(_:_:)`` in the same order, without
    /// its imaginary terms (exact zeros for a real factor, so the results are bit for bit what it would give); each
    /// off-diagonal sum is formed once and mirrored. Gated cells have many real factors, and the general form costs
    /// more than the rest of a Kronecker LSTM's update outside the passes.
    private static func realDefect(_ w: UnsafePointer<Double>, _ tensor: ParameterTensor) -> [Double] {
        let (rows, columns) = (tensor.shape[0], tensor.shape[1]), entries = w + tensor.realOffset
        var a = [Double](repeating: 0, count: columns * columns)
        a.withUnsafeMutableBufferPointer { a in
            for i in 0..<columns {
                for j in i..<columns {
                    var sum = 0.0
                    for p in 0..<rows { sum += entries[p * columns + i] * entries[p * columns + j] }
                    a[i * columns + j] = sum - (i == j ? 1 : 0)
                    a[j * columns + i] = a[i * columns + j]
                }
            }
        }
        return a
    }

    /// The real-factor case of ``addGradient(of:strength:to:threads:)`` for one factor: adds λ·4·W·A and returns
    /// R's term. Row p of W·A is accumulated over j in the order the complex loop uses, vectorised over q.
    private static func addRealGradient(_ w: UnsafePointer<Double>, _ tensor: ParameterTensor, strength lambda: Double,
                                        to gradient: UnsafeMutablePointer<Double>) -> Double {
        let (rows, columns) = (tensor.shape[0], tensor.shape[1]), entries = w + tensor.realOffset
        let a = realDefect(w, tensor)
        var row = [Double](repeating: 0, count: columns)
        a.withUnsafeBufferPointer { a in
            row.withUnsafeMutableBufferPointer { row in
                for p in 0..<rows {
                    for q in 0..<columns { row[q] = 0 }
                    for j in 0..<columns {
                        let weight = entries[p * columns + j], defectRow = a.baseAddress! + j * columns
                        for q in 0..<columns { row[q] += weight * defectRow[q] }
                    }
                    let target = gradient + tensor.realOffset + p * columns
                    for q in 0..<columns { target[q] += lambda * 4 * row[q] }
                }
            }
        }
        return squaredNorm(a)
    }

    /// ‖A‖²_F, R's term for one factor.
    private static func squaredNorm(_ a: [Double]) -> Double { a.reduce(0) { $0 + $1 * $1 } }

    private static func squaredNorm(_ a: (re: [Double], im: [Double])) -> Double {
        zip(a.re, a.im).reduce(0) { $0 + $1.0 * $1.0 + $1.1 * $1.1 }
    }
}
