/// A Python object as the pickle machine builds it. Nothing here can run code: globals are just names,
/// storages and tensors are descriptions of bytes in the archive, unknown objects are inert records.
/// Containers are classes because pickles mutate them after sharing them through the memo (APPEND to a list
/// that is already inside a dict must show through every reference). Large payloads are boxed (`indirect`) so
/// that every value on the stack or in a container stays small: a pickle of millions of values must not cost a
/// hundred bytes each.
enum PickleValue {
    case none
    case bool(Bool)
    case int(Int64)
    /// An integer too wide for `Int64`: little-endian two's complement bytes (LONG1/LONG4).
    case bigInt([UInt8])
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple(PickleTuple)
    case list(PickleList)
    case dict(PickleDict)
    /// A reference to `module.name`, never imported.
    indirect case global(PickleGlobal)
    /// A torch storage named by a persistent id.
    indirect case storage(TorchStorageRef)
    /// A tensor rebuilt (described) by an allow-listed `torch._utils._rebuild_*` call.
    indirect case tensor(TorchTensorRef)
    /// The inert result of a tolerated call or NEWOBJ (see ``CheckpointReadOptions/UnknownCalls/keepInert``).
    case object(PickleObject)

    /// The Python type name, for messages.
    var typeName: String {
        switch self {
        case .none: "None"
        case .bool: "bool"
        case .int, .bigInt: "int"
        case .float: "float"
        case .string: "str"
        case .bytes: "bytes"
        case .tuple: "tuple"
        case .list(let l): l.isSet ? "set" : "list"
        case .dict: "dict"
        case .global(let g): "global \(g.qualifiedName)"
        case .storage: "storage"
        case .tensor: "tensor"
        case .object(let o): "\(o.type.qualifiedName) object"
        }
    }
}

/// `module.name` as written by GLOBAL or STACK_GLOBAL.
struct PickleGlobal: Hashable {
    let module: String
    let name: String
    var qualifiedName: String { "\(module).\(name)" }
}

/// Every container registers with a ``PickleArena`` so that it can be emptied without recursion.
protocol PickleContainer: AnyObject {
    /// Drops every reference this container holds.
    func dismantle()
}

final class PickleTuple: PickleContainer {
    private(set) var items: [PickleValue]
    init(_ items: [PickleValue]) { self.items = items }
    func dismantle() { items = [] }
}

/// A list, or a set/frozenset (kept as a list; order and duplicates do not matter to us).
final class PickleList: PickleContainer {
    var items: [PickleValue]
    let isSet: Bool
    init(_ items: [PickleValue] = [], isSet: Bool = false) {
        self.items = items
        self.isSet = isSet
    }
    func dismantle() { items = [] }
}

/// A dict or OrderedDict: insertion order kept, a re-set key keeps its place (Python semantics).
final class PickleDict: PickleContainer {
    private(set) var entries: [(key: PickleValue, value: PickleValue)] = []
    private var index: [PickleKey: Int] = [:]
    /// State applied by BUILD (an OrderedDict's `_metadata` attribute); kept, never merged into the entries.
    var attributes: PickleValue? = nil

    func set(_ key: PickleKey, _ keyValue: PickleValue, _ value: PickleValue) {
        if let i = index[key] {
            entries[i].value = value
        } else {
            index[key] = entries.count
            entries.append((keyValue, value))
        }
    }

    func value(forString key: String) -> PickleValue? { index[.string(key)].map { entries[$0].value } }

    func dismantle() {
        entries = []
        index = [:]
        attributes = nil
    }
}

/// An object the reader does not model, produced by a tolerated call or NEWOBJ: its type, arguments and
/// BUILD state are recorded, nothing is executed.
final class PickleObject: PickleContainer {
    let type: PickleGlobal
    var arguments: [PickleValue]
    var state: PickleValue? = nil
    init(type: PickleGlobal, arguments: [PickleValue]) {
        self.type = type
        self.arguments = arguments
    }
    func dismantle() {
        arguments = []
        state = nil
    }
}

/// A hashable view of a dict key. Python hashes by value for these types; mutable containers are unhashable.
indirect enum PickleKey: Hashable {
    case none
    case bool(Bool)
    case int(Int64)
    case bigInt([UInt8])
    case float(UInt64)
    case string(String)
    case bytes([UInt8])
    case tuple([PickleKey])
    case global(PickleGlobal)
    case object(ObjectIdentifier)

    /// Roughly how many bytes hashing this key reads: strings and bytes by length, everything else a word.
    var hashCost: UInt64 {
        switch self {
        case .string(let s): UInt64(s.utf8.count) + 8
        case .bytes(let b), .bigInt(let b): UInt64(b.count) + 8
        case .tuple(let parts): parts.reduce(8) { $0 + $1.hashCost }
        default: 8
        }
    }

    /// The key for `value`, or nil if Python would raise "unhashable type" — or if the key is a tuple of more
    /// than 256 parts in all (tuples that share sub-tuples could otherwise take exponential time to hash).
    init?(_ value: PickleValue) {
        var budget = 256
        self.init(value, budget: &budget)
    }

    private init?(_ value: PickleValue, budget: inout Int) {
        guard budget > 0 else { return nil }
        budget -= 1
        switch value {
        case .none: self = .none
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(i)
        case .bigInt(let b): self = .bigInt(b)
        case .float(let d): self = .float(d.bitPattern)
        case .string(let s): self = .string(s)
        case .bytes(let b): self = .bytes(b)
        case .global(let g): self = .global(g)
        case .object(let o): self = .object(ObjectIdentifier(o))
        case .tuple(let t):
            var keys: [PickleKey] = []
            for item in t.items {
                guard let k = PickleKey(item, budget: &budget) else { return nil }
                keys.append(k)
            }
            self = .tuple(keys)
        case .list, .dict, .storage, .tensor: return nil
        }
    }
}

/// Owns every container a pickle creates, counts them against ``CheckpointLimits/maxPickleObjects`` and charges
/// their estimated memory — and that of the items they hold, the memo and the stack — to the file's
/// ``MemoryBudget``. ``dismantle()`` empties them one by one, so that releasing a 100,000-deep nest of lists (or a
/// list that contains itself) never recurses through `deinit` or leaks a cycle.
final class PickleArena {
    /// Estimated live bytes of one container: object header and fields, array header, its slot in the arena.
    static let containerBytes: UInt64 = 96
    /// One value held in a container, the stack or a string table: two strides, as arrays grow by doubling.
    static let itemBytes = UInt64(2 * MemoryLayout<PickleValue>.stride)
    /// One memo entry: key, value and hash-table overhead.
    static let memoEntryBytes: UInt64 = 96

    private var containers: [PickleContainer] = []
    let limit: Int
    private(set) var memory: MemoryBudget
    /// Dict key bytes hashed so far, and how many the pickle may hash (see
    /// ``CheckpointLimits/pickleKeyBytesPerPickleByte``).
    private var keyBytesHashed: UInt64 = 0
    let keyByteLimit: UInt64

    /// An arena for a pickle of `pickleBytes` bytes.
    init(limits: CheckpointLimits, memory: MemoryBudget, pickleBytes: Int) {
        self.limit = limits.maxPickleObjects
        self.memory = memory
        let (scaled, overflow) = UInt64(pickleBytes).multipliedReportingOverflow(by: limits.pickleKeyBytesPerPickleByte)
        self.keyByteLimit = overflow ? .max : max(UInt64(limits.maxPickleStringBytes), scaled)
    }

    /// Charges hashing `key` once (setting it in a dict), or throws ``CheckpointLimit/pickleKeyBytes``.
    func chargeHashing(_ key: PickleKey, context: CheckpointContext, at offset: UInt64) throws {
        keyBytesHashed += key.hashCost
        guard keyBytesHashed <= keyByteLimit else {
            throw context.limit(.pickleKeyBytes, at: offset,
                                "the pickle's dict keys would be hashed over \(keyByteLimit) bytes in all "
                                    + "(a long key set again and again)")
        }
    }

    var count: Int { containers.count }

    /// Registers `container` holding `items` values, or throws when the object limit or the memory budget is
    /// reached.
    func adopt<C: PickleContainer>(_ container: C, items: Int = 0, context: CheckpointContext,
                                   at offset: UInt64) throws -> C {
        guard containers.count < limit else {
            throw context.limit(.pickleObjects, at: offset, "the pickle creates more than \(limit) objects")
        }
        try charge(Self.containerBytes + UInt64(items) * Self.itemBytes, for: "another container", context: context,
                   at: offset)
        containers.append(container)
        return container
    }

    /// Charges `bytes` of pickle memory, or throws ``CheckpointLimit/memoryBudget``.
    func charge(_ bytes: UInt64, for what: @autoclosure () -> String, context: CheckpointContext,
                at offset: UInt64?) throws {
        guard memory.tryCharge(bytes) else {
            throw memory.exceeded(by: "the pickle's objects (\(containers.count) containers so far; now \(what()))",
                                  context: context, at: offset)
        }
    }

    func dismantle() {
        for container in containers { container.dismantle() }
        containers = []
    }
}
