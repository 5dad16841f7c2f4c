import KRUInference

/// How the parts of a recurrent language model were found in a checkpoint, with one sentence per decision so
/// that `kru convert --list` can say what was recognised and why.
public struct Recognition: Sendable {
    /// Which tensors play which part.
    public let map: TensorMap
    /// The cell the file itself records (a pickled `nn.RNN`'s `mode`), nil when it only holds tensors.
    public let recordedCell: ModelDescription.Cell?
    /// Whether the readout weight is the embedding itself (`decoder.weight = encoder.weight`: one storage).
    public let tiedReadout: Bool
    /// Why: one sentence per part (`embedding: encoder.weight, the weight of an nn.Embedding module`).
    public let reasons: [String]
}

/// Finds the embedding → `nn.RNN`/`nn.LSTM`/`nn.GRU` → readout structure of a checkpoint without help:
///
/// - the recurrent module from PyTorch's parameter names (`<prefix>weight_hh_l0`), its cell from the pickled
///   module when the file holds one (so `RNN_RELU` needs no flag);
/// - the embedding (a matrix as wide as the first layer's input) and the readout (a `*weight` matrix as wide as the
///   last layer) by the module types when the file holds the model itself (`nn.Embedding`, `nn.Linear`); else,
///   when shapes leave a choice (emsize = nhid, char-rnn's `encoder`/`decoder`), by names (`embed*`, `encoder`,
///   `emb`, `wte` against `head`, `decoder`, `fc`, `out*`, `proj*`, `lm_head`), then by which one has a bias, then
///   by state-dict order (the embedding is created before the recurrent module, the readout after);
/// - a tied readout from the storage: both names viewing the same elements.
///
/// A choice none of these settles is an error that lists the candidates (give `--map`).
struct ModelRecognizer {
    let checkpoint: Checkpoint

    static let embeddingNames: Set<String> = ["encoder", "emb", "wte", "embedding", "embeddings", "tok_embeddings",
                                              "word_embeddings", "lookup", "lut"]
    static let embeddingPrefixes = ["embed"]
    static let readoutNames: Set<String> = ["head", "decoder", "fc", "lm_head", "linear", "classifier", "logits",
                                            "readout", "output"]
    static let readoutPrefixes = ["out", "proj", "fc"]

    func recognize() throws -> Recognition {
        let prefixes = checkpoint.tensors.compactMap { t -> String? in
            t.name.hasSuffix("weight_hh_l0") ? String(t.name.dropLast("weight_hh_l0".count)) : nil
        }
        guard prefixes.count == 1, let prefix = prefixes.first else {
            throw ConversionError(prefixes.isEmpty
                ? "no recurrent layer found (no tensor named *weight_hh_l0); give --map"
                : "several recurrent modules found (\(prefixes.map { "\($0)*" }.joined(separator: ", "))); give --map")
        }
        guard let wih = checkpoint["\(prefix)weight_ih_l0"], wih.shape.count == 2 else {
            throw ConversionError("\(prefix)weight_ih_l0 is missing or not a matrix")
        }
        var last = 0
        while checkpoint["\(prefix)weight_hh_l\(last + 1)"] != nil { last += 1 }
        guard let whh = checkpoint["\(prefix)weight_hh_l\(last)"], whh.shape.count == 2 else {
            throw ConversionError("\(prefix)weight_hh_l\(last) is not a matrix")
        }
        var reasons: [String] = []
        let recorded = try recordedCell(prefix: prefix, reasons: &reasons)
        if recorded == nil {
            reasons.append("recurrent: \(prefix)weight_ih_l*, weight_hh_l* (nn.RNN/LSTM/GRU parameter names)")
        }

        let recurrentStart = checkpoint.tensors.firstIndex { $0.name.hasPrefix(prefix) } ?? 0
        let others = checkpoint.tensors.enumerated().filter {
            !$0.element.name.hasPrefix(prefix) || !$0.element.name.dropFirst(prefix.count).contains("_l")
        }
        let embeddings = others.filter { $0.element.shape.count == 2 && $0.element.shape[1] == wih.shape[1] }
        let embedding = try choose(embeddings.map { Candidate(tensor: $0.element, position: $0.offset) },
                                   role: .embedding, recurrentStart: recurrentStart)
        let hidden = whh.shape[1]
        var readouts = others
            .filter { $0.element.shape == [$0.element.shape.first ?? 0, hidden] && $0.element.name.hasSuffix("weight") }
            .map { Candidate(tensor: $0.element, position: $0.offset) }
        let shapeShared = readouts.contains { $0.tensor.name == embedding?.tensor.name }
        if let embedding { readouts.removeAll { $0.tensor.name == embedding.tensor.name } }
        guard let readout = try choose(readouts, role: .readout, recurrentStart: recurrentStart) else {
            throw ConversionError("no readout found (a *.weight matrix of width \(hidden)); give --map")
        }
        if let embedding {
            reasons.insert("embedding: \(embedding.tensor.name), \(embedding.reason)", at: 0)
        } else {
            reasons.insert("embedding: none (no matrix as wide as the first layer's input, \(wih.shape[1])): "
                           + "one-hot input", at: 0)
        }
        // The embedding was a candidate too (E = H): the readout is the only *other* matrix of its shape.
        let readoutReason = shapeShared
            ? readout.reason.replacingOccurrences(of: "the only matrix of its shape",
                                                  with: "the only matrix of its shape besides the embedding")
            : readout.reason
        reasons.append("readout: \(readout.tensor.name), \(readoutReason)")
        let biasName = Self.biasName(of: readout.tensor.name)
        let bias = checkpoint[biasName].map { _ in biasName }
        reasons.append(bias.map { "readout bias: \($0)" }
                       ?? "readout bias: none (\(biasName) is absent, so it is zero)")
        let map = TensorMap(embedding: embedding?.tensor.name, recurrentPrefix: prefix,
                            readoutWeight: readout.tensor.name, readoutBias: bias)
        let tied = embedding.map { $0.tensor.sharesElements(with: readout.tensor) } ?? false
        if tied {
            reasons.append("tied: \(readout.tensor.name) is \(embedding!.tensor.name) (one storage): stored once")
        }
        return Recognition(map: map, recordedCell: recorded, tiedReadout: tied, reasons: reasons)
    }

    /// Checks a map given by the user: every tensor it names exists, and no bias is left behind.
    func check(_ map: TensorMap) throws -> Recognition {
        var reasons = ["embedding: \(map.embedding ?? "none (one-hot input)") (--map)",
                       "recurrent: \(map.recurrentPrefix)weight_ih_l*, weight_hh_l* (--map)",
                       "readout: \(map.readoutWeight) (--map)"]
        let biasName = Self.biasName(of: map.readoutWeight)
        if map.readoutBias == nil, checkpoint[biasName] != nil {
            throw ConversionError("the checkpoint has \(biasName) but the map leaves it out: dropping the readout bias "
                                  + "would change every output; name it as \"readout_bias\" in the map")
        }
        reasons.append("readout bias: \(map.readoutBias ?? "none") (--map)")
        var tied = false
        if let e = map.embedding.flatMap({ checkpoint[$0] }), let r = checkpoint[map.readoutWeight] {
            tied = e.sharesElements(with: r)
            if tied { reasons.append("tied: \(r.name) is \(e.name) (one storage): stored once") }
        }
        let recorded = try recordedCell(prefix: map.recurrentPrefix, reasons: &reasons)
        return Recognition(map: map, recordedCell: recorded, tiedReadout: tied, reasons: reasons)
    }

    static func biasName(of weight: String) -> String {
        weight.hasSuffix("weight") ? String(weight.dropLast("weight".count)) + "bias" : weight + ".bias"
    }

    // MARK: - The recorded cell

    /// The cell the pickled recurrent module records, if the file holds modules.
    private func recordedCell(prefix: String, reasons: inout [String]) throws -> ModelDescription.Cell? {
        let path = prefix.hasSuffix(".") ? String(prefix.dropLast()) : prefix
        guard let module = checkpoint.module(at: path), TorchScriptCode.recurrentTypes.contains(module.type) else {
            return nil
        }
        if case .bool(true)? = module.attribute("bidirectional") {
            throw ConversionError("\(module.type) \(quotedForMessage(path)) is bidirectional; a streaming model "
                                  + "runs one direction only")
        }
        if case .int(let projection)? = module.attribute("proj_size"), projection > 0 {
            throw ConversionError("\(module.type) \(quotedForMessage(path)) projects its output (proj_size "
                                  + "\(projection)), which the schema has no cell for")
        }
        let cell: ModelDescription.Cell
        let evidence: String
        switch (module.attribute("mode"), module.attribute("nonlinearity"), module.className) {
        case (.string(let mode)?, _, _):
            guard let known = Self.cells[mode] else {
                throw ConversionError("\(quotedForMessage(path)) has mode \(quotedForMessage(mode)), which is not "
                                      + "RNN_TANH, RNN_RELU, LSTM or GRU")
            }
            (cell, evidence) = (known, "mode \(quotedForMessage(mode))")
        case (_, .string(let nonlinearity)?, "RNN"):
            guard let known = Self.cells["RNN_" + nonlinearity.uppercased()] else {
                throw ConversionError("\(quotedForMessage(path)) has nonlinearity "
                                      + "\(quotedForMessage(nonlinearity)), which is not tanh or relu")
            }
            (cell, evidence) = (known, "nonlinearity \(quotedForMessage(nonlinearity))")
        case (_, _, "LSTM"): (cell, evidence) = (.lstm, "its class")
        case (_, _, "GRU"): (cell, evidence) = (.gru, "its class")
        default: return nil
        }
        let origin = module.isScripted ? "the TorchScript module" : "the pickled module"
        reasons.append("recurrent: \(prefix)weight_ih_l*, weight_hh_l*; \(quotedForMessage(path)) is \(module.type), "
                       + "\(cell.rawValue) by \(evidence) (from \(origin))")
        return cell
    }

    static let cells: [String: ModelDescription.Cell] = ["RNN_TANH": .rnnTanh, "RNN_RELU": .rnnReLU, "LSTM": .lstm,
                                                          "GRU": .gru]

    // MARK: - Choosing the embedding and the readout

    private enum Role {
        case embedding, readout
        var name: String { self == .embedding ? "embedding" : "readout" }
        var moduleType: String {
            self == .embedding ? "torch.nn.modules.sparse.Embedding" : "torch.nn.modules.linear.Linear"
        }
        var className: String { self == .embedding ? "nn.Embedding" : "nn.Linear" }
    }

    private struct Candidate {
        let tensor: CheckpointTensor
        /// Index in the state dict.
        let position: Int
    }

    /// One candidate chosen by the first rule that leaves exactly one, with the reason; nil if there is none.
    private func choose(_ candidates: [Candidate], role: Role,
                        recurrentStart: Int) throws -> (tensor: CheckpointTensor, reason: String)? {
        guard !candidates.isEmpty else { return nil }
        let rules: [(reason: String, test: (Candidate) -> Bool)] = [
            ("the weight of an \(role.className) module (the model's own module types)", { c in
                checkpoint.module(at: Self.owner(of: c.tensor.name))?.type == role.moduleType
            }),
            ("named like \(role == .embedding ? "an embedding" : "a readout")", { c in
                Self.isNamed(c.tensor.name, as: role)
            }),
            (role == .embedding ? "the one without a bias" : "the one with a bias", { c in
                (checkpoint[Self.biasName(of: c.tensor.name)] != nil) == (role == .readout)
            }),
            (role == .embedding ? "the one before the recurrent layers in the state dict"
                : "the one after the recurrent layers in the state dict", { c in
                (c.position < recurrentStart) == (role == .embedding)
            }),
        ]
        if candidates.count == 1 {
            let reason = rules.first { $0.test(candidates[0]) }?.reason
            return (candidates[0].tensor, "the only matrix of its shape" + (reason.map { "; " + $0 } ?? ""))
        }
        var left = candidates
        var why: [String] = []
        for rule in rules {
            let kept = left.filter(rule.test)
            guard !kept.isEmpty, kept.count < left.count else { continue }
            left = kept
            why.append(rule.reason)
            if left.count == 1 { return (left[0].tensor, why.joined(separator: "; ")) }
        }
        let names = left.map(\.tensor.name).joined(separator: ", ")
        throw ConversionError("several \(role.name) candidates (\(names)) that "
                              + "neither module types, names, biases nor order tell apart; give --map")
    }

    /// `rnn.decoder.weight` → `rnn.decoder`.
    static func owner(of name: String) -> String {
        guard let dot = name.lastIndex(of: ".") else { return "" }
        return String(name[..<dot])
    }

    private static func isNamed(_ name: String, as role: Role) -> Bool {
        let module = owner(of: name).split(separator: ".").last.map { $0.lowercased() } ?? ""
        switch role {
        case .embedding: return embeddingNames.contains(module) || embeddingPrefixes.contains { module.hasPrefix($0) }
        case .readout: return readoutNames.contains(module) || readoutPrefixes.contains { module.hasPrefix($0) }
        }
    }
}
