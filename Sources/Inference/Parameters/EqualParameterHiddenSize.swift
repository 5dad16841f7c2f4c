extension ParameterCounts {
    /// The largest hidden size N whose dense cell (with readout) has at most `budget` parameters, or nil if
    /// even N = 1 exceeds it. Used to size "equal parameter" baselines against a KRU.
    ///
    /// The total is quadratic in N (see ``dense(_:hiddenSize:inputWidth:outputWidth:biases:)``):
    /// total(N) = a·N² + b·N + c with a = g, b = g·(D + β) + K, c = K (g gates, β bias vectors per gate).
    /// We take the positive root of total(N) = budget, N* = (−b + √(b² + 4a(budget − c))) / 2a, round it
    /// down, then step by ±1 with exact integer totals until **total(N) ≤ budget < total(N + 1)**, so
    /// floating-point error in the root cannot give a wrong answer.
    ///
    /// The result is capped at ``ParameterCountLimits/maxDimension``: for budgets beyond that size the cap
    /// is returned.
    /// - Throws: ``ParameterCountError`` if D or K is out of range.
    public static func largestHiddenSize(
        _ kind: DenseCellKind, withinBudget budget: Int, inputWidth d: Int, outputWidth k: Int,
        biases: BiasConvention = .pyTorch
    ) throws(ParameterCountError) -> Int? {
        try ParameterCountLimits.check("input width D", d)
        try ParameterCountLimits.check("output width K", k)
        let limit = ParameterCountLimits.maxDimension
        func total(_ n: Int) -> Int {
            denseUnchecked(kind, hiddenSize: n, inputWidth: d, outputWidth: k, biases: biases).total
        }

        guard budget >= total(1) else { return nil }
        if total(limit) <= budget { return limit }

        let a = Double(kind.gateCount)
        let b = Double(kind.gateCount * (d + biases.vectorsPerGate) + k)
        let c = Double(k)
        let root = (-b + (b * b + 4 * a * (Double(budget) - c)).squareRoot()) / (2 * a)
        var n = root.isFinite ? Int(min(max(root.rounded(.down), 1), Double(limit))) : 1
        // Here total(1) ≤ budget < total(limit), so both loops stop inside 1 ..< limit.
        while n > 1, total(n) > budget { n -= 1 }
        while total(n + 1) <= budget { n += 1 }
        return n
    }
}
