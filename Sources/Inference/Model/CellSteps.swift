import Foundation

/// What a layer reads at one step, for each stream of the batch: dense vectors (contiguous, `width` each) or
/// token ids applied as one-hot columns (never formed).
enum LayerInput {
    case vectors(UnsafeBufferPointer<Float>, width: Int)
    case oneHot(UnsafeBufferPointer<Int>)
}

/// Scratch shared by all layers of a session, sized for the widest layer and the batch, so a step allocates
/// nothing.
struct StepScratch {
    let fromInput: UnsafeMutableBufferPointer<Float>  // batch × G·N: W_ih x + b_ih (kru: Re of the pre-activation)
    let fromState: UnsafeMutableBufferPointer<Float>  // batch × G·N: R h + b_hh (kru: Im of the pre-activation)
    let termReal: UnsafeMutableBufferPointer<Float>  // batch × N: one Kronecker term's product
    let termImaginary: UnsafeMutableBufferPointer<Float>
    let workspace: KroneckerWorkspace
}

extension LayerInput {
    /// Adds W·x_b (or W's column for token b) to the `rows` values of `y` at `b·rows`, for every stream b.
    func multiplyAdd(_ matrix: DenseMatrix, batch: Int, into y: UnsafeMutableBufferPointer<Float>) {
        let rows = matrix.rows
        for b in 0..<batch {
            let target = UnsafeMutableBufferPointer(rebasing: y[b * rows..<(b + 1) * rows])
            switch self {
            case .oneHot(let tokens): matrix.addColumn(tokens[b], into: target)
            case .vectors(let x, let width):
                matrix.multiplyAdd(UnsafeBufferPointer(rebasing: x[b * width..<(b + 1) * width]), into: target)
            }
        }
    }
}

extension KRULayerWeights {
    /// One step for `batch` streams: `hr`, `hi` (batch × N, split planes) hold h and are replaced by the new
    /// state; `output` (batch × 2N) receives [Re h; Im h] per stream, the layer's output.
    func step(_ x: LayerInput, batch: Int, real hr: UnsafeMutableBufferPointer<Float>,
              imaginary hi: UnsafeMutableBufferPointer<Float>, output: UnsafeMutableBufferPointer<Float>,
              scratch: StepScratch) {
        let n = hiddenSize
        let zr = UnsafeMutableBufferPointer(rebasing: scratch.fromInput[0..<batch * n])
        let zi = UnsafeMutableBufferPointer(rebasing: scratch.fromState[0..<batch * n])
        for b in 0..<batch {
            for k in 0..<n {
                zr[b * n + k] = biasReal[k]
                zi[b * n + k] = biasImaginary[k]
            }
        }
        x.multiplyAdd(input.real, batch: batch, into: zr)
        x.multiplyAdd(input.imaginary, batch: batch, into: zi)
        recurrent.multiplyAdd(real: UnsafeBufferPointer(hr), imaginary: UnsafeBufferPointer(hi), batch: batch,
                              intoReal: zr, imaginary: zi, termReal: scratch.termReal,
                              termImaginary: scratch.termImaginary, workspace: scratch.workspace)
        for b in 0..<batch {
            for k in 0..<n {
                let (re, im) = activate(zr[b * n + k], zi[b * n + k], k)
                hr[b * n + k] = re
                hi[b * n + k] = im
                output[b * 2 * n + k] = re
                output[b * 2 * n + n + k] = im
            }
        }
    }

    private func activate(_ re: Float, _ im: Float, _ k: Int) -> (Float, Float) {
        switch activation {
        case .modReLU:
            let magnitude = (re * re + im * im).squareRoot()
            let shifted = magnitude + modReLUBias![k]
            guard shifted > 0, magnitude > 0 else { return (0, 0) }
            let scale = shifted / magnitude
            return (re * scale, im * scale)
        case .splitReLU:
            return (max(re, 0), max(im, 0))
        case .splitTanh:
            return (tanh(re), tanh(im))
        }
    }
}

extension RealLayerWeights {
    /// One step of RNN, LSTM or GRU for `batch` streams: `hidden` (batch × N) and, for LSTM, `cell`
    /// (batch × N) are replaced by the new state; `hidden` is also the layer's output.
    func step(_ x: LayerInput, batch: Int, hidden: UnsafeMutableBufferPointer<Float>,
              cell: UnsafeMutableBufferPointer<Float>, scratch: StepScratch) {
        let n = hiddenSize, rows = recurrent.count * n
        let gi = UnsafeMutableBufferPointer(rebasing: scratch.fromInput[0..<batch * rows])
        let gh = UnsafeMutableBufferPointer(rebasing: scratch.fromState[0..<batch * rows])
        for b in 0..<batch {
            for k in 0..<rows {
                gi[b * rows + k] = inputBias?[k] ?? 0
                gh[b * rows + k] = recurrentBias?[k] ?? 0
            }
        }
        x.multiplyAdd(input, batch: batch, into: gi)
        for (g, block) in recurrent.enumerated() {
            block.multiplyAdd(UnsafeBufferPointer(hidden), batch: batch, into: gh, stride: rows, offset: g * n,
                              term: scratch.termReal, workspace: scratch.workspace)
        }
        for b in 0..<batch {
            let i0 = b * rows, h0 = b * n
            switch self.cell {
            case .rnnTanh:
                for k in 0..<n { hidden[h0 + k] = tanh(gi[i0 + k] + gh[i0 + k]) }
            case .rnnReLU:
                for k in 0..<n { hidden[h0 + k] = max(gi[i0 + k] + gh[i0 + k], 0) }
            case .lstm:
                for k in 0..<n {
                    let i = sigmoid(gi[i0 + k] + gh[i0 + k])
                    let f = sigmoid(gi[i0 + n + k] + gh[i0 + n + k])
                    let g = tanh(gi[i0 + 2 * n + k] + gh[i0 + 2 * n + k])
                    let o = sigmoid(gi[i0 + 3 * n + k] + gh[i0 + 3 * n + k])
                    cell[h0 + k] = f * cell[h0 + k] + i * g
                    hidden[h0 + k] = o * tanh(cell[h0 + k])
                }
            case .gru:
                for k in 0..<n {
                    let r = sigmoid(gi[i0 + k] + gh[i0 + k])
                    let z = sigmoid(gi[i0 + n + k] + gh[i0 + n + k])
                    let candidate = tanh(gi[i0 + 2 * n + k] + r * gh[i0 + 2 * n + k])
                    hidden[h0 + k] = (1 - z) * candidate + z * hidden[h0 + k]
                }
            case .kru:
                preconditionFailure("kru cells use KRULayerWeights")
            }
        }
    }
}

@inline(__always) func sigmoid(_ x: Float) -> Float { 1 / (1 + exp(-x)) }
