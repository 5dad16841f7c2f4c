/// Everything an ``Optimizer`` carries from one update to the next, so a checkpoint can resume training exactly.
public struct OptimizerState: Sendable, Equatable {
    /// Updates made so far.
    public var stepCount: Int
    /// Named per-parameter buffers (Adam: `m`, `v`; RMSprop: `mean_square`), each empty before the first update or
    /// as long as the parameter vector.
    public var buffers: [String: [Double]]

    public init(stepCount: Int, buffers: [String: [Double]]) {
        self.stepCount = stepCount
        self.buffers = buffers
    }
}

/// Why an optimizer state cannot be restored.
public struct OptimizerStateError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

extension OptimizerState {
    /// The buffer `name`, checked to be empty or `count` long.
    func buffer(_ name: String, count: Int) throws(OptimizerStateError) -> [Double] {
        guard let values = buffers[name] else { throw OptimizerStateError("the optimizer state has no buffer \(name)") }
        guard values.isEmpty || values.count == count else {
            throw OptimizerStateError("optimizer buffer \(name) has \(values.count) values for \(count) parameters")
        }
        return values
    }
}
