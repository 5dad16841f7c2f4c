/// The knobs of a ``KRUTrainer`` other than the optimizer.
public struct TrainingConfiguration: Sendable, Equatable {
    /// λ of the soft unitary penalty λ·Σ_f ‖W_fᴴW_f − I‖²_F (0 turns it off).
    public var unitaryPenalty: Double
    /// Clip the gradient (loss + penalty) to this L2 norm before each update; nil: no clipping.
    public var clipNorm: Double?
    /// Truncated BPTT window: each batch is cut into chunks of this many steps, one update per chunk, the state
    /// carried from chunk to chunk. nil: backpropagate through the whole batch.
    public var chunkLength: Int?
    /// Worker threads for the recurrence.
    public var threads: Int
    /// The recurrent matrices' learning rate relative to the other parameters' (1 = the same). Over T steps a change
    /// of a recurrent factor acts T times, so long sequences (pixel MNIST, T = 784) need these to move more slowly
    /// than the input and readout weights.
    public var recurrentLearningRateScale: Double
    /// Decoupled weight decay (Loshchilov & Hutter's AdamW): after each update every weight matrix — embedding,
    /// input, dense recurrent and readout weights — shrinks by learning rate × this × its value before the update.
    /// Biases and Kronecker factors are left alone (the factors' scale is the unitary penalty's business). 0: off.
    public var weightDecay: Double
    /// The passes' arithmetic: single precision (fast) or Double (the reference).
    public var precision: TrainingPrecision
    /// Inverted dropout on every layer's output (between layers and before the readout) with this probability;
    /// 0: none. Masks are drawn per update from ``dropoutSeed`` and the update's number, so a resumed run draws
    /// the same ones.
    public var dropout: Double
    public var dropoutSeed: UInt64

    public init(unitaryPenalty: Double = 0, clipNorm: Double? = nil, chunkLength: Int? = nil,
                threads: Int = KRUNetwork.defaultThreads, recurrentLearningRateScale: Double = 1,
                weightDecay: Double = 0, precision: TrainingPrecision = .double, dropout: Double = 0,
                dropoutSeed: UInt64 = 0) {
        precondition(chunkLength.map { $0 >= 1 } ?? true, "a chunk needs at least one step")
        precondition(threads >= 1, "at least one thread")
        precondition(recurrentLearningRateScale >= 0, "a learning-rate scale cannot be negative")
        precondition(weightDecay >= 0, "weight decay cannot be negative")
        precondition(dropout >= 0 && dropout < 1, "a dropout probability lies in [0, 1)")
        self.precision = precision
        self.dropout = dropout
        self.dropoutSeed = dropoutSeed
        self.weightDecay = weightDecay
        self.recurrentLearningRateScale = recurrentLearningRateScale
        self.unitaryPenalty = unitaryPenalty
        self.clipNorm = clipNorm
        self.chunkLength = chunkLength
        self.threads = threads
    }
}
