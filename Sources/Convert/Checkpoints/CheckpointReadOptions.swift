/// How ``Checkpoint/read(path:format:options:)`` treats what it finds.
public struct CheckpointReadOptions: Sendable, Equatable {
    /// What to do when a pickle asks to call something outside the allow-list (tensor rebuilding,
    /// `collections.OrderedDict`, `torch.Size`, `torch.device`, `_codecs.encode`, `builtins.set`).
    public enum UnknownCalls: Sendable, Equatable {
        /// Refuse the file with ``CheckpointError/Kind/refusedGlobal(_:)`` (the default).
        case refuse
        /// Record the call as an inert ``CheckpointValue/opaque(_:)`` value without calling anything, so that
        /// Lightning checkpoints whose `hyper_parameters` hold user objects still load. Calls into modules
        /// that can run code (`os`, `subprocess`, `builtins.eval`, ...) are refused even then.
        case keepInert
    }

    /// Caps on every size.
    public var limits: CheckpointLimits = .standard
    /// Wrapper prefixes removed from tensor names, each only when every tensor name starts with it, repeatedly
    /// (at most 16 removals in all) and in this order: `module.` (DataParallel/DDP), `model.` (Lightning),
    /// `_orig_mod.` (`torch.compile`).
    public var prefixesToStrip: [String] = ["module.", "model.", "_orig_mod."]
    /// The key of the state dict inside a larger checkpoint dict; nil chooses `state_dict` (Lightning) if present,
    /// else the top-level dict if it holds tensors, else its only entry that is a dict of tensors.
    public var stateDictKey: String? = nil
    /// Policy for calls outside the allow-list.
    public var unknownCalls: UnknownCalls = .refuse

    public init() {}
}
