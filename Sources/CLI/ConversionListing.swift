import Foundation
import KRUConvert

/// What `kru convert --list` prints: the checkpoint's tensors and modules, and what was recognised in them and
/// why — or why nothing was, so that the listing helps exactly when conversion cannot.
struct ConversionListing {
    let path: String
    let checkpoint: Checkpoint
    let recognised: Result<DenseRecurrentStructure, any Error>

    /// Module attributes worth a line in the listing (the ones that decide how the model runs).
    static let listedAttributes: Set<String> = [
        "mode", "nonlinearity", "input_size", "hidden_size", "num_layers", "bias", "bidirectional", "proj_size",
        "num_embeddings", "embedding_dim", "padding_idx", "max_norm", "in_features", "out_features",
    ]

    private func listed(_ module: CheckpointModule) -> [CheckpointMetadataEntry] {
        module.attributes.filter { Self.listedAttributes.contains($0.key) }
    }

    func text() -> String {
        var lines = ["\(terminalSafe(path)): \(checkpoint.format.rawValue), \(checkpoint.tensors.count) tensors"]
        if !checkpoint.strippedPrefixes.isEmpty {
            lines.append("stripped prefixes: \(terminalSafe(checkpoint.strippedPrefixes.joined(separator: ", ")))")
        }
        lines += checkpoint.skippedEntries.map { "skipped: \(terminalSafe($0))" }
        let rows = checkpoint.tensors.map { t in
            [terminalSafe(t.name), "\(t.dtype)", "\(t.shape)",
             t.storageName.map { "\(terminalSafe($0)) (\(t.storageElementCount!) elements)" } ?? "-"]
        }
        lines += formatTable([["tensor", "dtype", "shape", "storage"]] + rows).map { "  " + $0 }
        for module in checkpoint.modules {
            let attributes = listed(module).map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            lines.append("module \(terminalSafe(module.path.isEmpty ? "(root)" : module.path)): "
                         + terminalSafe(module.type) + (module.isScripted ? " (TorchScript)" : "")
                         + (attributes.isEmpty ? "" : " " + terminalSafe(attributes)))
        }
        switch recognised {
        case .success(let dense):
            let sizes = dense.hiddenSizes.map(String.init).joined(separator: ", ")
            lines.append("recognised: \(dense.cell.rawValue), \(dense.hiddenSizes.count) layer(s) of \(sizes) units "
                         + (dense.hasBiases ? "with biases" : "without biases")
                         + ", input \(dense.inputWidth) wide, \(dense.outputWidth) outputs"
                         + (dense.tiedReadout ? ", readout tied to the embedding" : ""))
            lines += dense.reasons.map { "  " + terminalSafe($0) }
        case .failure(let error):
            lines.append("not recognised: \(terminalSafe("\(error)"))")
        }
        if let stored = VocabularySource.checkpoint(checkpoint) {
            lines.append("  vocabulary stored in the checkpoint: \(stored.count) characters")
        }
        return lines.joined(separator: "\n")
    }

    func json() -> String {
        var document: [String: Any] = [
            "checkpoint": path, "format": checkpoint.format.rawValue, "stripped_prefixes": checkpoint.strippedPrefixes,
            "skipped": checkpoint.skippedEntries,
            "modules": checkpoint.modules.map { module -> [String: Any] in
                ["path": module.path, "type": module.type, "scripted": module.isScripted, "tensors": module.tensorNames,
                 "attributes": Dictionary(listed(module).map { ($0.key, $0.value.description) }) { first, _ in first }]
            },
            "tensors": checkpoint.tensors.map { t -> [String: Any] in
                var entry: [String: Any] = ["name": t.name, "dtype": t.dtype.rawValue, "shape": t.shape]
                if let storage = t.storageName { entry["storage"] = storage }
                if let elements = t.storageElementCount { entry["storage_elements"] = elements }
                return entry
            },
        ]
        switch recognised {
        case .success(let dense):
            var found: [String: Any] = [
                "cell": dense.cell.rawValue, "hidden_sizes": dense.hiddenSizes, "input_width": dense.inputWidth,
                "output_width": dense.outputWidth, "biases": dense.hasBiases,
                "recurrent_prefix": dense.map.recurrentPrefix, "readout_weight": dense.map.readoutWeight,
                "tied_readout": dense.tiedReadout, "reasons": dense.reasons,
            ]
            if let embedding = dense.map.embedding { found["embedding"] = embedding }
            if let bias = dense.map.readoutBias { found["readout_bias"] = bias }
            if let stored = VocabularySource.checkpoint(checkpoint) { found["stored_vocabulary_size"] = stored.count }
            document["recognised"] = found
        case .failure(let error):
            document["not_recognised"] = "\(error)"
        }
        return jsonString(document)
    }
}
