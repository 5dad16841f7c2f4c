/// What REDUCE, NEWOBJ and BUILD mean here. Only an allow-list is "called", and even then nothing runs:
/// `collections.OrderedDict` makes an empty dict, the `torch._utils._rebuild_*` family makes a tensor
/// description, and a few inert constructors make plain values. Any other callable given to REDUCE is refused
/// with ``CheckpointError/Kind/refusedGlobal(_:)`` — or, if the options ask for it, recorded as an inert object.
///
/// NEWOBJ (and protocol 1's `copyreg._reconstructor`) is how a pickle makes an instance of a class — an
/// `nn.Module` of a whole saved model, a user's own class — before BUILD gives it its `__dict__`. Python would
/// run the class's `__new__` and `__setstate__` there; this reader runs nothing and keeps an inert record of the
/// class and the state instead, for any class outside the modules that can run code (``deniedModules``), which
/// are refused always, whatever the options say.
struct PickleCalls {
    let limits: CheckpointLimits
    let unknownCalls: CheckpointReadOptions.UnknownCalls

    /// Modules (and their submodules) whose callables are never tolerated, whatever the options say.
    static let deniedModules: Set<String> = [
        "os", "posix", "nt", "sys", "subprocess", "builtins", "__builtin__", "importlib", "runpy", "shutil",
        "socket", "pickle", "_pickle", "marshal", "types", "ctypes", "code", "codeop", "pty", "webbrowser",
        "functools", "operator", "io", "_io", "pathlib", "tempfile", "multiprocessing", "threading", "signal",
        "inspect", "platform", "commands", "popen2", "asyncio", "gc", "site", "posixpath", "ntpath", "torch.hub",
        "torch.jit", "torch.package", "torch.serialization", "numpy.lib", "numpy.testing",
    ]

    static func isDenied(_ global: PickleGlobal) -> Bool {
        var module = global.module
        while true {
            if deniedModules.contains(module) { return true }
            guard let dot = module.lastIndex(of: ".") else { return false }
            module = String(module[..<dot])
        }
    }

    // MARK: - REDUCE

    func call(_ callable: PickleValue, _ args: [PickleValue], arena: PickleArena, context: CheckpointContext,
              at offset: UInt64, depth: Int = 0) throws -> PickleValue {
        guard case .global(let function) = callable else {
            throw context.error(.pickleMalformed, at: offset, "REDUCE calls a \(callable.typeName), not a global")
        }
        let malformed = { (why: String) in
            context.error(.pickleMalformed, at: offset, "\(function.qualifiedName): \(why)")
        }
        switch function.qualifiedName {
        case "collections.OrderedDict", "builtins.dict", "__builtin__.dict":
            let pairs = try args.first.map { try iterable($0, malformed) } ?? []
            let dict = try adopt(PickleDict(), arena, context, offset, items: 3 * pairs.count)
            for pair in pairs {
                guard case .tuple(let kv) = pair, kv.items.count == 2, let key = PickleKey(kv.items[0]) else {
                    throw malformed("expects (key, value) pairs")
                }
                try arena.chargeHashing(key, context: context, at: offset)
                dict.set(key, kv.items[0], kv.items[1])
            }
            return .dict(dict)
        case "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor":
            return .tensor(try TorchTensorRebuild.tensor(function, args, limits: limits, context: context, at: offset))
        case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state":
            guard args.count >= 3, case .tensor = args[0] else { throw malformed("expects a tensor first") }
            return args[0]
        case "torch._tensor._rebuild_from_type_v2":
            // (func, new_type, args, state): the tensor comes from func(*args); new_type is only a label.
            guard args.count == 4, case .tuple(let inner) = args[2] else {
                throw malformed("expects (func, type, args, state)")
            }
            // Real files wrap once; a pickle nesting this call in itself must not exhaust the stack.
            guard depth < 4 else { throw malformed("nested more than 4 times") }
            let result = try call(args[0], inner.items, arena: arena, context: context, at: offset, depth: depth + 1)
            guard case .tensor = result else {
                throw malformed("the rebuilt value is a \(result.typeName), not a tensor")
            }
            return result
        case "torch.Size":
            let dims = try args.first.map { try iterable($0, malformed) } ?? []
            return .tuple(try adopt(PickleTuple(dims), arena, context, offset, items: dims.count))
        case "builtins.set", "builtins.frozenset", "__builtin__.set", "__builtin__.frozenset":
            let items = try args.first.map { try iterable($0, malformed) } ?? []
            return .list(try adopt(PickleList(items, isSet: true), arena, context, offset, items: items.count))
        case "_codecs.encode":
            // Protocol 2 pickles bytes as _codecs.encode(text, 'latin1').
            guard args.count == 2, case .string(let text) = args[0], case .string(let codec) = args[1] else {
                throw malformed("expects (str, encoding)")
            }
            switch codec.lowercased() {
            case "latin1", "latin-1", "iso-8859-1":
                let scalars = text.unicodeScalars.map(\.value)
                guard scalars.allSatisfy({ $0 < 256 }) else { throw malformed("text outside Latin-1") }
                return .bytes(scalars.map { UInt8($0) })
            case "utf-8", "utf8":
                return .bytes(Array(text.utf8))
            default:
                throw malformed("unsupported encoding \(quotedForMessage(codec))")
            }
        case "torch.device":
            return .object(try adopt(PickleObject(type: function, arguments: args), arena, context, offset,
                                     items: args.count))
        case "torch.jit._pickle.restore_type_tag":
            // TorchScript's (value, type text) annotation of a typed container: the value itself.
            guard args.count == 2, case .string = args[1] else { throw malformed("expects (value, type)") }
            return args[0]
        case "torch.jit._pickle.build_intlist", "torch.jit._pickle.build_doublelist",
             "torch.jit._pickle.build_boollist", "torch.jit._pickle.build_tensorlist":
            guard args.count == 1, case .list = args[0] else { throw malformed("expects a list") }
            return args[0]
        case "copyreg._reconstructor", "copy_reg._reconstructor":
            // (cls, object, None): protocol 0/1's spelling of NEWOBJ for a plain class.
            guard args.count == 3, case .global(let base) = args[1],
                  ["builtins.object", "__builtin__.object"].contains(base.qualifiedName), case .none = args[2] else {
                throw malformed("expects (class, object, None)")
            }
            return try newObject(args[0], [], arena: arena, context: context, at: offset)
        default:
            return try unknown(function, args, verb: "call", arena: arena, context: context, at: offset)
        }
    }

    // MARK: - NEWOBJ

    func newObject(_ cls: PickleValue, _ args: [PickleValue], arena: PickleArena, context: CheckpointContext,
                   at offset: UInt64) throws -> PickleValue {
        guard case .global(let type) = cls else {
            throw context.error(.pickleMalformed, at: offset, "NEWOBJ instantiates a \(cls.typeName), not a class")
        }
        switch type.qualifiedName {
        case "collections.OrderedDict", "builtins.dict":
            return .dict(try adopt(PickleDict(), arena, context, offset))
        case "builtins.set", "__builtin__.set":
            return .list(try adopt(PickleList(isSet: true), arena, context, offset))
        default:
            guard !PickleCalls.isDenied(type) else {
                throw context.error(.refusedGlobal(type.qualifiedName), at: offset,
                                    "the pickle asks to instantiate \(type.qualifiedName), from a module that can "
                                        + "run code; nothing was executed and the file is refused")
            }
            return .object(try adopt(PickleObject(type: type, arguments: args), arena, context, offset,
                                     items: args.count))
        }
    }

    // MARK: - BUILD

    /// BUILD sets state on an object. For a dict (an OrderedDict's `_metadata`) the state is kept apart from
    /// the items; a tensor's state (Parameter attributes) is ignored; an inert object records it.
    func build(_ target: PickleValue, state: PickleValue, context: CheckpointContext, at offset: UInt64) throws {
        switch target {
        case .dict(let dict): dict.attributes = state
        case .object(let object): object.state = state
        case .tensor: break
        default:
            throw context.error(.pickleMalformed, at: offset, "BUILD on a \(target.typeName)")
        }
    }

    // MARK: - Helpers

    private func unknown(_ global: PickleGlobal, _ args: [PickleValue], verb: String, arena: PickleArena,
                         context: CheckpointContext, at offset: UInt64) throws -> PickleValue {
        if unknownCalls == .keepInert && !PickleCalls.isDenied(global) {
            return .object(try adopt(PickleObject(type: global, arguments: args), arena, context, offset,
                                     items: args.count))
        }
        throw context.error(.refusedGlobal(global.qualifiedName), at: offset,
                            "the pickle asks to \(verb) \(global.qualifiedName), which is not on the allow-list "
                                + "(torch tensor rebuilding, collections.OrderedDict and a few inert constructors); "
                                + "nothing was executed and the file is refused")
    }

    private func adopt<C: PickleContainer>(_ container: C, _ arena: PickleArena, _ context: CheckpointContext,
                                           _ offset: UInt64, items: Int = 0) throws -> C {
        try arena.adopt(container, items: items, context: context, at: offset)
    }

    private func iterable(_ value: PickleValue, _ malformed: (String) -> CheckpointError) throws -> [PickleValue] {
        switch value {
        case .list(let list): return list.items
        case .tuple(let tuple): return tuple.items
        default: throw malformed("expects a list or tuple, not a \(value.typeName)")
        }
    }
}
