/// The trainable parameters of one recurrent layer and its readout, in real numbers, split into the pieces a
/// comparison table shows.
///
/// Counting rules used by every formula in this folder:
/// - a complex weight counts as **two** real parameters (real and imaginary part);
/// - an angle or phase (uRNN diagonals, EURNN rotations) counts as **one**;
/// - a matrix that is derived from other parameters and never trained on its own (e.g. scoRNN's W from A,
///   the fixed FFT, permutation and ±1 scaling matrices) counts as **zero**;
/// - an embedding table in front of the cell is not included (see ``RecurrentArchitecture``).
public struct ParameterBreakdown: Sendable, Hashable {
    /// The hidden-to-hidden transition: W itself, or the parameters W is built from (Kronecker factors,
    /// phases, reflections, rotations, a skew-symmetric generator). For gated cells, all gates' W_h.
    public var recurrent: Int
    /// The input matrix U (all gates).
    public var input: Int
    /// Biases inside the cell: additive hidden biases and a modReLU bias.
    public var cellBiases: Int
    /// The readout: weights V and bias c.
    public var readout: Int
    /// A trained initial state h_0 (only where the reference implementation trains one).
    public var initialState: Int

    public init(recurrent: Int, input: Int, cellBiases: Int, readout: Int, initialState: Int = 0) {
        self.recurrent = recurrent
        self.input = input
        self.cellBiases = cellBiases
        self.readout = readout
        self.initialState = initialState
    }

    /// Everything: recurrent + input + cell biases + readout + initial state.
    public var total: Int { recurrent + input + cellBiases + readout + initialState }
}
