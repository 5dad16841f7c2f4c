/// What a TorchScript archive's compiled code says and its pickle does not: the `mode` of a recurrent module.
///
/// `torch.jit.save` pickles a module's attributes, but `nn.RNN`'s `mode` (`RNN_TANH` or `RNN_RELU`) is a `Final`
/// constant of the compiled class (`torch.jit.script`) or survives only as the operation a traced forward calls
/// (`torch.jit.trace`: `torch.rnn_relu(...)`). Both are text in `<folder>/code/<module path>.py`, read here as text
/// and never run.
enum TorchScriptCode {
    /// The largest code file read (real ones are a few kilobytes).
    static let maxCodeBytes: UInt64 = 1 << 20

    /// Recurrent module types whose `mode` the code can give.
    static let recurrentTypes: Set<String> = ["torch.nn.modules.rnn.RNN", "torch.nn.modules.rnn.LSTM",
                                              "torch.nn.modules.rnn.GRU"]

    /// Adds `mode` to each TorchScript recurrent module that lacks it, when its class's code says it.
    static func addRecurrentModes(_ found: inout StateDictExtractor.Result, archive: ZipArchive, folder: String,
                                  memory: inout MemoryBudget) throws {
        for (i, module) in found.modules.enumerated()
        where module.isScripted && recurrentTypes.contains(module.type) && module.attribute("mode") == nil {
            guard let pickled = found.pickledTypes[module.path] else { continue }
            let name = folder + "code/" + pickled.module.split(separator: ".").joined(separator: "/") + ".py"
            guard let entry = archive.entry(named: name), entry.uncompressedSize <= maxCodeBytes else { continue }
            try memory.charge(entry.uncompressedSize, for: "the TorchScript code \(name)", context: archive.context,
                              at: entry.localHeaderOffset)
            let code = String(decoding: try archive.read(entry), as: UTF8.self)
            if let mode = mode(ofClass: pickled.name, in: code) {
                found.modules[i] = module.adding(CheckpointMetadataEntry(key: "mode", value: .string(mode)))
            }
        }
    }

    /// The mode the code of class `name` declares (`mode : Final[str] = "RNN_RELU"`) or calls (`torch.rnn_relu(`).
    static func mode(ofClass name: String, in code: String) -> String? {
        guard let start = code.firstRange(of: "class \(name)(") else { return nil }
        let rest = code[start.upperBound...]
        let body = rest[..<(rest.firstRange(of: "\nclass ")?.lowerBound ?? rest.endIndex)]
        if let declared = body.firstRange(of: "mode : Final[str] = \"") {
            let value = body[declared.upperBound...].prefix { $0 != "\"" }
            if ["RNN_TANH", "RNN_RELU", "LSTM", "GRU"].contains(value) { return String(value) }
        }
        let calls = [("torch.rnn_relu(", "RNN_RELU"), ("torch.rnn_tanh(", "RNN_TANH"), ("torch.lstm(", "LSTM"),
                     ("torch.gru(", "GRU")]
        let called = calls.filter { body.contains($0.0) }
        return called.count == 1 ? called[0].1 : nil
    }
}
