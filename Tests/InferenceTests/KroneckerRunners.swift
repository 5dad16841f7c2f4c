import KRUInference
import Testing

/// Applies a real operator (or its adjoint) to a batch through the array API. The output starts as NaN
/// so a skipped element shows up, and carries a guard tail that must survive untouched.
func runReal(
    _ op: RealKroneckerOperator, adjoint: Bool = false, _ input: [Float], batchSize: Int,
    workspace: KroneckerWorkspace
) -> [Float] {
    let length = batchSize * (adjoint ? op.shape.inputLength : op.shape.outputLength)
    var output = [Float](repeating: .nan, count: length) + [Float](repeating: guardValue, count: guardLength)
    if adjoint {
        op.applyAdjoint(input, into: &output, batchSize: batchSize, workspace: workspace)
    } else {
        op.apply(input, into: &output, batchSize: batchSize, workspace: workspace)
    }
    #expect(output[length...].allSatisfy { $0 == guardValue }, "wrote past the batch")
    return Array(output[..<length])
}

/// Complex counterpart of ``runReal``; returns the split output planes.
func runComplex(
    _ op: ComplexKroneckerOperator, adjoint: Bool = false, real: [Float], imaginary: [Float], batchSize: Int,
    workspace: KroneckerWorkspace
) -> (real: [Float], imaginary: [Float]) {
    let length = batchSize * (adjoint ? op.shape.inputLength : op.shape.outputLength)
    let start = [Float](repeating: .nan, count: length) + [Float](repeating: guardValue, count: guardLength)
    var outputReal = start, outputImaginary = start
    if adjoint {
        op.applyAdjoint(
            inputReal: real, inputImaginary: imaginary, outputReal: &outputReal, outputImaginary: &outputImaginary,
            batchSize: batchSize, workspace: workspace)
    } else {
        op.apply(
            inputReal: real, inputImaginary: imaginary, outputReal: &outputReal, outputImaginary: &outputImaginary,
            batchSize: batchSize, workspace: workspace)
    }
    #expect(outputReal[length...].allSatisfy { $0 == guardValue }, "wrote past the batch (real plane)")
    #expect(outputImaginary[length...].allSatisfy { $0 == guardValue }, "wrote past the batch (imaginary plane)")
    return (Array(outputReal[..<length]), Array(outputImaginary[..<length]))
}
