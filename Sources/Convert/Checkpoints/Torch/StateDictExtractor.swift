/// Finds the weights in an unpickled torch checkpoint and collects the simple values beside them.
///
/// - A whole model (`torch.save(model)`, TorchScript) gives the tensors its `state_dict()` would have and its
///   module records (``ModuleTreeReader``).
/// - Otherwise the top-level object must be a dict. Its state dict is `options.stateDictKey` if given (a dict or
///   a module); else `state_dict` (Lightning) if that is a dict; else the top-level dict itself if it holds
///   tensors; else its only entry that is a module (`{'epoch': 3, 'model': model}`); else its only entry that is a
///   dict holding tensors (`{'model_state_dict': ..., 'optimizer_state_dict': ...}`). Beside a state dict, a module
///   whose tensors are the state dict's (a Lightning checkpoint whose `hyper_parameters` hold the model) gives the
///   module records.
/// - Tensor entries of the state dict become weights; wrapper prefixes are stripped afterwards.
/// - Every other entry becomes metadata when it holds no tensor, and is listed as skipped when it does
///   (optimizer state), so its tensors are never read.
struct StateDictExtractor {
    let options: CheckpointReadOptions
    let context: CheckpointContext
    /// The pickle's arena: what a module walk builds is charged to the same memory budget.
    let arena: PickleArena

    struct Result {
        var tensors: [(name: String, tensor: TorchTensorRef)] = []
        var metadata: [CheckpointMetadataEntry] = []
        var stateDictKey: String? = nil
        var strippedPrefixes: [String] = []
        var skipped: [String] = []
        var modules: [CheckpointModule] = []
        /// The class each module was pickled as, by path (TorchScript code is found by it).
        var pickledTypes: [String: PickleGlobal] = [:]
        /// Metadata values still allowed (see ``CheckpointLimits/maxMetadataValues``).
        var metadataBudget: Int
    }

    func extract(_ root: PickleValue) throws -> Result {
        if case .object(let object) = root {
            guard ModuleTreeReader.isModule(object) else {
                throw context.error(.notAStateDict, at: nil, "the checkpoint holds a \(object.type.qualifiedName) "
                                        + "object (not constructed), which is neither an nn.Module nor a dict of "
                                        + "tensors")
            }
            var result = Result(metadataBudget: options.limits.maxMetadataValues)
            try adopt(object, into: &result)
            return try finish(result)
        }
        guard case .dict(let top) = root else {
            throw context.error(.notAStateDict, at: nil,
                                "the checkpoint holds a \(root.typeName), not a dict of tensors or a module")
        }
        var result = Result(metadataBudget: options.limits.maxMetadataValues)
        let stateDict: PickleDict
        let topModules = moduleEntries(of: top)
        if let key = options.stateDictKey {
            switch top.value(forString: key) {
            case .dict(let chosen)?:
                stateDict = chosen
            case .object(let module)? where ModuleTreeReader.isModule(module):
                try adopt(module, into: &result)
                result.stateDictKey = key
                try collectOthers(of: top, into: &result)
                return try finish(result)
            default:
                throw context.error(.notAStateDict, at: nil,
                                    "the checkpoint has no dict or module under \(quotedForMessage(key))")
            }
            result.stateDictKey = key
        } else if case .dict(let lightning)? = top.value(forString: "state_dict") {
            stateDict = lightning
            result.stateDictKey = "state_dict"
        } else if top.entries.contains(where: { if case .tensor = $0.value { true } else { false } }) {
            stateDict = top
        } else if topModules.count == 1 {
            try adopt(topModules[0].module, into: &result)
            result.stateDictKey = topModules[0].key
            try collectOthers(of: top, into: &result)
            return try finish(result)
        } else {
            let candidates = top.entries.compactMap { entry -> (String, PickleDict)? in
                guard case .string(let key) = entry.key, case .dict(let d) = entry.value,
                      d.entries.contains(where: { if case .tensor = $0.value { true } else { false } }) else {
                    return nil
                }
                return (key, d)
            }
            guard candidates.count == 1 else {
                let modules = topModules.map { quotedForMessage($0.key) }
                let keys = top.entries.prefix(8).map { quotedForMessage(keyText($0.key)) }.joined(separator: ", ")
                let dicts = candidates.map { quotedForMessage($0.0) }.joined(separator: ", ")
                throw context.error(.notAStateDict, at: nil, !modules.isEmpty
                    ? "several modules (\(modules.joined(separator: ", "))); choose one with stateDictKey"
                    : candidates.isEmpty
                    ? "no dict of tensors or module found (top-level keys: \(keys))"
                    : "several dicts of tensors (\(dicts)); choose one with stateDictKey")
            }
            stateDict = candidates[0].1
            result.stateDictKey = candidates[0].0
        }

        for (key, value) in stateDict.entries {
            let name = keyText(key)
            if case .tensor(let tensor) = value {
                guard case .string = key else {
                    result.skipped.append("\(name): a tensor under a key that is not a string")
                    continue
                }
                result.tensors.append((name, tensor))
            } else {
                try collect(name, value, into: &result)
            }
        }
        if result.stateDictKey != nil { try collectOthers(of: top, into: &result) }
        try adoptModuleTypes(from: top, topModules: topModules, into: &result)
        return try finish(result)
    }

    /// The tensors and module records of a whole model.
    private func adopt(_ module: PickleObject, into result: inout Result) throws {
        let tree = try ModuleTreeReader(limits: options.limits, context: context, arena: arena).read(module)
        result.tensors = tree.tensors
        result.modules = tree.modules
        result.pickledTypes = tree.pickledTypes
    }

    /// Top-level entries (and entries of `hyper_parameters`) that are modules, with their keys.
    private func moduleEntries(of top: PickleDict) -> [(key: String, module: PickleObject)] {
        var found: [(String, PickleObject)] = []
        for (key, value) in top.entries {
            guard case .string(let name) = key else { continue }
            if case .object(let object) = value, ModuleTreeReader.isModule(object) { found.append((name, object)) }
        }
        return found
    }

    /// Beside a state dict: the module records of a model whose tensors are exactly the state dict's, under some
    /// common prefix (Lightning stores the model in `hyper_parameters` as well as its weights in `state_dict`).
    private func adoptModuleTypes(from top: PickleDict, topModules: [(key: String, module: PickleObject)],
                                  into result: inout Result) throws {
        var candidates = topModules.map { (place: $0.key, module: $0.module) }
        if case .dict(let hyper)? = top.value(forString: "hyper_parameters") {
            candidates += moduleEntries(of: hyper).map { ("hyper_parameters.\($0.key)", $0.module) }
        }
        let names = Set(result.tensors.map(\.name))
        // A few candidates and prefixes are plenty for real files, and keep a crafted one from taking long.
        for (place, module) in candidates.prefix(8) {
            let tree = try ModuleTreeReader(limits: options.limits, context: context, arena: arena).read(module)
            guard let first = tree.tensors.first?.name, tree.tensors.count == names.count else { continue }
            let prefixes = names.filter { $0 == first || $0.hasSuffix("." + first) }
                .map { String($0.dropLast(first.count)) }
            guard let prefix = prefixes.sorted().prefix(8).first(where: { p in
                tree.tensors.allSatisfy { names.contains(p + $0.name) }
            }) else { continue }
            let base = prefix.hasSuffix(".") ? String(prefix.dropLast()) : prefix
            let placed = { (path: String) in path.isEmpty ? base : prefix + path }
            result.modules = tree.modules.map { $0.moved(to: placed($0.path)) }
            result.pickledTypes = Dictionary(tree.pickledTypes.map { (placed($0.key), $0.value) }) { first, _ in first }
            result.skipped.append("\(place): the model the state dict belongs to (its module types are used)")
            return
        }
    }

    /// Every top-level entry other than the state dict's, as metadata or as a skipped entry.
    private func collectOthers(of top: PickleDict, into result: inout Result) throws {
        for (key, value) in top.entries where keyText(key) != result.stateDictKey {
            try collect(keyText(key), value, into: &result)
        }
    }

    /// Checks the tensor count, strips wrapper prefixes and refuses duplicate names.
    private func finish(_ found: Result) throws -> Result {
        var result = found
        guard result.tensors.count <= options.limits.maxTensorCount else {
            throw context.limit(.tensorCount, at: nil,
                                "\(result.tensors.count) tensors exceed the limit of \(options.limits.maxTensorCount)")
        }
        stripPrefixes(&result)
        var seen = Set<String>()
        for (name, _) in result.tensors where !seen.insert(name).inserted {
            throw context.error(.duplicateTensor(name), at: nil, "two tensors are named \(quotedForMessage(name))")
        }
        return result
    }

    /// Metadata if `value` holds no tensor; otherwise a note in `skipped`.
    private func collect(_ key: String, _ value: PickleValue, into result: inout Result) throws {
        let tensors = try tensorCount(in: value)
        if tensors > 0 {
            result.skipped.append("\(key): holds \(tensors) tensor\(tensors == 1 ? "" : "s") that "
                                      + "\(tensors == 1 ? "is" : "are") not weights")
        } else {
            let simple = try metadataValue(value, depth: 0, budget: &result.metadataBudget)
            result.metadata.append(CheckpointMetadataEntry(key: key, value: simple))
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
                    stripModulePaths(prefix, &result)
                    result.strippedPrefixes.append(prefix)
                    changed = true
                }
            }
        }
    }

    /// Module paths follow the tensor names: `module.encoder` → `encoder`, `module` → the root; the wrapper above
    /// (DataParallel's own root) is dropped.
    private func stripModulePaths(_ prefix: String, _ result: inout Result) {
        func stripped(_ path: String) -> String? {
            if path + "." == prefix { return "" }
            return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : nil
        }
        result.modules = result.modules.compactMap { m in stripped(m.path).map { m.moved(to: $0) } }
        let types = result.pickledTypes.compactMap { path, type in stripped(path).map { ($0, type) } }
        result.pickledTypes = Dictionary(types) { first, _ in first }
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
            throw context.limit(.nestingDepth, at: nil,
                                "metadata nested deeper than \(options.limits.maxNestingDepth) levels")
        }
        guard budget > 0 else {
            throw context.limit(.metadataValues, at: nil,
                                "the metadata expands to more than \(options.limits.maxMetadataValues) values")
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
                CheckpointMetadataEntry(key: keyText($0.key),
                                        value: try metadataValue($0.value, depth: depth + 1, budget: &budget))
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
