import Foundation
import GRDB

/// A Map's rows in the order turns see its keys (`Value.precedes`): by `ord`, the order key the runtime computes
/// from each key and writes with the row (format step 8). SQLite compares blobs as `memcmp` does, so the index
/// `(cell, slot, ord)` lists them in that order. A row from before that step has none (NULL, which sorts first)
/// until the runtime's backfill gives it one.
extension StateStore {
    /// Every stored value of a slot with its order key (nil: none yet), in order-key order, one at a time from one
    /// consistent snapshot; none is kept. What `body` throws goes through as it is, and ends the read there.
    public func forEachValueInKeyOrder(cell: String, slot: String, _ body: (StoredState.SlotValue, Data?) throws -> Void) throws {
        do {
            try database.read { db in
                let rows = try Row.fetchCursor(
                    db.cachedStatement(sql: "SELECT key, version, value, ord FROM slot_values WHERE cell = ? AND slot = ? ORDER BY ord"),
                    arguments: [cell, slot])
                while let row = try rows.next() {
                    try body(StoredState.SlotValue(cell: cell, slot: slot, key: row[0], version: row[1], json: row[2]), row[3])
                }
            }
        } catch let error as DatabaseError {
            throw StorageError(code: "state-read", path: path, operation: "reading \(cell).\(slot) in key order", underlying: "\(error)")
        }
    }

    /// Whether a Map slot holds a row without an order key: one index probe.
    public func hasKeysWithoutOrder(cell: String, slot: String) throws -> Bool {
        try readStorage("looking for keys of \(cell).\(slot) without an order key") { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM slot_values WHERE cell = ? AND slot = ? AND ord IS NULL AND key > '')",
                              arguments: [cell, slot]) ?? false
        }
    }

    /// Up to `limit` stored keys of a Map slot without an order key, in stored-key order after `after`.
    public func keysWithoutOrder(cell: String, slot: String, after: String?, limit: Int) throws -> [String] {
        try readStorage("reading keys of \(cell).\(slot) without an order key") { db in
            try String.fetchAll(db.cachedStatement(sql: "SELECT key FROM slot_values WHERE cell = ? AND slot = ? AND ord IS NULL AND key > ? ORDER BY key LIMIT ?"),
                                arguments: [cell, slot, after ?? "", limit])
        }
    }
}
