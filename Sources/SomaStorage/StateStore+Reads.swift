import GRDB
import SomaProtocol

/// What the store holds, read on a reader connection of the pool: a read sees the last committed transaction
/// and never waits for the committer's.
extension StateStore {
    /// How many effects each resource has set aside, without reading them.
    public func setAsideCounts() throws -> [String: Int] {
        do {
            return try database.read { db in
                var counts: [String: Int] = [:]
                for row in try Row.fetchAll(db, sql: "SELECT resource, COUNT(*) FROM set_aside_effects GROUP BY resource") { counts[row[0]] = row[1] }
                return counts
            }
        } catch {
            throw StorageError(code: "state-read", path: path, operation: "counting the set-aside effects", underlying: "\(error)")
        }
    }

    /// The effects set aside because their resource refused them for good, oldest first.
    public func setAsideEffects() throws -> [SetAsideEffect] {
        do {
            return try database.read { db in
                try Row.fetchAll(db, sql: "SELECT id, resource, operation, payload, error, failed_at FROM set_aside_effects ORDER BY id").map {
                    SetAsideEffect(id: $0[0], resource: $0[1], operation: $0[2], payload: $0[3], error: $0[4], failedAt: $0[5])
                }
            }
        } catch {
            throw StorageError(code: "state-read", path: path, operation: "reading the set-aside effects", underlying: "\(error)")
        }
    }

    /// The stored values of scalar slots (their key is empty), found through slot_stats.
    static let scalarRows = """
        SELECT v.cell, v.slot, v.key, v.version, v.value FROM (SELECT DISTINCT cell, slot FROM slot_stats WHERE entries > 0) AS s
          CROSS JOIN slot_values AS v ON v.cell = s.cell AND v.slot = s.slot AND v.key = ''
        """

    /// What a worker starts from: the scalar slots, the state machines, the sends and effects in flight and each
    /// slot's count. A Map's entries are not read: memory reads them when turns do.
    public func load() throws -> StoredState {
        do {
            return try database.read { db in
                var state = StoredState()
                // A point read per slot that slot_stats knows (CROSS JOIN keeps slot_stats the outer loop): a scan for the
                // empty key would read every row.
                for row in try Row.fetchAll(db, sql: Self.scalarRows) {
                    state.values.append(.init(cell: row[0], slot: row[1], key: row[2], version: row[3], json: row[4]))
                }
                let states = try Row.fetchCursor(db, sql: "SELECT cell, machine, key, state FROM machine_states")
                while let row = try states.next() {
                    state.states.append(.init(cell: row[0], machine: row[1], key: try row.exactText(atIndex: 2), state: row[3]))
                }
                for row in try Row.fetchAll(db, sql: "SELECT id, cell, signal, arguments FROM pending_sends ORDER BY id") {
                    state.sends.append(.init(id: row[0], cell: row[1], signal: row[2], arguments: row[3]))
                }
                for row in try Row.fetchAll(db, sql: "SELECT cell, slot, version, entries FROM slot_stats WHERE entries > 0") {
                    state.stats.append(.init(cell: row[0], slot: row[1], version: row[2], entries: row[3]))
                }
                for row in try Row.fetchAll(db, sql: "SELECT id, resource, operation, payload FROM pending_effects ORDER BY id") {
                    state.effects.append(.init(id: row[0], resource: row[1], operation: row[2], payload: row[3]))
                }
                for row in try Row.fetchAll(db, sql: "SELECT cell, name, value FROM slot_aggregates") {
                    state.aggregates[row[0], default: [:]][row[1]] = row[2]
                }
                return state
            }
        } catch {
            throw StorageError(code: "state-read", path: path, operation: "reading the stored state", underlying: "\(error)")
        }
    }

    /// One stored value of a slot, for a turn that misses in memory; nil when the key is not stored.
    public func storedValue(cell: String, slot: String, key: String) throws -> StoredState.SlotValue? {
        do {
            return try database.read { db in
                try Row.fetchOne(db.cachedStatement(sql: "SELECT version, value FROM slot_values WHERE cell = ? AND slot = ? AND key = ?"),
                                 arguments: [cell, slot, key])
                    .map { StoredState.SlotValue(cell: cell, slot: slot, key: key, version: $0[0], json: $0[1]) }
            }
        } catch {
            throw StorageError(code: "state-read", path: path, operation: "reading \(cell).\(slot) at \(key)", underlying: "\(error)")
        }
    }

    /// Every stored value of a slot, one at a time, from one consistent snapshot; none is kept. What `body`
    /// throws goes through as it is.
    public func forEachValue(cell: String, slot: String, _ body: (StoredState.SlotValue) throws -> Void) throws {
        do {
            try database.read { db in try Self.forEachValue(db, cell: cell, slot: slot, body) }
        } catch let error as DatabaseError {
            throw StorageError(code: "state-read", path: path, operation: "reading \(cell).\(slot)", underlying: "\(error)")
        }
    }

    static func forEachValue(_ db: Database, cell: String, slot: String, _ body: (StoredState.SlotValue) throws -> Void) throws {
        let rows = try Row.fetchCursor(db, sql: "SELECT key, version, value FROM slot_values WHERE cell = ? AND slot = ? ORDER BY key", arguments: [cell, slot])
        while let row = try rows.next() {
            try body(StoredState.SlotValue(cell: cell, slot: slot, key: row[0], version: row[1], json: row[2]))
        }
    }

    /// Up to `limit` stored values of a slot in stored-key order, after the key `after`: a scan a chunk at a time.
    public func storedValues(cell: String, slot: String, after: String?, limit: Int) throws -> [StoredState.SlotValue] {
        do {
            return try database.read { db in
                try Row.fetchAll(db.cachedStatement(sql: "SELECT key, version, value FROM slot_values WHERE cell = ? AND slot = ? AND key > ? ORDER BY key LIMIT ?"),
                                 arguments: [cell, slot, after ?? "", limit])
                    .map { StoredState.SlotValue(cell: cell, slot: slot, key: $0[0], version: $0[1], json: $0[2]) }
            }
        } catch {
            throw StorageError(code: "state-read", path: path, operation: "reading \(cell).\(slot) after \(after ?? "the first key")", underlying: "\(error)")
        }
    }

    /// How many keys a slot holds, at every version, as committed.
    public func storedCount(cell: String, slot: String) throws -> Int {
        do {
            return try database.read { db in
                try Int.fetchOne(db, sql: "SELECT COALESCE(SUM(entries), 0) FROM slot_stats WHERE cell = ? AND slot = ?", arguments: [cell, slot]) ?? 0
            }
        } catch {
            throw StorageError(code: "state-read", path: path, operation: "counting \(cell).\(slot)", underlying: "\(error)")
        }
    }

    /// How many keys each slot holds at each version (a scalar slot holds one once written).
    public func slotStats() throws -> [StoredState.SlotStat] {
        do {
            return try database.read { db in
                try Row.fetchAll(db, sql: "SELECT cell, slot, version, entries FROM slot_stats WHERE entries > 0").map {
                    StoredState.SlotStat(cell: $0[0], slot: $0[1], version: $0[2], entries: $0[3])
                }
            }
        } catch {
            throw StorageError(code: "state-read", path: path, operation: "counting the stored values", underlying: "\(error)")
        }
    }

    /// Every stored value, for a check over all of them (a test, a scan for values that do not read).
    public func allValues() throws -> [StoredState.SlotValue] {
        do {
            return try database.read { db in
                try Row.fetchAll(db, sql: "SELECT cell, slot, key, version, value FROM slot_values ORDER BY cell, slot, key").map {
                    StoredState.SlotValue(cell: $0[0], slot: $0[1], key: $0[2], version: $0[3], json: $0[4])
                }
            }
        } catch {
            throw StorageError(code: "state-read", path: path, operation: "reading the stored values", underlying: "\(error)")
        }
    }
}
