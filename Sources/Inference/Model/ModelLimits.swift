/// The size limits of the model schema (spec/MODEL.md §6), in one place for the engine, the parameter counts, the
/// converter and the trainer.
public enum ModelLimits {
    /// Largest vocabulary, embedding, input or output width, and hidden size N.
    public static let maxSize = 1 << 24
    /// Most layers in a model.
    public static let maxLayers = 64
    /// Most Kronecker factors in one recurrent term.
    public static let maxFactors = 64
    /// Most Kronecker terms summed in one recurrent block.
    public static let maxRank = 64
}
