import GRDB

/// The store as it was at one moment, read while the committer goes on writing (a WAL read transaction): where
/// a swap's dry run reads the slots memory does not hold whole.
public final class StoreSnapshot: Sendable {
    let snapshot: DatabaseSnapshot
    let path: String

    init(snapshot: DatabaseSnapshot, path: String) {
        self.snapshot = snapshot
        self.path = path
    }

    /// Every stored value of a slot as it was, one at a time; none is kept. What `body` throws goes through.
    public func forEachValue(cell: String, slot: String, _ body: (StoredState.SlotValue) throws -> Void) throws {
        do {
            try snapshot.read { db in try StateStore.forEachValue(db, cell: cell, slot: slot, body) }
        } catch let error as DatabaseError {
            throw StorageError(code: "state-read", path: path, operation: "reading \(cell).\(slot) from a snapshot", underlying: "\(error)")
        }
    }
}

extension StateStore {
    /// The store as committed now, for reads that must all see one moment.
    public func snapshot() throws -> StoreSnapshot {
        do {
            return StoreSnapshot(snapshot: try database.makeSnapshot(), path: path)
        } catch {
            throw StorageError(code: "state-read", path: path, operation: "opening a snapshot of the state", underlying: "\(error)")
        }
    }
}
