/// Collects the tensors and module records of a whole pickled model — what `model.state_dict()` would give — from
/// the inert objects the pickle machine built, without constructing anything.
///
/// An `nn.Module` pickles as its class (NEWOBJ) plus the `__dict__` that unpickling would set (BUILD): parameters
/// in `_parameters`, buffers in `_buffers` (minus `_non_persistent_buffers_set`), children in `_modules`, and plain
/// attributes (`mode`, `hidden_size`, ...) beside them. A TorchScript module (`__torch__.` classes) keeps its
/// parameters, buffers and children directly as attributes. Tensors are named as `state_dict()` names them:
/// `<path>.<name>`, a module's own tensors before its children's. A module shared by two parents appears under
/// both paths, as in `state_dict()`; the walk is iterative, its depth capped at ``CheckpointLimits/maxNestingDepth``
/// and its work (modules visited and entries examined) at ``workLimit``, and what it builds (names, records) is
/// charged to the pickle's memory budget, so a cyclic or exponentially shared pickle ends soon and small.
struct ModuleTreeReader {
    let limits: CheckpointLimits
    let context: CheckpointContext
    let arena: PickleArena

    /// Estimated bytes of one collected tensor or module record, besides its name.
    static let recordBytes: UInt64 = 192

    struct Result {
        var tensors: [(name: String, tensor: TorchTensorRef)] = []
        var modules: [CheckpointModule] = []
        /// The class each module was pickled as (TorchScript needs it to find the module's code).
        var pickledTypes: [String: PickleGlobal] = [:]
    }

    /// Whether `object` is a module record: a TorchScript class, or an object whose state has `_parameters` and
    /// `_modules` (every `nn.Module` subclass).
    static func isModule(_ object: PickleObject) -> Bool {
        if isScripted(object.type) { return true }
        guard case .dict(let state)? = object.state else { return false }
        return state.value(forString: "_parameters") != nil && state.value(forString: "_modules") != nil
    }

    static func isScripted(_ type: PickleGlobal) -> Bool {
        type.module == "__torch__" || type.module.hasPrefix("__torch__.")
    }

    /// `__torch__.torch.nn.modules.rnn.___torch_mangle_2.RNN` → `torch.nn.modules.rnn.RNN`.
    static func typeName(_ type: PickleGlobal) -> String {
        guard isScripted(type) else { return type.qualifiedName }
        let parts = type.module.split(separator: ".").dropFirst().filter { !$0.hasPrefix("___torch_mangle_") }
        return (parts.map(String.init) + [type.name]).joined(separator: ".")
    }

    /// Modules visited plus state entries examined, at most: far beyond real models (a model of 1,000 modules
    /// examines about 20,000 entries), small enough that a module shared a million times stops at once.
    var workLimit: Int { 8 * limits.maxMetadataValues + limits.maxTensorCount }

    func read(_ root: PickleObject) throws -> Result {
        var result = Result()
        var pending: [(object: PickleObject, path: String, depth: Int)] = [(root, "", 0)]
        var work = 0
        while let (object, path, depth) = pending.popLast() {
            if case .dict(let state)? = object.state { work += 1 + state.entries.count }
            guard work <= workLimit else {
                throw context.limit(.metadataValues, at: nil,
                                    "the model's modules (each shared one counted at each place) hold more than "
                                        + "\(workLimit) entries")
            }
            guard depth < limits.maxNestingDepth else {
                throw context.limit(.nestingDepth, at: nil, "modules nested deeper than \(limits.maxNestingDepth) "
                                        + "levels (at \(quotedForMessage(path)))")
            }
            let found = try members(of: object, at: path)
            work += found.tensors.count + found.children.count
            let prefix = path.isEmpty ? "" : path + "."
            let names = found.tensors.reduce(0) { $0 + prefix.utf8.count + $1.name.utf8.count }
                + found.children.reduce(0) { $0 + prefix.utf8.count + $1.name.utf8.count }
            try arena.charge(UInt64(names) + Self.recordBytes * UInt64(1 + found.tensors.count + found.children.count
                                                                       + found.attributes.count),
                             for: "the records of module \(quotedForMessage(path))", context: context, at: nil)
            result.tensors += found.tensors.map { (prefix + $0.name, $0.tensor) }
            result.modules.append(CheckpointModule(path: path, type: Self.typeName(object.type),
                                                   isScripted: Self.isScripted(object.type),
                                                   attributes: found.attributes,
                                                   tensorNames: found.tensors.map(\.name)))
            result.pickledTypes[path] = object.type
            pending += found.children.reversed().map { ($0.module, prefix + $0.name, depth + 1) }
            guard result.tensors.count <= limits.maxTensorCount else {
                throw context.limit(.tensorCount, at: nil, "the model has more than \(limits.maxTensorCount) tensors")
            }
        }
        return result
    }

    private struct Members {
        var tensors: [(name: String, tensor: TorchTensorRef)] = []
        var children: [(name: String, module: PickleObject)] = []
        var attributes: [CheckpointMetadataEntry] = []
    }

    private func members(of object: PickleObject, at path: String) throws -> Members {
        var members = Members()
        guard case .dict(let state)? = object.state else { return members }
        let scripted = Self.isScripted(object.type)
        for (key, value) in state.entries {
            guard case .string(let name) = key else { continue }
            if scripted {
                switch value {
                case .tensor(let tensor): members.tensors.append((name, tensor))
                case .object(let child) where Self.isScripted(child.type): members.children.append((name, child))
                default:
                    if let simple = Self.simpleValue(value) {
                        members.attributes.append(.init(key: name, value: simple))
                    }
                }
            } else if !["_parameters", "_buffers", "_modules", "_non_persistent_buffers_set"].contains(name),
                      let simple = Self.simpleValue(value) {
                members.attributes.append(.init(key: name, value: simple))
            }
        }
        guard !scripted else { return members }
        let transient = try names(in: state.value(forString: "_non_persistent_buffers_set"), path: path)
        for field in ["_parameters", "_buffers"] {
            for (name, value) in try entries(state.value(forString: field), field, path) {
                switch value {
                case .tensor(let tensor):
                    if field == "_parameters" || !transient.contains(name) { members.tensors.append((name, tensor)) }
                case .none: continue
                default:
                    throw malformed(path, "\(field)[\(quotedForMessage(name))] is a \(value.typeName), not a tensor")
                }
            }
        }
        for (name, value) in try entries(state.value(forString: "_modules"), "_modules", path) {
            switch value {
            case .object(let child) where Self.isModule(child): members.children.append((name, child))
            case .none: continue
            default: throw malformed(path, "_modules[\(quotedForMessage(name))] is a \(value.typeName), not a module")
            }
        }
        return members
    }

    /// The string-keyed entries of one of a module's dicts.
    private func entries(_ value: PickleValue?, _ field: String, _ path: String) throws -> [(String, PickleValue)] {
        guard let value else { return [] }
        guard case .dict(let dict) = value else { throw malformed(path, "\(field) is a \(value.typeName), not a dict") }
        return try dict.entries.map { entry in
            guard case .string(let name) = entry.key else {
                throw malformed(path, "\(field) has a key that is not a string")
            }
            return (name, entry.value)
        }
    }

    private func names(in value: PickleValue?, path: String) throws -> Set<String> {
        guard let value else { return [] }
        guard case .list(let list) = value else {
            throw malformed(path, "_non_persistent_buffers_set is a \(value.typeName)")
        }
        return Set(list.items.compactMap { if case .string(let s) = $0 { s } else { nil } })
    }

    private func malformed(_ path: String, _ message: String) -> CheckpointError {
        let module = path.isEmpty ? "(the root)" : quotedForMessage(path)
        return context.error(.torchMalformed, at: nil, "module \(module): \(message)")
    }

    /// Numbers, strings, booleans, None, and short lists or tuples of them; nil for anything else.
    static func simpleValue(_ value: PickleValue, depth: Int = 0) -> CheckpointValue? {
        switch value {
        case .none: return CheckpointValue.none
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .float(let d): return .double(d)
        case .string(let s) where s.utf8.count <= 4096: return .string(s)
        case .list(let l) where depth < 2 && l.items.count <= 64:
            let items = l.items.compactMap { simpleValue($0, depth: depth + 1) }
            return items.count == l.items.count ? .list(items) : nil
        case .tuple(let t) where depth < 2 && t.items.count <= 64:
            let items = t.items.compactMap { simpleValue($0, depth: depth + 1) }
            return items.count == t.items.count ? .tuple(items) : nil
        default: return nil
        }
    }
}
