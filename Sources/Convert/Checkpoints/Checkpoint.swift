/// The tensors and simple metadata of a dense checkpoint, read without executing anything from the file.
///
/// ```swift
/// let checkpoint = try Checkpoint.read(path: "lstm.ckpt")     // torch zip/legacy, safetensors, .npy or .npz
/// let whh = checkpoint["rnn.weight_hh_l0"]!                    // Lightning's "model." prefix already removed
/// print(whh.shape, whh.dtype, checkpoint.strippedPrefixes)     // [24, 6] float32 ["model."]
/// let values = try whh.doubles()                               // decoded now, dense and row-major
/// ```
///
/// All formats give the same result: tensors in file order, each decoded to dense row-major values when asked
/// for, plus the non-tensor values found beside them (Lightning's `epoch`, `hyper_parameters`, ...). Entries that
/// hold tensors which are not weights (optimizer state) are listed in ``skippedEntries`` and never read. Reading
/// checks every weight's data (sizes, checksums) in constant memory; decoding is bounded as docs/MEMORY.md says.
///
/// A file that holds a whole model (`torch.save(model)`, a dict holding one, a Lightning checkpoint whose
/// hyper-parameters hold one, a TorchScript archive) gives the tensors `model.state_dict()` would have, under the
/// same names, and the modules they belong to in ``modules``: inert records of the classes, never constructed.
public struct Checkpoint: Sendable {
    /// The container the tensors came from.
    public var format: CheckpointFormat
    /// The weights, in the order the file lists them.
    public var tensors: [CheckpointTensor] { didSet { index = Self.index(tensors) } }
    /// Simple non-tensor values, in file order.
    public var metadata: [CheckpointMetadataEntry]
    /// The key of the state dict (or of the module) inside the checkpoint dict (`state_dict` for Lightning), nil if
    /// the top-level object was the state dict or the module.
    public var stateDictKey: String?
    /// Prefixes removed from every tensor name, in the order they were removed (e.g. `["model."]`).
    public var strippedPrefixes: [String]
    /// Entries left out, each with the reason (`optimizer_states: holds 44 tensors that are not weights`).
    public var skippedEntries: [String]
    /// The modules of a whole model, parents before children in state-dict order; empty when the file holds only
    /// tensors (a state dict, safetensors, NumPy).
    public var modules: [CheckpointModule]

    public init(format: CheckpointFormat, tensors: [CheckpointTensor], metadata: [CheckpointMetadataEntry] = [],
                stateDictKey: String? = nil, strippedPrefixes: [String] = [], skippedEntries: [String] = [],
                modules: [CheckpointModule] = []) {
        self.format = format
        self.tensors = tensors
        self.metadata = metadata
        self.stateDictKey = stateDictKey
        self.strippedPrefixes = strippedPrefixes
        self.skippedEntries = skippedEntries
        self.modules = modules
        self.index = Self.index(tensors)
    }

    /// Where each name first occurs in ``tensors``, so that looking a tensor up by name does not scan them all
    /// (recognising a model looks up a few names per layer).
    private var index: [String: Int]

    private static func index(_ tensors: [CheckpointTensor]) -> [String: Int] {
        var index: [String: Int] = [:]
        for (i, tensor) in tensors.enumerated() where index[tensor.name] == nil { index[tensor.name] = i }
        return index
    }

    /// The tensor called `name`, if any.
    public subscript(name: String) -> CheckpointTensor? { index[name].map { tensors[$0] } }

    /// The metadata value under `key`, if any.
    public func metadata(_ key: String) -> CheckpointValue? { metadata.first { $0.key == key }?.value }
}
