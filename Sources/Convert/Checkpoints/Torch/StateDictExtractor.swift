/// Finds the weights in an unpickled torch checkpoint and collects the simple values beside them.
///
/// - The top-level object must be a dict. Its state dict is `options.stateDictKey` if given; else
///   `state_dict` (Lightning) if that is a dict; else the top-level dict itself if it holds tensors; else its
///   only entry that is a dict holding tensors (`{'model_state_dict': ..., 'optimizer_state_dict': ...}`).
/// - Tensor entries of the state dict become weights; wrapper prefixes are stripped afterwards.
/// - Every other entry becomes metadata when it holds no tensor, and is listed as skipped when it does
///   (optimizer state), so its tensors are never read.
struct StateDictExtractor {
    let options: CheckpointReadOptions
    let context: CheckpointContext

    struct Result {
        var tensors: [(name: String, tensor: TorchTensorRef)] = []
        var metadata: [CheckpointMetadataEntry] = []
        var stateDictKey: String? = nil
        var strippedPrefixes: [String] = []
        var skipped: [String] = []
    }

    func extract(_ root: PickleValue) throws -> Result {
        guard case .dict(let top) = root else {
            throw context.error(.notAStateDict, at: nil, "the checkpoint holds a \(root.typeName), not a dict of tensors")
        }
        var result = Result()
        let stateDict: PickleDict
        if let key = options.stateDictKey {
            guard case .dict(let chosen)? = top.value(forString: key) else {
                throw context.error(.notAStateDict, at: nil, "the checkpoint has no dict under \(quotedForMessage(key))")
            }
            stateDict = chosen
            result.stateDictKey = key
        } else if case .dict(let lightning)? = top.value(forString: "state_dict") {
            stateDict = lightning
            result.stateDictKey = "state_dict"
        } else if top.entries.contains(where: { if case .tensor = $0.value { true } else { false } }) {
            stateDict = top
        } else {
            let candidates = top.entries.compactMap { entry -> (String, PickleDict)? in
                guard case .string(let key) = entry.key, case .dict(let d) = entry.value,
                      d.entries.contains(where: { if case .tensor = $0.value { true } else { false } }) else { return nil }
                return (key, d)
            }
            guard candidates.count == 1 else {
                throw context.error(.notAStateDict, at: nil, candidates.isEmpty
                    ? "no dict of tensors found (top-level keys: \(top.entries.prefix(8).map { quotedForMessage(keyText($0.key)) }.joined(separator: ", ")))"
                    : "several dicts of tensors (\(candidates.map { quotedForMessage($0.0) }.joined(separator: ", "))); choose one with stateDictKey")
            }
            stateDict = candidates[0].1
            result.stateDictKey = candidates[0].0
        }

        var budget = options.limits.maxMetadataValues
        for (key, value) in stateDict.entries {
            let name = keyText(key)
            if case .tensor(let tensor) = value {
                guard case .string = key else {
                    result.skipped.append("\(name): a tensor under a key that is not a string")
                    continue
                }
                result.tensors.append((name, tensor))
            } else {
                try collect(name, value, into: &result, budget: &budget)
            }
        }
        if result.stateDictKey != nil {
            for (key, value) in top.entries where keyText(key) != result.stateDictKey {
                try collect(keyText(key), value, into: &result, budget: &budget)
            }
        }
        guard result.tensors.count <= options.limits.maxTensorCount else {
            throw context.limit(.tensorCount, at: nil, "\(result.tensors.count) tensors exceed the limit of \(options.limits.maxTensorCount)")
        }
        stripPrefixes(&result)
        var seen = Set<String>()
        for (name, _) in result.tensors where !seen.insert(name).inserted {
            throw context.error(.duplicateTensor(name), at: nil, "two tensors are named \(quotedForMessage(name))")
        }
        return result
    }

    /// Metadata if `value` holds no tensor; otherwise a note in `skipped`.
    private func collect(_ key: String, _ value: PickleValue, into result: inout Result, budget: inout Int) throws {
        let tensors = try tensorCount(in: value)
        if tensors > 0 {
            result.skipped.append("\(key): holds \(tensors) tensor\(tensors == 1 ? "" : "s") that \(tensors == 1 ? "is" : "are") not weights")
        } else {
            result.metadata.append(CheckpointMetadataEntry(key: key, value: try metadataValue(value, depth: 0, budget: &budget)))
        }
    }

    static let maxPrefixStrips = 16

    /// Removes each known wrapper prefix while every tensor name starts with it.
    /// At most ``maxPrefixStrips`` times in all: real checkpoints nest a wrapper or two, and a name made of a
    /// million `module.` must not cost a million passes over every name.
    private func stripPrefixes(_ result: inout Result) {
        guard !result.tensors.isEmpty else { return }
        var changed = true
        while changed && result.strippedPrefixes.count < Self.maxPrefixStrips {
            changed = false
            for prefix in options.prefixesToStrip where !prefix.isEmpty {
                guard result.strippedPrefixes.count < Self.maxPrefixStrips else { break }
                if result.tensors.allSatisfy({ $0.name.hasPrefix(prefix) && $0.name.utf8.count > prefix.utf8.count }) {
                    result.tensors = result.tensors.map { (String($0.name.dropFirst(prefix.count)), $0.tensor) }
                    result.strippedPrefixes.append(prefix)
                    changed = true
                }
            }
        }
    }

    /// Tensors reachable from `value`, visiting each container once (shared and cyclic structures are fine).
    private func tensorCount(in value: PickleValue) throws -> Int {
        var pending = [value]
        var visited = Set<ObjectIdentifier>()
        var count = 0
        while let next = pending.popLast() {
            switch next {
            case .tensor: count += 1
            case .tuple(let t): if visited.insert(ObjectIdentifier(t)).inserted { pending += t.items }
            case .list(let l): if visited.insert(ObjectIdentifier(l)).inserted { pending += l.items }
            case .dict(let d):
                if visited.insert(ObjectIdentifier(d)).inserted {
                    for entry in d.entries { pending.append(entry.key); pending.append(entry.value) }
                }
            case .object(let o):
                if visited.insert(ObjectIdentifier(o)).inserted {
                    pending += o.arguments
                    if let state = o.state { pending.append(state) }
                }
            default: break
            }
        }
        return count
    }

    /// A tensor-free value as plain metadata. Every value produced costs one unit of `budget`, so a pickle
    /// that shares one list 2^40 times ("billion laughs") stops at the limit instead of expanding.
    private func metadataValue(_ value: PickleValue, depth: Int, budget: inout Int) throws -> CheckpointValue {
        guard depth < options.limits.maxNestingDepth else {
            throw context.limit(.nestingDepth, at: nil, "metadata nested deeper than \(options.limits.maxNestingDepth) levels")
        }
        guard budget > 0 else {
            throw context.limit(.metadataValues, at: nil, "the metadata expands to more than \(options.limits.maxMetadataValues) values")
        }
        budget -= 1
        switch value {
        case .none: return .none
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .bigInt(let raw): return .bigInteger(BigIntegerText.decimal(raw))
        case .float(let d): return .double(d)
        case .string(let s): return .string(s)
        case .bytes(let b): return .bytes(count: b.count)
        case .tuple(let t): return .tuple(try t.items.map { try metadataValue($0, depth: depth + 1, budget: &budget) })
        case .list(let l): return .list(try l.items.map { try metadataValue($0, depth: depth + 1, budget: &budget) })
        case .dict(let d):
            return .dictionary(try d.entries.map {
                CheckpointMetadataEntry(key: keyText($0.key), value: try metadataValue($0.value, depth: depth + 1, budget: &budget))
            })
        case .global(let g): return .opaque("reference to \(g.qualifiedName)")
        case .storage(let s): return .opaque("storage \(s.typeName) '\(s.key)'")
        case .tensor(let t): return .tensor(dtype: t.storage.dtype, shape: t.layout.shape)
        case .object(let o): return .opaque("\(o.type.qualifiedName) object (not constructed)")
        }
    }

    /// A dict key as text: strings as they are, other keys the way Python prints them.
    private func keyText(_ key: PickleValue) -> String {
        switch key {
        case .string(let s): s
        case .int(let i): String(i)
        case .bigInt(let raw): BigIntegerText.decimal(raw)
        case .bool(let b): b ? "True" : "False"
        case .none: "None"
        case .float(let d): String(d)
        case .tuple(let t): "(" + t.items.map(keyText).joined(separator: ", ") + (t.items.count == 1 ? ",)" : ")")
        default: "<\(key.typeName)>"
        }
    }
}
