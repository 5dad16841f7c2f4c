import Testing
@testable import KRUConvert

/// The pickle machine on hand-written pickles: opcode semantics, limits, refusals.
struct CheckpointPickleTests {
    /// Runs `bytes` and hands the result to `inspect` while the arena is alive.
    private func run(_ bytes: [UInt8], limits: CheckpointLimits = .standard,
                     unknownCalls: CheckpointReadOptions.UnknownCalls = .refuse,
                     _ inspect: (PickleValue) throws -> Void = { _ in }) throws {
        let arena = PickleArena(limits: limits, memory: MemoryBudget(limits: limits, fileSize: UInt64(bytes.count)),
                                pickleBytes: bytes.count)
        defer { arena.dismantle() }
        var machine = PickleMachine(bytes: bytes, context: CheckpointContext(file: "test.pkl"), limits: limits,
                                    calls: PickleCalls(limits: limits, unknownCalls: unknownCalls), arena: arena,
                                    persistentLoad: { pid, context, offset in
                                        try TorchStorageRef.persistentLoad(pid, limits: limits, context: context,
                                                                           at: offset)
                                    })
        try inspect(try machine.run())
    }

    private func kind(_ bytes: [UInt8], limits: CheckpointLimits = .standard) -> CheckpointError.Kind? {
        expectCheckpointError { try run(bytes, limits: limits) }?.kind
    }

    @Test func numbersAndStrings() throws {
        // BINFLOAT is big-endian; LONG1 is little-endian two's complement; BININT is signed; SHORT_BINSTRING is
        // read as Latin-1; SHORT_BINBYTES stays bytes.
        let bytes = P.proto2 + P.mark
            + [0x47, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0]
            + [0x8a, 2, 0x00, 0xff]
            + P.int(-7)
            + [0x8a, 9, 1, 0, 0, 0, 0, 0, 0, 0, 1]
            + [0x8a, 0]
            + [0x43, 2, 0xde, 0xad]
            + [0x55, 1, 0xe9]
            + [0x8c, 3] + Array("hé".utf8)
            + P.tuple + P.stop
        try run(bytes) { value in
            guard case .tuple(let t) = value, t.items.count == 8,
                  case .float(let f) = t.items[0], case .int(let l) = t.items[1], case .int(let i) = t.items[2],
                  case .bigInt(let big) = t.items[3], case .int(let zero) = t.items[4], case .bytes(let b) = t.items[5],
                  case .string(let latin) = t.items[6], case .string(let utf8) = t.items[7] else {
                Issue.record("wrong shape: \(value.typeName)"); return
            }
            #expect(f == 1.5)
            #expect(l == -256)
            #expect(i == -7)
            #expect(BigIntegerText.decimal(big) == "18446744073709551617")
            #expect(zero == 0)
            #expect(b == [0xde, 0xad])
            #expect(latin == "é")
            #expect(utf8 == "hé")
        }
    }

    @Test func bigIntegerText() {
        #expect(BigIntegerText.decimal([0xff]) == "-1")
        #expect(BigIntegerText.decimal([0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19])
            == "119547037146038801333356")
        #expect(BigIntegerText.decimal([0, 0, 0, 0, 0, 0, 0, 0, 0x80]) == "-2361183241434822606848")
        #expect(BigIntegerText.decimal([]) == "0")
        #expect(BigIntegerText.decimal([UInt8](repeating: 7, count: 1 << 20)) == "(an integer of 1048576 bytes)")
    }

    /// Inputs that would take exponential time or unbounded recursion if handled naively.
    @Test func pathologicalShapesStayCheap() {
        // A dict key that is a tuple sharing its child twice per level, 40 levels (2^40 parts).
        var key = P.int(1) + [0x85, 0x71, 0]
        for _ in 0..<40 { key += [0x68, 0, 0x68, 0, 0x86, 0x71, 0] }
        #expect(kind(P.proto2 + P.emptyDict + key + P.int(1) + P.setitem + P.stop) == .pickleMalformed)
        // _rebuild_from_type_v2 nested in itself 500 times: each level's args are (itself, Tensor, next args, None).
        let fromType: [UInt8] = P.global("torch._tensor", "_rebuild_from_type_v2")
        let tensorType: [UInt8] = P.global("torch", "Tensor")
        var arguments: [UInt8] = P.emptyTuple
        for _ in 0..<500 {
            var level: [UInt8] = P.mark + fromType + tensorType
            level += arguments
            level += P.none + P.tuple
            arguments = level
        }
        let nested: [UInt8] = fromType + arguments + P.reduce
        let error = expectCheckpointError { try run(P.proto2 + nested + P.stop) }
        #expect(error?.kind == .pickleMalformed)
        #expect(error?.message.contains("nested more than 4 times") == true)
    }

    @Test func memoSharesMutableContainers() throws {
        // A list stored in the memo, put in a dict, then appended to: the dict sees the item.
        let bytes = P.proto2 + P.emptyDict + P.str("k") + P.emptyList + [0x71, 1] + P.setitem
            + [0x68, 1] + P.int(5) + P.append + [0x30] + P.stop
        try run(bytes) { value in
            guard case .dict(let d) = value, case .list(let l)? = d.value(forString: "k") else {
                Issue.record("shape")
                return
            }
            #expect(l.items.count == 1)
        }
    }

    @Test func protocol4FramesMemoizeAndStackGlobal() throws {
        var body = [0x8c, 11] + Array("collections".utf8) + [0x94]
            + [0x8c, 11] + Array("OrderedDict".utf8) + [0x94, 0x93, 0x94]
        body += P.emptyTuple + P.reduce + [0x94] + [0x8c, 1, 0x61] + P.int(1) + P.setitem + P.stop
        let bytes: [UInt8] = [0x80, 4, 0x95] + TestZip.le(body.count, 8) + body
        try run(bytes) { value in
            guard case .dict(let d) = value, case .int(1)? = d.value(forString: "a") else {
                Issue.record("shape")
                return
            }
        }
    }

    @Test func structuralErrors() {
        #expect(kind(P.proto2 + P.stop) == .pickleMalformed)                              // STOP on an empty stack
        #expect(kind(P.proto2 + P.int(1) + P.int(2) + P.stop) == .pickleMalformed)         // two values left
        #expect(kind(P.proto2 + P.mark + P.int(1) + P.stop) == .pickleMalformed)          // open MARK
        #expect(kind(P.proto2 + [0x68, 9] + P.stop) == .pickleMalformed)                  // memo entry never stored
        #expect(kind(P.proto2 + P.int(1) + P.append + P.stop) == .pickleMalformed)        // APPEND to an int
        // unhashable key
        #expect(kind(P.proto2 + P.emptyDict + P.emptyList + P.int(1) + P.setitem + P.stop) == .pickleMalformed)
        // odd items
        #expect(kind(P.proto2 + P.emptyDict + P.mark + P.int(1) + P.setitems + P.stop) == .pickleMalformed)
        #expect(kind(P.proto2 + P.mark + P.emptyList + P.mark + P.append) == .pickleMalformed)  // APPEND across a MARK
        #expect(kind(P.proto2 + [0x80, 6] + P.stop) == .pickleMalformed)                  // protocol 6
        #expect(kind(P.proto2 + [0x58, 2, 0, 0, 0, 0xc3, 0x28] + P.stop) == .pickleMalformed)  // bad UTF-8
        #expect(kind(P.proto2 + P.int(1) + P.reduce + P.stop) == .pickleMalformed)        // REDUCE without a tuple
        #expect(kind(P.proto2 + P.int(1) + P.emptyTuple + P.reduce + P.stop) == .pickleMalformed)  // call an int
        #expect(kind(P.proto2 + P.int(1) + P.emptyDict + P.build + P.stop) == .pickleMalformed)    // BUILD on an int
        #expect(kind(P.proto2 + [0x63] + Array("os\nsys".utf8)) == .truncated)            // unterminated GLOBAL
        #expect(kind(P.proto2 + [0x58, 0xff, 0xff, 0, 0, 0x61]) == .truncated)            // string past the end
        #expect(kind(P.proto2 + P.int(1)) == .truncated)                                   // no STOP
        #expect(kind(P.proto2 + [0x95] + TestZip.le(1000, 8) + P.none + P.stop) == .truncated)  // FRAME past the end
    }

    @Test(arguments: [UInt8(0x49), 0x4c, 0x53, 0x56, 0x46, 0x70, 0x67, 0x69, 0x6f, 0x50, 0x82, 0x96, 0x97, 0x00, 0xff])
    func unsupportedOpcodes(op: UInt8) {
        #expect(kind(P.proto2 + [op] + P.stop) == .pickleUnsupportedOpcode(op))
    }

    @Test func refusedCallsNameTheGlobal() {
        for (module, name) in [("os", "system"), ("posix", "system"), ("builtins", "exec"), ("builtins", "getattr"),
                               ("subprocess", "check_output"), ("torch", "load"), ("numpy", "load"),
                               ("__main__", "Model")] {
            let bytes = P.proto2 + P.global(module, name) + P.mark + P.str("x") + P.tuple + P.reduce + P.stop
            #expect(kind(bytes) == .refusedGlobal("\(module).\(name)"))
        }
        // NEWOBJ of a class from a module that can run code is refused too, even with no arguments.
        for (module, name) in [("os", "system"), ("subprocess", "Popen"), ("builtins", "eval"), ("torch.jit", "load")] {
            let newobj = P.proto2 + P.global(module, name) + P.emptyTuple + [0x81] + P.stop
            #expect(kind(newobj) == .refusedGlobal("\(module).\(name)"))
        }
    }

    /// NEWOBJ + BUILD of any other class (a saved nn.Module, a user's class whose __setstate__ Python would run)
    /// becomes an inert record of the class and its state: nothing is constructed or called.
    @Test func instancesOfOtherClassesAreInertRecords() throws {
        let bytes = P.proto2 + P.global("__main__", "Model") + P.emptyTuple + [0x81] + P.emptyDict + P.str("mode")
            + P.str("RNN_RELU") + P.setitem + P.build + P.stop
        try run(bytes) { value in
            guard case .object(let o) = value, case .dict(let state)? = o.state else {
                Issue.record("not an object")
                return
            }
            #expect(o.type.qualifiedName == "__main__.Model")
            guard case .string("RNN_RELU")? = state.value(forString: "mode") else { Issue.record("state"); return }
        }
        // Protocol 1 spells it copyreg._reconstructor(cls, object, None).
        let reconstructed = P.proto2 + P.global("copyreg", "_reconstructor") + P.mark + P.global("m", "C")
            + P.global("builtins", "object") + P.none + P.tuple + P.reduce + P.stop
        try run(reconstructed) { value in
            guard case .object(let o) = value else { Issue.record("not an object"); return }
            #expect(o.type.qualifiedName == "m.C")
        }
    }

    @Test func aGlobalThatIsNeverCalledIsInert() throws {
        try run(P.proto2 + P.global("os", "system") + P.stop) { value in
            guard case .global(let g) = value else { Issue.record("not a global"); return }
            #expect(g.qualifiedName == "os.system")
        }
    }

    @Test func denyListHoldsUnderKeepInert() throws {
        #expect(PickleCalls.isDenied(PickleGlobal(module: "os.path", name: "join")))
        #expect(PickleCalls.isDenied(PickleGlobal(module: "torch.hub", name: "load")))
        #expect(!PickleCalls.isDenied(PickleGlobal(module: "argparse", name: "Namespace")))
        let bytes = P.proto2 + P.global("functools", "partial") + P.mark + P.global("os", "system") + P.tuple
            + P.reduce + P.stop
        let error = expectCheckpointError { try run(bytes, unknownCalls: .keepInert) }
        #expect(error?.kind == .refusedGlobal("functools.partial"))
        try run(P.proto2 + P.global("omegaconf", "DictConfig") + P.emptyTuple + [0x81] + P.emptyDict + P.build + P.stop,
                unknownCalls: .keepInert) { value in
            guard case .object(let o) = value else { Issue.record("not an object"); return }
            #expect(o.type.qualifiedName == "omegaconf.DictConfig")
        }
    }

    @Test func inertConstructors() throws {
        let bytes = P.proto2 + P.mark
            + P.global("_codecs", "encode") + P.mark + P.str("\u{ff}A") + P.str("latin1") + P.tuple + P.reduce
            + P.global("torch", "Size") + P.mark + P.ints([2, 3]) + P.tuple + P.reduce
            + P.global("builtins", "set") + P.mark + P.emptyList + P.tuple + P.reduce
            + P.global("collections", "OrderedDict") + P.mark + P.emptyList
            + P.mark + P.str("a") + P.int(1) + P.tuple + P.append + P.tuple + P.reduce
            + P.tuple + P.stop
        try run(bytes) { value in
            guard case .tuple(let t) = value, case .bytes(let b) = t.items[0], case .tuple(let size) = t.items[1],
                  case .list(let set) = t.items[2], case .dict(let d) = t.items[3] else {
                Issue.record("shape")
                return
            }
            #expect(b == [0xff, 0x41])
            #expect(size.items.count == 2)
            #expect(set.isSet)
            guard case .int(1)? = d.value(forString: "a") else { Issue.record("OrderedDict items"); return }
        }
    }

    @Test func limits() {
        var limits = CheckpointLimits()
        limits.maxPickleStackItems = 10
        #expect(kind(P.proto2 + [UInt8](repeating: 0x4e, count: 11) + P.stop, limits: limits)
            == .limitExceeded(.pickleStackItems))
        limits = CheckpointLimits()
        limits.maxPickleMemoEntries = 3
        let puts: [UInt8] = (0..<4).flatMap { [UInt8(0x71), UInt8($0)] }
        #expect(kind(P.proto2 + P.none + puts + P.stop, limits: limits) == .limitExceeded(.pickleMemoEntries))
        // Re-putting the same index does not grow the memo.
        #expect(expectCheckpointError {
            try run(P.proto2 + P.none + Array(repeating: [UInt8]([0x71, 0]), count: 10).flatMap { $0 } + P.int(1),
                    limits: limits)
        }?.kind == .truncated)
        limits = CheckpointLimits()
        limits.maxPickleObjects = 5
        #expect(kind(P.proto2 + P.mark + [UInt8](repeating: 0x5d, count: 6) + P.tuple + P.stop, limits: limits)
            == .limitExceeded(.pickleObjects))
        limits = CheckpointLimits()
        limits.maxPickleStringBytes = 4
        #expect(kind(P.proto2 + P.str("hello") + P.stop, limits: limits) == .limitExceeded(.pickleStringBytes))
        #expect(kind(P.proto2 + [0x8d] + TestZip.le(UInt64(1) << 62, 8) + P.stop) == .limitExceeded(.pickleStringBytes))
    }

    @Test func persistentIDsAreValidated() {
        let storage = { (fields: [UInt8]) in P.proto2 + P.mark + fields + P.tuple + P.persid + P.stop }
        #expect(kind(storage(P.str("storage") + P.global("torch", "FloatStorage") + P.str("0") + P.str("cpu")))
            == .torchMalformed)
        #expect(kind(storage(P.str("module") + P.global("torch", "FloatStorage") + P.str("0") + P.str("cpu")
                                 + P.int(1))) == .torchMalformed)
        #expect(kind(storage(P.str("storage") + P.global("torch", "FloatStorage") + P.str("0") + P.str("cpu")
                                 + P.int(-1))) == .torchMalformed)
        #expect(kind(storage(P.str("storage") + P.global("os", "FloatStorage") + P.str("0") + P.str("cpu")
                                 + P.int(1))) == .unsupportedStorage("os.FloatStorage"))
        #expect(kind(storage(P.str("storage") + P.global("torch", "FloatStorage") + P.str("0") + P.str("cpu")
                                 + P.int(1) + P.ints([0, 1]))) == .torchMalformed)
        #expect(kind(P.proto2 + P.int(3) + P.persid + P.stop) == .torchMalformed)
    }
}
