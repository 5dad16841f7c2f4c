import Foundation

/// What a layer reads at one step: a dense vector, or a one-hot token (applied as a column pick, never formed).
enum LayerInput {
    case vector(UnsafeBufferPointer<Float>)
    case oneHot(Int)
}

/// Scratch shared by all layers of a session, sized for the widest layer, so a step allocates nothing.
struct StepScratch {
    var fromInput: UnsafeMutableBufferPointer<Float>  // G·N: W_ih x + b_ih (or the complex pre-activation's real part)
    var fromState: UnsafeMutableBufferPointer<Float>  // G·N: R h + b_hh (or the imaginary part)
    var termReal: UnsafeMutableBufferPointer<Float>  // N: one Kronecker term's product
    var termImaginary: UnsafeMutableBufferPointer<Float>
    let workspace: KroneckerWorkspace
}

extension KRULayerWeights {
    /// One step: `state` holds [Re h; Im h] (2N) and is replaced by the new state.
    func step(_ x: LayerInput, state: UnsafeMutableBufferPointer<Float>, scratch: StepScratch) {
        let n = hiddenSize
        let zr = UnsafeMutableBufferPointer(rebasing: scratch.fromInput[0..<n])
        let zi = UnsafeMutableBufferPointer(rebasing: scratch.fromState[0..<n])
        for k in 0..<n {
            zr[k] = biasReal[k]
            zi[k] = biasImaginary[k]
        }
        switch x {
        case .oneHot(let column):
            input.real.addColumn(column, into: zr)
            input.imaginary.addColumn(column, into: zi)
        case .vector(let v):
            input.multiplyAddReal(v, intoReal: zr, imaginary: zi)
        }
        recurrent.multiplyAdd(real: UnsafeBufferPointer(rebasing: state[0..<n]),
                              imaginary: UnsafeBufferPointer(rebasing: state[n..<2 * n]),
                              intoReal: zr, imaginary: zi,
                              termReal: UnsafeMutableBufferPointer(rebasing: scratch.termReal[0..<n]),
                              termImaginary: UnsafeMutableBufferPointer(rebasing: scratch.termImaginary[0..<n]),
                              workspace: scratch.workspace)
        for k in 0..<n {
            let (re, im) = activate(zr[k], zi[k], k)
            state[k] = re
            state[n + k] = im
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
    /// One step of RNN, LSTM or GRU: `hidden` (N) and, for LSTM, `cell` (N) are replaced by the new state.
    func step(_ x: LayerInput, hidden: UnsafeMutableBufferPointer<Float>, cell: UnsafeMutableBufferPointer<Float>,
              scratch: StepScratch) {
        let n = hiddenSize, rows = recurrent.count * n
        let gi = UnsafeMutableBufferPointer(rebasing: scratch.fromInput[0..<rows])
        let gh = UnsafeMutableBufferPointer(rebasing: scratch.fromState[0..<rows])
        for k in 0..<rows {
            gi[k] = inputBias?[k] ?? 0
            gh[k] = recurrentBias?[k] ?? 0
        }
        switch x {
        case .oneHot(let column): input.addColumn(column, into: gi)
        case .vector(let v): input.multiplyAdd(v, into: gi)
        }
        let h = UnsafeBufferPointer(hidden)
        for (g, block) in recurrent.enumerated() {
            block.multiplyAdd(h, into: UnsafeMutableBufferPointer(rebasing: gh[g * n..<(g + 1) * n]),
                              term: UnsafeMutableBufferPointer(rebasing: scratch.termReal[0..<n]),
                              workspace: scratch.workspace)
        }
        switch self.cell {
        case .rnnTanh:
            for k in 0..<n { hidden[k] = tanh(gi[k] + gh[k]) }
        case .rnnReLU:
            for k in 0..<n { hidden[k] = max(gi[k] + gh[k], 0) }
        case .lstm:
            for k in 0..<n {
                let i = sigmoid(gi[k] + gh[k])
                let f = sigmoid(gi[n + k] + gh[n + k])
                let g = tanh(gi[2 * n + k] + gh[2 * n + k])
                let o = sigmoid(gi[3 * n + k] + gh[3 * n + k])
                cell[k] = f * cell[k] + i * g
                hidden[k] = o * tanh(cell[k])
            }
        case .gru:
            for k in 0..<n {
                let r = sigmoid(gi[k] + gh[k])
                let z = sigmoid(gi[n + k] + gh[n + k])
                let candidate = tanh(gi[2 * n + k] + r * gh[2 * n + k])
                hidden[k] = (1 - z) * candidate + z * hidden[k]
            }
        case .kru:
            preconditionFailure("kru cells use KRULayerWeights")
        }
    }
}

@inline(__always) func sigmoid(_ x: Float) -> Float { 1 / (1 + exp(-x)) }
