import KRUInference
import Testing

/// Malformed factor lists and workspace requests fail at construction with a descriptive error, before
/// anything is allocated.
@Suite struct KroneckerValidationTests {
    @Test func emptyFactorListIsRejected() {
        #expect(throws: KroneckerOperatorError.noFactors) { try RealKroneckerOperator(factors: []) }
        #expect(throws: KroneckerOperatorError.noFactors) { try ComplexKroneckerOperator(factors: []) }
    }

    @Test func nonPositiveSizesAreRejected() {
        let good = RealKroneckerFactor(rows: 2, columns: 3, values: Array(repeating: 1, count: 6))
        let empty = RealKroneckerFactor(rows: 0, columns: 3, values: [])
        #expect(throws: KroneckerOperatorError.invalidFactorShape(factor: 1, rows: 0, columns: 3)) {
            try RealKroneckerOperator(factors: [good, empty])
        }
        let negative = ComplexKroneckerFactor(rows: 2, columns: -1, real: [], imaginary: [])
        #expect(throws: KroneckerOperatorError.invalidFactorShape(factor: 0, rows: 2, columns: -1)) {
            try ComplexKroneckerOperator(factors: [negative])
        }
    }

    @Test func valueCountsMustMatchShapes() throws {
        let good = RealKroneckerFactor(rows: 2, columns: 3, values: Array(repeating: 1, count: 6))
        let short = RealKroneckerFactor(rows: 4, columns: 2, values: Array(repeating: 1, count: 7))
        #expect(throws: KroneckerOperatorError.factorValueCount(factor: 1, plane: "values", expected: 8, actual: 7)) {
            try RealKroneckerOperator(factors: [good, short])
        }
        let badImaginary = ComplexKroneckerFactor(
            rows: 2, columns: 2, real: [1, 2, 3, 4], imaginary: [1, 2, 3, 4, 5])
        #expect(
            throws: KroneckerOperatorError.factorValueCount(factor: 0, plane: "imaginary", expected: 4, actual: 5)
        ) { try ComplexKroneckerOperator(factors: [badImaginary]) }
        let badReal = ComplexKroneckerFactor(rows: 1, columns: 3, real: [1], imaginary: [1, 2, 3])
        #expect(throws: KroneckerOperatorError.factorValueCount(factor: 0, plane: "real", expected: 3, actual: 1)) {
            try ComplexKroneckerOperator(factors: [badReal])
        }
    }

    /// Sizes are checked before value counts, so an absurd shape is rejected without the caller (or a
    /// file reader) ever having to supply 2⁴² values.
    @Test func oversizedShapesAreRejectedBeforeValues() {
        let huge = RealKroneckerFactor(rows: 1 << 14, columns: 1, values: [])
        #expect(
            throws: KroneckerOperatorError.vectorTooLong(
                what: "the output length ∏P_f", limit: KroneckerLimits.maxVectorLength)
        ) { try RealKroneckerOperator(factors: [huge, huge, huge]) }
        let tooMany = Array(repeating: RealKroneckerFactor(rows: 1, columns: 1, values: [1]), count: 65)
        #expect(throws: KroneckerOperatorError.tooManyFactors(count: 65, limit: 64)) {
            try RealKroneckerOperator(factors: tooMany)
        }
        #expect(throws: KroneckerOperatorError.mismatchedSizeLists(rowCounts: 2, columnCounts: 1)) {
            try KroneckerShape(rows: [2, 2], columns: [2])
        }
    }

    @Test func workspaceRequestsAreChecked() throws {
        let op = try RealKroneckerOperator(factors: [
            RealKroneckerFactor(rows: 2, columns: 2, values: [1, 0, 0, 1]),
            RealKroneckerFactor(rows: 2, columns: 2, values: [1, 0, 0, 1]),
        ])
        #expect(throws: KroneckerOperatorError.invalidBatchSize(0)) { try op.makeWorkspace(maxBatchSize: 0) }
        #expect(throws: KroneckerOperatorError.workspaceTooLarge(
            batchSize: Int.max / 2, elementsPerVector: 4, limit: KroneckerLimits.maxWorkspaceElements)
        ) { try op.makeWorkspace(maxBatchSize: Int.max / 2) }
        let workspace = try op.makeWorkspace(maxBatchSize: 3)
        #expect(workspace.elementsPerPlane == 3 * op.scratchElementsPerVector)
        #expect(!workspace.isComplex)
    }

    @Test func errorsDescribeTheProblem() {
        let error = KroneckerOperatorError.factorValueCount(factor: 2, plane: "imaginary", expected: 6, actual: 5)
        #expect(error.description == "factor 2 has 5 imaginary entries; its shape needs 6 (row-major)")
    }

    /// Operators are immutable values meant to be shared across sessions.
    @Test func operatorsAreSendable() throws {
        func requireSendable<T: Sendable>(_: T.Type) {}
        requireSendable(RealKroneckerOperator.self)
        requireSendable(ComplexKroneckerOperator.self)
        requireSendable(KroneckerShape.self)
        requireSendable(KroneckerOperatorError.self)
    }
}
