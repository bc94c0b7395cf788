/// The entries of one Map slot that memory holds (docs/state.md). For a persistent slot it is a cache over the
/// store's rows: what turns read lately, and what they wrote until it is durable. For an ephemeral slot it is
/// every entry, since nothing is behind it. A pure value: the cell's memory decides when to read the store and
/// when to let go, and this says what it knows and what may go.
struct SlotCache {
    /// What the cache knows of a key.
    enum Lookup: Equatable {
        case present(Value)
        /// The key is not stored: a delete, a remembered miss, or a complete slot that lacks it.
        case absent
        /// Only the store knows.
        case miss
    }

    /// An entry may go once the batch that last wrote it is durable. Clean entries (read from the store) never
    /// were written; entries of an ephemeral slot never go.
    static let clean: UInt64 = 0
    static let forever: UInt64 = .max
    /// What an entry costs beyond its key: its place in the entries and the index.
    static let overhead = 160
    /// What a decoded value costs beyond its stored text: its boxes (a record's dictionary of fields). Measured:
    /// a worker holding 516,000 entries of a two-field record (33 bytes of key and JSON) held 417 bytes each.
    static let valueOverhead = 200

    /// What an entry read from the store, or written to it, costs: `value` is its stored JSON's length, nil
    /// for a key that is not stored.
    static func cost(storedKey: String, value: Int?) -> Int {
        overhead + storedKey.utf8.count + (value.map { valueOverhead + $0 } ?? 0)
    }

    /// What an entry costs by its decoded size, where no stored text is at hand (an ephemeral slot, a swap's
    /// migrated values): nil for a key that is not stored.
    static func cost(key: Value, value: Value?) -> Int {
        overhead + key.approximateBytes + (value?.approximateBytes ?? 0)
    }

    private struct Item {
        let key: Value
        /// nil: the key is not stored.
        var value: Value?
        var bytes: Int
        var pinnedUntil: UInt64
        /// Read since the clock's hand last passed: kept one more round.
        var referenced: Bool
    }

    private var index: [Value: Int] = [:]
    private var items: [Item] = []
    private var hand = 0
    private var presentCount = 0
    /// The bytes the entries cost, by `overhead` and their stored text's length.
    private(set) var bytes = 0
    /// How many keys the slot holds, as committed.
    private(set) var count: Int
    /// Every key the slot holds is here: a key not found is not stored, and the store need not be asked.
    private(set) var isComplete: Bool
    /// A write did not know whether its key was stored (an insert that did not read first): `count` is stale
    /// until `recount` sets it from the store's stats.
    private(set) var countIsPending = false

    /// A slot of `count` stored keys, none of them read yet (complete when it has none).
    init(count: Int) {
        self.count = count
        isComplete = count == 0
    }

    /// A slot of `count` stored keys (by default, as many as `entries`: held whole, as an ephemeral one is)
    /// holding `entries`, each costing `bytes(key, value)`: a swap's migrated memory.
    init(entries: [Value: Value], count: Int? = nil, pinnedUntil: UInt64, bytes: (Value, Value) -> Int) {
        self.count = count ?? entries.count
        isComplete = self.count == entries.count
        items.reserveCapacity(entries.count)
        for (key, value) in entries {
            let cost = bytes(key, value)
            index[key] = items.count
            items.append(Item(key: key, value: value, bytes: cost, pinnedUntil: pinnedUntil, referenced: false))
            self.bytes += cost
        }
        presentCount = entries.count
    }

    var entryCount: Int { items.count }

    /// What the cache knows of `key`; a hit keeps the entry a round longer.
    mutating func lookup(_ key: Value) -> Lookup {
        if let position = index[key] {
            items[position].referenced = true
            return items[position].value.map(Lookup.present) ?? .absent
        }
        return isComplete ? .absent : .miss
    }

    /// The entry for `key`, if one is held, without touching it.
    func peek(_ key: Value) -> Lookup {
        if let position = index[key] { return items[position].value.map(Lookup.present) ?? .absent }
        return isComplete ? .absent : .miss
    }

    /// What a miss found in the store (nil: not stored), kept as a clean entry. Returns the bytes it adds.
    @discardableResult
    mutating func fill(_ key: Value, _ value: Value?, bytes: Int) -> Int {
        guard index[key] == nil else { return 0 }
        index[key] = items.count
        items.append(Item(key: key, value: value, bytes: bytes, pinnedUntil: Self.clean, referenced: true))
        if value != nil { presentCount += 1 }
        self.bytes += bytes
        noteIfComplete()
        return bytes
    }

    /// A committed write (nil: a delete), pinned until `pinnedUntil` is durable. `existed` is whether the key was
    /// stored before, as the turn found it: the count follows it; nil (not known) leaves the count pending.
    /// Returns the change in bytes.
    @discardableResult
    mutating func write(_ key: Value, _ value: Value?, existed: Bool?, bytes: Int, pinnedUntil: UInt64) -> Int {
        if let existed {
            count += (value != nil ? 1 : 0) - (existed ? 1 : 0)
        } else {
            countIsPending = true
        }
        if let position = index[key] {
            let before = items[position]
            items[position].value = value
            items[position].bytes = bytes
            items[position].pinnedUntil = max(before.pinnedUntil, pinnedUntil)
            items[position].referenced = true
            presentCount += (value != nil ? 1 : 0) - (before.value != nil ? 1 : 0)
            self.bytes += bytes - before.bytes
            noteIfComplete()
            return bytes - before.bytes
        }
        index[key] = items.count
        items.append(Item(key: key, value: value, bytes: bytes, pinnedUntil: pinnedUntil, referenced: true))
        if value != nil { presentCount += 1 }
        self.bytes += bytes
        noteIfComplete()
        return bytes
    }

    /// A delete in a slot held whole with nothing behind it (an ephemeral one): the entry goes, since a key the
    /// slot lacks is then not stored. Returns the change in bytes.
    mutating func forget(_ key: Value) -> Int {
        guard let position = index[key] else { return 0 }
        let item = remove(at: position)
        if item.value != nil { count -= 1 }
        return -item.bytes
    }

    /// What the entry of `key` costs now (0: none held).
    func bytes(of key: Value) -> Int {
        index[key].map { items[$0].bytes } ?? 0
    }

    /// Puts `key`'s committed value (nil: not stored) in place as a clean entry, the count unchanged: a swap
    /// migrating a key turns wrote after its dry run, with the slot's count set after by `recount`.
    mutating func replace(_ key: Value, _ value: Value?, bytes: Int) {
        guard let position = index[key] else {
            fill(key, value, bytes: bytes)
            return
        }
        presentCount += (value != nil ? 1 : 0) - (items[position].value != nil ? 1 : 0)
        self.bytes += bytes - items[position].bytes
        items[position].value = value
        items[position].bytes = bytes
    }

    /// How many keys the slot holds as committed now; it is complete when every one of them is here.
    mutating func recount(_ count: Int) {
        self.count = count
        countIsPending = false
        isComplete = presentCount == count
    }

    /// Pins the entries of `keys` until the batch `sequence` is durable: its number is known only once the batch
    /// is queued, after the turn's writes were applied (written pinned forever until then).
    mutating func pin(_ keys: some Sequence<Value>, until sequence: UInt64) {
        for key in keys {
            if let position = index[key] { items[position].pinnedUntil = sequence }
        }
    }

    /// Lets go of entries the store holds (those whose last write is durable by `durable`), least recently used
    /// first by the clock's second chance, until `target` bytes are freed or none is left to let go. Returns the
    /// bytes freed. A slot that lets go of a stored key is no longer complete.
    mutating func evict(freeing target: Int, durable: UInt64) -> Int {
        var freed = 0
        var steps = 2 * items.count
        while freed < target, !items.isEmpty, steps > 0 {
            steps -= 1
            if hand >= items.count { hand = 0 }
            if items[hand].pinnedUntil > durable {
                hand += 1
            } else if items[hand].referenced {
                items[hand].referenced = false
                hand += 1
            } else {
                let item = remove(at: hand)
                freed += item.bytes
                if item.value != nil { isComplete = false }
            }
        }
        return freed
    }

    /// Every present entry, in no order.
    func forEachPresent(_ body: (Value, Value) throws -> Void) rethrows {
        for item in items { if let value = item.value { try body(item.key, value) } }
    }

    /// Every entry whose last write may not be in the store yet (pinned past `durable`), present or not.
    func forEachPinned(after durable: UInt64, _ body: (Value, Value?) throws -> Void) rethrows {
        for item in items where item.pinnedUntil > durable { try body(item.key, item.value) }
    }

    /// Every entry held, present or not, in no order: what overrides the store's rows.
    func forEachEntry(_ body: (Value, Value?) throws -> Void) rethrows {
        for item in items { try body(item.key, item.value) }
    }

    private mutating func remove(at position: Int) -> Item {
        let item = items[position]
        index[item.key] = nil
        let last = items.removeLast()
        if position < items.count {
            items[position] = last
            index[last.key] = position
        }
        if item.value != nil { presentCount -= 1 }
        bytes -= item.bytes
        return item
    }

    private mutating func noteIfComplete() {
        if !isComplete && !countIsPending && presentCount == count { isComplete = true }
    }
}
