/// A pickle interpreter that builds values and never executes anything. It knows the binary opcodes
/// (protocols 1–5) that `torch.save` state dicts and Lightning checkpoints use; text-protocol opcodes (INT,
/// STRING, PUT, INST, OBJ, ...), the extension registry and out-of-band buffers are refused. Calls (REDUCE,
/// NEWOBJ) and BUILD go to ``PickleCalls``, which only describes allow-listed torch rebuilds and refuses
/// everything else. Every stack, memo, string and object count is capped.
struct PickleMachine {
    private let bytes: [UInt8]
    /// File offset of `bytes[0]` (for messages).
    private let base: UInt64
    private let context: CheckpointContext
    private let limits: CheckpointLimits
    private let calls: PickleCalls
    private let arena: PickleArena
    /// Turns a persistent id (BINPERSID) into a value; torch uses it for storages.
    private let persistentLoad: (PickleValue, CheckpointContext, UInt64) throws -> PickleValue

    private var position: Int
    private var stack: [PickleValue] = []
    /// Stack heights at each open MARK.
    private var marks: [Int] = []
    private var memo: [UInt64: PickleValue] = [:]
    /// The highest the stack has been; its memory is charged as it grows.
    private var stackPeak = 0
    /// Offset of the opcode being run.
    private var opcodeOffset = 0

    init(bytes: [UInt8], start: Int = 0, base: UInt64 = 0, context: CheckpointContext, limits: CheckpointLimits,
         calls: PickleCalls, arena: PickleArena,
         persistentLoad: @escaping (PickleValue, CheckpointContext, UInt64) throws -> PickleValue) {
        self.bytes = bytes
        self.position = start
        self.base = base
        self.context = context
        self.limits = limits
        self.calls = calls
        self.arena = arena
        self.persistentLoad = persistentLoad
    }

    /// Where the next pickle starts after ``run()`` (legacy files hold several in a row).
    var endPosition: Int { position }

    private var here: UInt64 { base + UInt64(opcodeOffset) }

    private func malformed(_ message: String) -> CheckpointError {
        context.error(.pickleMalformed, at: here, "\(PickleOpcode.name(bytes[opcodeOffset])): \(message)")
    }

    // MARK: - Reading operands

    private mutating func take(_ count: Int, _ what: String) throws -> ArraySlice<UInt8> {
        guard count >= 0, count <= bytes.count - position else {
            throw context.error(.truncated, at: here,
                                "\(PickleOpcode.name(bytes[opcodeOffset])) needs \(count) bytes for \(what) but the "
                                    + "pickle has \(bytes.count - position) left")
        }
        defer { position += count }
        return bytes[position..<position + count]
    }

    private mutating func uint(_ width: Int) throws -> UInt64 { littleEndianUInt64(try take(width, "its argument")) }

    /// A length operand checked against the string cap before anything is allocated; the string's memory is
    /// charged to the budget.
    private mutating func length(_ width: Int) throws -> Int {
        let n = try uint(width)
        guard n <= UInt64(limits.maxPickleStringBytes) else {
            throw context.limit(.pickleStringBytes, at: here,
                                "a \(n)-byte string exceeds the limit of \(limits.maxPickleStringBytes)")
        }
        try arena.charge(n + 32, for: "a \(n)-byte string", context: context, at: here)
        return Int(n)
    }

    private mutating func text(_ count: Int) throws -> String {
        guard let s = strictUTF8String(try take(count, "a string")) else {
            throw malformed("the string is not valid UTF-8")
        }
        return s
    }

    /// A newline-terminated line of GLOBAL's operand (module or name): printable ASCII, at most 256 bytes.
    private mutating func line() throws -> String {
        var end = position
        while end < bytes.count, bytes[end] != 0x0a {
            guard end - position < 256, bytes[end] >= 0x20, bytes[end] < 0x7f else {
                throw malformed("invalid module or class name")
            }
            end += 1
        }
        guard end < bytes.count else { throw context.error(.truncated, at: here, "GLOBAL: the name is not terminated") }
        defer { position = end + 1 }
        return String(decoding: bytes[position..<end], as: UTF8.self)
    }

    // MARK: - Stack

    private mutating func push(_ value: PickleValue) throws {
        guard stack.count < limits.maxPickleStackItems else {
            throw context.limit(.pickleStackItems, at: here,
                                "more than \(limits.maxPickleStackItems) items on the pickle stack")
        }
        if stack.count == stackPeak {
            try chargeItems(1)
            stackPeak += 1
        }
        stack.append(value)
    }

    /// The stack above the innermost MARK is all an opcode may touch, as in CPython.
    private var frameBottom: Int { marks.last ?? 0 }

    private mutating func pop() throws -> PickleValue {
        guard stack.count > frameBottom else { throw malformed("stack underflow") }
        return stack.removeLast()
    }

    private func top() throws -> PickleValue {
        guard stack.count > frameBottom, let value = stack.last else { throw malformed("stack underflow") }
        return value
    }

    private mutating func popMark() throws -> [PickleValue] {
        guard let mark = marks.popLast() else { throw malformed("no MARK to pop to") }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    private func adopt<C: PickleContainer>(_ container: C, items: Int = 0) throws -> C {
        try arena.adopt(container, items: items, context: context, at: here)
    }

    /// Charges `count` more values held by a container.
    private func chargeItems(_ count: Int) throws {
        try arena.charge(UInt64(count) * PickleArena.itemBytes, for: "\(count) more items", context: context, at: here)
    }

    /// The dict key for `value`, its hashing charged to the arena.
    private func key(_ value: PickleValue) throws -> PickleKey {
        guard let key = PickleKey(value) else { throw malformed("unhashable dict key of type \(value.typeName)") }
        try arena.chargeHashing(key, context: context, at: here)
        return key
    }

    private func setItems(_ dict: PickleDict, _ items: [PickleValue]) throws {
        guard items.count % 2 == 0 else { throw malformed("odd number of items for a dict") }
        // Key, value and an index entry (about the size of one more item) per pair.
        try chargeItems(items.count / 2 * 3)
        for k in stride(from: 0, to: items.count, by: 2) { dict.set(try key(items[k]), items[k], items[k + 1]) }
    }

    private mutating func memoize(_ index: UInt64) throws {
        let value = try top()
        if memo[index] == nil {
            guard memo.count < limits.maxPickleMemoEntries else {
                throw context.limit(.pickleMemoEntries, at: here,
                                    "more than \(limits.maxPickleMemoEntries) memo entries")
            }
            try arena.charge(PickleArena.memoEntryBytes, for: "memo entry \(memo.count + 1)", context: context,
                             at: here)
        }
        memo[index] = value
    }

    private mutating func fetch(_ index: UInt64) throws {
        guard let value = memo[index] else { throw malformed("memo entry \(index) was never stored") }
        try push(value)
    }

    // MARK: - Running

    /// Runs from the start position to STOP and returns the pickled object.
    mutating func run() throws -> PickleValue {
        while true {
            guard position < bytes.count else {
                throw context.error(.truncated, at: base + UInt64(position), "the pickle ends without STOP")
            }
            opcodeOffset = position
            let op = bytes[position]
            position += 1
            switch op {
            case 0x80:  // PROTO
                let version = try uint(1)
                guard version <= 5 else { throw malformed("pickle protocol \(version) is newer than 5") }
            case 0x95:  // FRAME: a length hint only; the bytes follow inline.
                let n = try uint(8)
                guard n <= UInt64(bytes.count - position) else {
                    throw context.error(.truncated, at: here,
                                        "FRAME announces \(n) bytes but \(bytes.count - position) remain")
                }
            case 0x2e:  // STOP
                guard marks.isEmpty, stack.count == 1 else {
                    throw malformed("STOP with \(stack.count) items on the stack and \(marks.count) open MARKs")
                }
                return stack.removeLast()

            // Constants and numbers
            case 0x4e: try push(.none)
            case 0x88: try push(.bool(true))
            case 0x89: try push(.bool(false))
            case 0x4a: try push(.int(Int64(Int32(bitPattern: UInt32(try uint(4))))))  // BININT
            case 0x4b: try push(.int(Int64(try uint(1))))  // BININT1
            case 0x4d: try push(.int(Int64(try uint(2))))  // BININT2
            case 0x8a:  // LONG1
                try push(try long(Int(try uint(1))))
            case 0x8b:  // LONG4
                let n = Int32(bitPattern: UInt32(try uint(4)))
                guard n >= 0 else { throw malformed("negative length \(n)") }
                guard Int(n) <= limits.maxPickleStringBytes else {
                    throw context.limit(.pickleStringBytes, at: here, "a \(n)-byte integer exceeds the limit")
                }
                try arena.charge(UInt64(n) + 32, for: "a \(n)-byte integer", context: context, at: here)
                try push(try long(Int(n)))
            case 0x47:  // BINFLOAT: big-endian, unlike every integer
                let raw = try take(8, "a double")
                try push(.float(Double(bitPattern: raw.reduce(UInt64(0)) { $0 << 8 | UInt64($1) })))

            // Strings and bytes
            case 0x58: try push(.string(try text(try length(4))))  // BINUNICODE
            case 0x8c: try push(.string(try text(try length(1))))  // SHORT_BINUNICODE
            case 0x8d: try push(.string(try text(try length(8))))  // BINUNICODE8
            case 0x55, 0x54:  // SHORT_BINSTRING, BINSTRING: Python 2 str, read as Latin-1 like torch.load
                let n = op == 0x55 ? try length(1) : try length(4)
                try push(.string(String(String.UnicodeScalarView(try take(n, "a string").map { Unicode.Scalar($0) }))))
            case 0x43: try push(.bytes(Array(try take(try length(1), "bytes"))))  // SHORT_BINBYTES
            case 0x42: try push(.bytes(Array(try take(try length(4), "bytes"))))  // BINBYTES
            case 0x8e: try push(.bytes(Array(try take(try length(8), "bytes"))))  // BINBYTES8

            // Containers
            case 0x28:  // MARK
                guard marks.count < limits.maxPickleMarkDepth else {
                    throw context.limit(.pickleMarkDepth, at: here,
                                        "more than \(limits.maxPickleMarkDepth) nested MARKs")
                }
                marks.append(stack.count)
            case 0x29: try push(.tuple(try adopt(PickleTuple([]))))  // EMPTY_TUPLE
            case 0x74:  // TUPLE
                let items = try popMark()
                try push(.tuple(try adopt(PickleTuple(items), items: items.count)))
            case 0x85, 0x86, 0x87:  // TUPLE1-3
                let n = Int(op - 0x84)
                guard stack.count - frameBottom >= n else { throw malformed("stack underflow") }
                let items = Array(stack.suffix(n))
                stack.removeLast(n)
                try push(.tuple(try adopt(PickleTuple(items), items: n)))
            case 0x5d: try push(.list(try adopt(PickleList())))  // EMPTY_LIST
            case 0x6c:  // LIST
                let items = try popMark()
                try push(.list(try adopt(PickleList(items), items: items.count)))
            case 0x61:  // APPEND
                let value = try pop()
                guard case .list(let list) = try top(), !list.isSet else {
                    throw malformed("APPEND to a \(try top().typeName)")
                }
                try chargeItems(1)
                list.items.append(value)
            case 0x65:  // APPENDS
                let items = try popMark()
                guard case .list(let list) = try top(), !list.isSet else {
                    throw malformed("APPENDS to a \(try top().typeName)")
                }
                try chargeItems(items.count)
                list.items.append(contentsOf: items)
            case 0x8f: try push(.list(try adopt(PickleList(isSet: true))))  // EMPTY_SET
            case 0x90:  // ADDITEMS
                let items = try popMark()
                guard case .list(let set) = try top(), set.isSet else {
                    throw malformed("ADDITEMS to a \(try top().typeName)")
                }
                try chargeItems(items.count)
                set.items.append(contentsOf: items)
            case 0x91:  // FROZENSET
                let items = try popMark()
                try push(.list(try adopt(PickleList(items, isSet: true), items: items.count)))
            case 0x7d: try push(.dict(try adopt(PickleDict())))  // EMPTY_DICT
            case 0x64:  // DICT
                let items = try popMark()
                let dict = try adopt(PickleDict())
                try setItems(dict, items)
                try push(.dict(dict))
            case 0x73:  // SETITEM
                let value = try pop()
                let keyValue = try pop()
                guard case .dict(let dict) = try top() else { throw malformed("SETITEM on a \(try top().typeName)") }
                dict.set(try key(keyValue), keyValue, value)
            case 0x75:  // SETITEMS
                let items = try popMark()
                guard case .dict(let dict) = try top() else { throw malformed("SETITEMS on a \(try top().typeName)") }
                try setItems(dict, items)

            // Stack manipulation
            case 0x30:  // POP: an empty frame pops its MARK, as in CPython
                if stack.count > frameBottom { stack.removeLast() } else { _ = try popMark() }
            case 0x31: _ = try popMark()  // POP_MARK
            case 0x32: try push(try top())  // DUP

            // Memo
            case 0x71: try memoize(try uint(1))  // BINPUT
            case 0x72: try memoize(try uint(4))  // LONG_BINPUT
            case 0x94: try memoize(UInt64(memo.count))  // MEMOIZE
            case 0x68: try fetch(try uint(1))  // BINGET
            case 0x6a: try fetch(try uint(4))  // LONG_BINGET

            // Globals, calls and persistent ids: names only; PickleCalls decides what a call means.
            case 0x63:  // GLOBAL
                let module = try line()
                let name = try line()
                try push(.global(PickleGlobal(module: module, name: name)))
            case 0x93:  // STACK_GLOBAL
                let name = try pop(), module = try pop()
                guard case .string(let n) = name, case .string(let m) = module else {
                    throw malformed("STACK_GLOBAL needs two strings, not \(module.typeName) and \(name.typeName)")
                }
                guard m.utf8.count <= 256, n.utf8.count <= 256 else {
                    throw malformed("over-long module or class name")
                }
                try push(.global(PickleGlobal(module: m, name: n)))
            case 0x52:  // REDUCE
                let args = try pop(), callable = try pop()
                guard case .tuple(let tuple) = args else {
                    throw malformed("REDUCE arguments are a \(args.typeName), not a tuple")
                }
                try push(try calls.call(callable, tuple.items, arena: arena, context: context, at: here))
            case 0x81:  // NEWOBJ
                let args = try pop(), cls = try pop()
                guard case .tuple(let tuple) = args else {
                    throw malformed("NEWOBJ arguments are a \(args.typeName), not a tuple")
                }
                try push(try calls.newObject(cls, tuple.items, arena: arena, context: context, at: here))
            case 0x92:  // NEWOBJ_EX
                let kwargs = try pop(), args = try pop(), cls = try pop()
                guard case .tuple(let tuple) = args, case .dict = kwargs else {
                    throw malformed("NEWOBJ_EX needs a tuple and a dict")
                }
                try push(try calls.newObject(cls, tuple.items, arena: arena, context: context, at: here))
            case 0x62:  // BUILD
                let state = try pop()
                try calls.build(try top(), state: state, context: context, at: here)
            case 0x51:  // BINPERSID
                let pid = try pop()
                try push(try persistentLoad(pid, context, here))

            default:
                throw context.error(.pickleUnsupportedOpcode(op), at: here,
                                    "opcode \(PickleOpcode.name(op)) (0x\(String(op, radix: 16))) is not supported "
                                        + "by this reader")
            }
        }
    }

    /// LONG1/LONG4 payload: little-endian two's complement; up to 8 bytes become an `Int64`.
    private mutating func long(_ count: Int) throws -> PickleValue {
        let raw = Array(try take(count, "an integer"))
        guard count <= 8 else { return .bigInt(raw) }
        guard count > 0 else { return .int(0) }
        var value = littleEndianUInt64(raw)
        if raw[count - 1] & 0x80 != 0 && count < 8 { value |= ~0 << (8 * UInt64(count)) }  // sign-extend
        return .int(Int64(bitPattern: value))
    }
}
