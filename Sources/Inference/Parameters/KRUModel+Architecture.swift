extension KRUModel {
    /// The first layer as a ``RecurrentArchitecture`` for ``ParameterComparison``, when it is a `kru` cell with
    /// a Kronecker recurrent matrix (the factor shapes of its first term); nil otherwise. Multi-layer models
    /// are described by their first layer; ``parameterCount`` counts them whole.
    public var firstLayerArchitecture: RecurrentArchitecture? {
        guard case .kru(let weights) = layers.first, case .complexKronecker(let terms) = weights.recurrent,
              let first = terms.first else { return nil }
        let layer = description.layers[0]
        return try? RecurrentArchitecture(
            hiddenSize: layer.hiddenSize, inputWidth: layer.inputSize, outputWidth: description.outputWidth,
            factors: first.factors.map { KroneckerFactorShape(rows: $0.rows, columns: $0.columns) },
            complexFactors: true, kroneckerRank: terms.count)
    }

    /// The KRU cell terms this model stores (complex bias, modReLU bias when it uses modReLU), for counting
    /// baselines the same way; nil when the first layer is not a `kru` cell.
    public var firstLayerCellTerms: KRUCellTerms? {
        guard let layer = description.layers.first, layer.cell == .kru else { return nil }
        return .projectCell(modReLU: layer.activation == .modReLU)
    }
}
