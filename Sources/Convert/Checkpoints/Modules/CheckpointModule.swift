/// One `nn.Module` of a checkpoint that holds a whole model (`torch.save(model)`, a dict holding one, a TorchScript
/// archive), as the pickle describes it. Nothing was constructed: the record holds the class's name and the
/// simple attributes that unpickling would have set (`mode`, `nonlinearity`, `hidden_size`, `num_embeddings`, ...).
///
/// ```swift
/// let checkpoint = try Checkpoint.read(path: "model.pt")      // torch.save(model) of word_language_model
/// for module in checkpoint.modules { print(module.path, module.type) }
/// // ""  model.RNNModel,  "encoder"  torch.nn.modules.sparse.Embedding,  "rnn"  torch.nn.modules.rnn.RNN, ...
/// checkpoint.module(at: "rnn")?.attribute("mode")              // .string("RNN_RELU")
/// ```
public struct CheckpointModule: Sendable, Equatable {
    /// The dotted path from the root module (`""` for the root, `rnn`, `blocks.0.attn`); the module's tensors are
    /// named `<path>.<name>` in ``Checkpoint/tensors``.
    public let path: String
    /// The class's qualified name, with TorchScript's `__torch__.` prefix and `___torch_mangle_N` parts removed
    /// (`torch.nn.modules.rnn.LSTM`).
    public let type: String
    /// Whether the module comes from a TorchScript archive (`torch.jit.save`).
    public let isScripted: Bool
    /// The module's simple attributes (numbers, strings, booleans, None and lists of them), in pickle order. For a
    /// TorchScript recurrent module, `mode` comes from its compiled code when the pickle lacks it
    /// (``TorchScriptCode``).
    public let attributes: [CheckpointMetadataEntry]
    /// The names of the module's own parameters and buffers (without the path), in state-dict order.
    public let tensorNames: [String]

    public init(path: String, type: String, isScripted: Bool = false, attributes: [CheckpointMetadataEntry] = [],
                tensorNames: [String] = []) {
        self.path = path
        self.type = type
        self.isScripted = isScripted
        self.attributes = attributes
        self.tensorNames = tensorNames
    }

    /// The attribute called `name`, if the module has it.
    public func attribute(_ name: String) -> CheckpointValue? { attributes.first { $0.key == name }?.value }

    /// The class name without its module (`LSTM`).
    public var className: String { type.split(separator: ".").last.map(String.init) ?? type }

    /// The same module with one more attribute (what TorchScript code says, ``TorchScriptCode``).
    func adding(_ attribute: CheckpointMetadataEntry) -> CheckpointModule {
        CheckpointModule(path: path, type: type, isScripted: isScripted, attributes: attributes + [attribute],
                         tensorNames: tensorNames)
    }

    /// The same module under another path (when wrapper prefixes are removed from the tensor names).
    func moved(to path: String) -> CheckpointModule {
        CheckpointModule(path: path, type: type, isScripted: isScripted, attributes: attributes,
                         tensorNames: tensorNames)
    }
}

extension Checkpoint {
    /// The module at `path` (`""` for the root), if the checkpoint holds a whole model.
    public func module(at path: String) -> CheckpointModule? { modules.first { $0.path == path } }
}
