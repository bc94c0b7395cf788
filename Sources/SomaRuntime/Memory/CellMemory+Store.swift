import SomaChecker
import SomaProtocol
import SomaStorage

/// What memory reads from the store when its cache does not know: one key on a miss, a whole slot for a
/// whole-Map operation or a swap, every row for a scan. Each read is a reader connection of the store's pool,
/// which never waits for the committer. A cached entry is always the latest committed value of its key, and an
/// entry leaves the cache only once its last write is durable, so a key the cache does not hold is read from
/// the store as it was last committed (docs/state.md).
extension CellMemory {
    /// A Map slot's parts, for decoding its rows.
    struct SlotTypes: Sendable {
        var name: String
        var key: SomaType
        var value: SomaType

        init?(_ slot: SlotModel) {
            guard case .map(let key, let value) = slot.type else { return nil }
            (name, self.key, self.value) = (slot.name, key, value)
        }
    }

    /// The committed value of `key`: from the cache, or from the store on a miss, which the cache then keeps.
    /// A stored value that does not read is quarantined and fails the turn. `mayRead: false` (a turn on its
    /// caller's thread, which must not wait on the disk): a miss sends the turn to its lane instead.
    func committed(_ slot: SlotTypes, _ key: Value, program: RuntimeProgram, mayRead: Bool = true) throws -> Value? {
        switch lookup(slot.name, key) {
        case .present(let value): return value
        case .absent: return nil
        case .miss: if !mayRead { throw LaneRequired(always: false) }
        }
        let storedKey = program.codec.encode(key, as: slot.key)
        if let found = quarantinedValue(slot.name, storedKey: storedKey) { throw TurnState.quarantineError(found) }
        guard let row = try readStored(slot.name, storedKey) else {
            fill(slot.name, key, nil, bytes: SlotCache.cost(storedKey: storedKey, value: nil))
            return nil
        }
        let value = try decode(row, slot, program: program)
        fill(slot.name, key, value, bytes: SlotCache.cost(storedKey: storedKey, value: row.json.utf8.count))
        return value
    }

    /// Every committed entry of a Map slot: the cache's when it holds them all; else the store's rows with the
    /// cache's entries over them. Rows do not stay in the cache unless all of them fit in what the budget has
    /// left, so that a scan does not push out what turns read often.
    func entireSlot(_ slot: SlotTypes, program: RuntimeProgram) throws -> [Value: Value] {
        guard let cache = cache(of: slot.name) else { return [:] }
        var entries: [Value: Value] = [:]
        if cache.isComplete {
            entries.reserveCapacity(cache.count)
            cache.forEachPresent { entries[$0] = $1 }
            return entries
        }
        if let found = firstQuarantined(slot.name) { throw TurnState.quarantineError(found) }
        var read: [(key: Value, value: Value, bytes: Int)] = []
        var readBytes = 0
        let room = budget.room
        read.reserveCapacity(cache.count)
        try forEachStored(slot.name) { row in
            let key = try decodeKey(row, slot, program: program)
            guard case .miss = cache.peek(key) else { return }
            let value = try decode(row, slot, program: program)
            entries[key] = value
            let bytes = SlotCache.cost(storedKey: row.key, value: row.json.utf8.count)
            readBytes += bytes
            if readBytes <= room { read.append((key, value, bytes)) }
        }
        cache.forEachEntry { key, value in entries[key] = value }
        if readBytes <= room {
            for (key, value, bytes) in read { fill(slot.name, key, value, bytes: bytes) }
        }
        return entries
    }

    /// Every committed value of a Map slot, one at a time and none kept: the cache's, then the store's rows of
    /// keys the cache does not hold. A row that does not read is quarantined and fails the read.
    func forEachCommittedValue(_ slot: SlotTypes, program: RuntimeProgram, _ body: (Value) throws -> Void) throws {
        guard let cache = cache(of: slot.name) else { return }
        if !cache.isComplete {
            if let found = firstQuarantined(slot.name) { throw TurnState.quarantineError(found) }
            try forEachStored(slot.name) { row in
                let key = try decodeKey(row, slot, program: program)
                guard case .miss = cache.peek(key) else { return }
                try body(try decode(row, slot, program: program))
            }
        }
        try cache.forEachPresent { _, value in try body(value) }
    }

    /// A slot as it was when `cache` was copied from this memory and `snapshot` opened after it (so that nothing
    /// the cache let go of meanwhile is missing from the snapshot): the cache's entries over the snapshot's rows.
    /// A row that does not read is quarantined and fails the read: a migration cannot read it.
    func entireSlot(_ slot: SlotTypes, cache: SlotCache, snapshot: StoreSnapshot?, program: RuntimeProgram) throws -> [Value: Value] {
        var entries: [Value: Value] = [:]
        if cache.isComplete {
            cache.forEachPresent { entries[$0] = $1 }
            return entries
        }
        guard let snapshot else { throw TurnError(.storage, "\(cell).\(slot.name) is not held whole, and no snapshot of the store was opened") }
        entries.reserveCapacity(cache.count)
        do {
            try snapshot.forEachValue(cell: cell, slot: slot.name) { row in
                let key = try decodeKey(row, slot, program: program)
                guard case .miss = cache.peek(key) else { return }
                entries[key] = try decode(row, slot, program: program)
            }
        } catch let error as TurnError {
            throw error
        } catch {
            throw TurnError(.storage, "\(error)")
        }
        cache.forEachEntry { key, value in entries[key] = value }
        return entries
    }

    /// Up to `limit` stored rows of a Map slot after the stored key `after`, each decoded unless the cache holds
    /// its key: one that does not read is quarantined. Returns the last key read, nil once the slot is done. Run
    /// where no turn of the cell commits meanwhile (its lane), so that a row and the cache agree.
    func scanStored(_ slot: SlotTypes, program: RuntimeProgram, after: String?, limit: Int) -> Result<String?, TurnError> {
        do {
            let rows = try store.storedValues(cell: cell, slot: slot.name, after: after, limit: limit)
            for row in rows {
                do {
                    let key = try decodeKey(row, slot, program: program)
                    guard case .miss = lock.withLock({ maps[slot.name]?.peek(key) ?? .absent }) else { continue }
                    _ = try decode(row, slot, program: program)
                } catch let error as TurnError where error.kind == .quarantined {
                    continue
                }
            }
            return .success(rows.count < limit ? nil : rows.last?.key)
        } catch let error as TurnError {
            return .failure(error)
        } catch {
            return .failure(TurnError(.storage, "\(error)"))
        }
    }

    func readStored(_ slot: String, _ storedKey: String) throws -> StoredState.SlotValue? {
        do {
            return try store.storedValue(cell: cell, slot: slot, key: storedKey)
        } catch {
            throw TurnError(.storage, "\(error)")
        }
    }

    private func forEachStored(_ slot: String, _ body: (StoredState.SlotValue) throws -> Void) throws {
        budget.scan()
        do {
            try store.forEachValue(cell: cell, slot: slot) { row in
                budget.rowRead()
                try body(row)
            }
        } catch let error as TurnError {
            throw error
        } catch {
            throw TurnError(.storage, "\(error)")
        }
    }

    func decodeKey(_ row: StoredState.SlotValue, _ slot: SlotTypes, program: RuntimeProgram) throws -> Value {
        do {
            return try program.codec.decode(try JSONValue.parse(row.key), as: slot.key, path: "\(slot.name) key")
        } catch {
            throw quarantine(row, error: error)
        }
    }

    /// A stored value as the running program reads it: through its migration when a swap left it at an older
    /// version. One that does not read is quarantined.
    func decode(_ row: StoredState.SlotValue, _ slot: SlotTypes, program: RuntimeProgram) throws -> Value {
        do {
            return try Self.read(row, slot, program: program)
        } catch let error as TurnError {
            throw error
        } catch {
            throw quarantine(row, error: error)
        }
    }

    /// A stored value as the running program reads it, changing nothing: a `TurnError` for a row of a version
    /// the program does not know, else the error of a value that does not read.
    static func read(_ row: StoredState.SlotValue, _ slot: SlotTypes, program: RuntimeProgram) throws -> Value {
        let current = program.version(of: slot.value)
        guard row.version <= current else {
            throw TurnError(.storage, "\(row.cell).\(slot.name) holds values of version \(row.version); this program reads version \(current)")
        }
        let json = try JSONValue.parse(row.json)
        if row.version == current { return try program.codec.decode(json, as: slot.value, path: slot.name) }
        return try ValueUpgrader(program: program).upgrade(json, from: program.type(slot.value, atVersion: row.version), to: slot.value, path: slot.name)
    }

    static func quarantineNotice(_ value: QuarantinedValue) -> String {
        "quarantined \(value.subject): its stored value does not read (\(value.error)); turns that touch it fail until `soma repair` removes or replaces it"
    }

    private func quarantine(_ row: StoredState.SlotValue, error: any Error) -> TurnError {
        let value = QuarantinedValue(cell: row.cell, slot: row.slot, key: row.key, version: row.version, error: "\(error)", stored: row.json)
        if quarantinedValue(row.slot, storedKey: row.key) == nil {
            setQuarantined(value, slot: row.slot, storedKey: row.key)
            report(Self.quarantineNotice(value))
        }
        return TurnState.quarantineError(value)
    }
}
