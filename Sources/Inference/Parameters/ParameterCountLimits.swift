/// Bounds on the architectures the parameter formulas accept. They match the model schema's limits
/// (spec/MODEL.md: sizes up to 2^24, at most 64 factors) and keep every count far inside `Int`:
/// the largest term, 4·N² for an LSTM with N = 2^24, is 2^50.
public enum ParameterCountLimits {
    /// Largest hidden size N, input width D or output width K.
    public static let maxDimension = ModelLimits.maxSize
    /// Most Kronecker factors in one recurrent matrix.
    public static let maxFactorCount = ModelLimits.maxFactors
    /// Most Kronecker products summed in one recurrent matrix.
    public static let maxKroneckerRank = ModelLimits.maxRank

    /// Checks one size against 1 ... ``maxDimension``.
    static func check(_ name: String, _ value: Int) throws(ParameterCountError) {
        guard value >= 1, value <= maxDimension else {
            throw .dimensionOutOfRange(name: name, value: value, limit: maxDimension)
        }
    }

    /// Checks the three sizes every formula uses.
    static func check(hiddenSize: Int, inputWidth: Int, outputWidth: Int) throws(ParameterCountError) {
        try check("hidden size N", hiddenSize)
        try check("input width D", inputWidth)
        try check("output width K", outputWidth)
    }
}
