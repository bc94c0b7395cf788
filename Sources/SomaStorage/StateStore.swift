import Foundation
import GRDB
import SomaProtocol

/// The program's durable memory: one SQLite database in WAL mode, written by one committer thread that
/// groups the batches of concurrent turns into one transaction (group commit). A turn is acknowledged only
/// after the transaction holding its batch has committed with `synchronous = FULL`.
// Unchecked: the queue of batches, the waiters, the sequence numbers and the full-disk mode are read and
// written under `condition`; the database is GRDB's, which serializes its own access.
public final class StateStore: @unchecked Sendable {
    public let path: String
    let database: DatabasePool
    private let condition = NSCondition()
    private var pending: [(sequence: UInt64, batch: WriteBatch)] = []
    private var waiters: [UInt64: [CheckedContinuation<Void, any Error>]] = [:]
    private var lastEnqueued: UInt64 = 0
    private var lastDurable: UInt64 = 0
    private var failure: StorageError?
    /// The disk is full: batches are dropped (rejected) until memory is back in step and a probe write succeeds.
    private var full = false
    /// Memory may hold writes of rejected batches: until the turn engine has reloaded it, read-only turns fail too.
    private var memoryAhead = false
    private var rejected = RejectedSequences()
    /// The last batch enqueued and not rejected: what a read-only turn waits for.
    private var lastAccepted: UInt64 = 0
    /// Told (on the committer's thread, or the enqueuing one) when writes stop for want of space, and when they
    /// resume. Set once, before turns run.
    private var diskFullObserver: (@Sendable (_ full: Bool) -> Void)?
    private var stopping = false
    private var committer: Thread?
    /// Lazily migrated slots whose rows a turn may overwrite before the swap that migrated them has finished:
    /// what a turn replaces there is kept for `undoRewrite` (read by the committer, set under `condition`).
    var capturing: Set<SlotID> = []

    struct SlotID: Hashable {
        var cell: String
        var slot: String
    }

    public init(path: String) throws {
        self.path = path
        do {
            database = try DurableDatabase.openPool(path: path, label: "soma.state")
            try DurableDatabase.migrate(Self.migrator, database)
        } catch {
            throw StorageError(code: "state-open", path: path, operation: "opening the state database", underlying: "\(error)")
        }
        let thread = Thread { [weak self] in self?.commitLoop() }
        thread.name = "soma-committer"
        committer = thread
        thread.start()
    }

    /// Queues a batch for the next group commit and returns its sequence number. Batches commit in the order
    /// they are enqueued, so a durable sequence number means every earlier batch is durable too. While the disk
    /// is full the batch is dropped, and waiting for its number fails with `disk-full`; `touchesMemory` says
    /// whether the caller applied it to the turn engine's memory first (which must then be reloaded).
    public func enqueue(_ batch: WriteBatch, touchesMemory: Bool = true) -> UInt64 {
        condition.lock()
        lastEnqueued += 1
        let sequence = lastEnqueued
        guard !full else {
            rejected.insert(sequence)
            let wasAhead = memoryAhead
            if touchesMemory { memoryAhead = true }
            let observer = diskFullObserver
            condition.unlock()
            if touchesMemory && !wasAhead { observer?(true) }
            return sequence
        }
        lastAccepted = sequence
        pending.append((sequence, batch))
        condition.broadcast()
        condition.unlock()
        return sequence
    }

    /// The last batch whose writes memory may show: a read-only turn waits for it, because what it read may
    /// come from turns whose commit is still in flight. The last batch accepted; while memory may hold rejected
    /// writes, a rejected one, so that the wait fails.
    public var visibleSequence: UInt64 {
        condition.lock()
        defer { condition.unlock() }
        return memoryAhead ? lastEnqueued : lastAccepted
    }

    /// Every batch up to this one is durable: memory may let go of what they wrote, since a read from the store
    /// now finds it.
    public var durableSequence: UInt64 {
        condition.lock()
        defer { condition.unlock() }
        return lastDurable
    }

    /// True from a commit that failed for want of space until writing works again: a turn that would write
    /// is refused before it changes memory.
    public var refusesWrites: Bool {
        condition.lock()
        defer { condition.unlock() }
        return full
    }

    public func observeDiskFull(_ observer: @escaping @Sendable (_ full: Bool) -> Void) {
        condition.lock()
        defer { condition.unlock() }
        diskFullObserver = observer
    }

    /// The turn engine has put its memory back to what is durable: read-only turns wait for what they read
    /// again, and the committer may probe for space.
    public func memoryMatchesDisk() {
        condition.lock()
        defer { condition.unlock() }
        memoryAhead = false
        lastAccepted = lastDurable
        condition.broadcast()
    }

    /// Whether this batch was dropped because the disk was full.
    public func wasRejected(_ sequence: UInt64) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        return rejected.contains(sequence)
    }

    var diskFullError: StorageError {
        StorageError(code: StorageError.diskFull, path: path, operation: "committing", underlying: "the disk is full")
    }

    /// Returns once the batch with this sequence number (and every earlier one) is durable.
    public func waitUntilDurable(_ sequence: UInt64) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            condition.lock()
            if rejected.contains(sequence) {
                condition.unlock()
                continuation.resume(throwing: diskFullError)
            } else if let failure {
                condition.unlock()
                continuation.resume(throwing: failure)
            } else if sequence <= lastDurable {
                condition.unlock()
                continuation.resume()
            } else {
                waiters[sequence, default: []].append(continuation)
                condition.unlock()
            }
        }
    }

    /// The blocking form of `waitUntilDurable`, for threads outside Swift concurrency (the effect pump).
    public func waitUntilDurableBlocking(_ sequence: UInt64) throws {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if rejected.contains(sequence) { throw diskFullError }
            if sequence <= lastDurable { return }
            if let failure { throw failure }
            condition.wait()
        }
    }

    /// Starts (or, with an empty set, stops) keeping what turns replace in these slots for `undoRewrite`.
    func capture(_ slots: Set<SlotID>) {
        condition.lock()
        defer { condition.unlock() }
        capturing = slots
    }

    /// Commits what is queued and stops the committer thread.
    public func close() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while committer != nil {
            condition.wait()
        }
        condition.unlock()
    }

    private func commitLoop() {
        while true {
            condition.lock()
            while full && !stopping {
                // Nothing is accepted while the disk is full; once memory is back in step, look for space.
                if !memoryAhead {
                    condition.unlock()
                    let room = probeSpace()
                    condition.lock()
                    if room && !memoryAhead {
                        full = false
                        let observer = diskFullObserver
                        condition.unlock()
                        observer?(false)
                        condition.lock()
                        break
                    }
                }
                _ = condition.wait(until: Date().addingTimeInterval(Self.spaceProbeInterval))
            }
            while pending.isEmpty && !stopping {
                condition.wait()
            }
            if pending.isEmpty && stopping {
                committer = nil
                condition.broadcast()
                condition.unlock()
                return
            }
            let group = pending
            pending.removeAll(keepingCapacity: true)
            let capturing = self.capturing
            condition.unlock()

            var storageFailure: StorageError?
            do {
                try database.writeInTransaction { db in
                    for (_, batch) in group {
                        try Self.apply(batch, to: db, capturing: capturing)
                    }
                    return .commit
                }
            } catch let error as DatabaseError where error.resultCode == .SQLITE_FULL {
                storageFailure = diskFullError
            } catch {
                storageFailure = StorageError(code: "state-commit", path: path, operation: "committing \(group.count) turn(s)", underlying: "\(error)")
            }

            condition.lock()
            var resumed: [CheckedContinuation<Void, any Error>] = []
            var observer: (@Sendable (Bool) -> Void)?
            if let storageFailure, storageFailure.isDiskFull, let first = group.first?.sequence {
                // Nothing of this group is durable, and the batches queued behind it may have read its writes:
                // all of them fail, memory goes back to the disk, and writing stops until space returns.
                rejected.insert(first...lastEnqueued)
                pending.removeAll()
                full = true
                memoryAhead = true
                observer = diskFullObserver
                resumed = waiters.values.flatMap { $0 }
                waiters.removeAll()
                condition.broadcast()
            } else if let storageFailure {
                // Memory and disk now disagree: every waiter fails, and so does every later turn.
                failure = storageFailure
                resumed = waiters.values.flatMap { $0 }
                waiters.removeAll()
                condition.broadcast()
            } else {
                lastDurable = group.last?.sequence ?? lastDurable
                condition.broadcast()
                for sequence in waiters.keys where sequence <= lastDurable {
                    resumed.append(contentsOf: waiters.removeValue(forKey: sequence) ?? [])
                }
            }
            condition.unlock()
            observer?(true)
            for continuation in resumed {
                if let storageFailure { continuation.resume(throwing: storageFailure) } else { continuation.resume() }
            }
        }
    }

    static let spaceProbeInterval: TimeInterval = 0.5

    /// A small write of its own: when it commits, there is room again.
    private func probeSpace() -> Bool {
        do {
            try database.writeInTransaction { db in
                try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('space_probe', ?)", arguments: [String(Date().timeIntervalSince1970)])
                return .commit
            }
            return true
        } catch {
            return false
        }
    }

    static func apply(_ batch: WriteBatch, to db: Database, capturing: Set<SlotID> = []) throws {
        for change in batch.changes {
            if !capturing.isEmpty { try captureForUndo(change, db, capturing) }
            switch change {
            case .putValue(let cell, let slot, let key, let version, let json, let ord):
                // An UPSERT, as every write of a row (slot_stats' triggers count on it). A row there already keeps
                // its order key, which follows from the key: the index is not touched (one without is the backfill's).
                try db.cachedStatement(sql: """
                    INSERT INTO slot_values (cell, slot, key, version, value, ord) VALUES (?, ?, ?, ?, ?, ?)
                      ON CONFLICT (cell, slot, key) DO UPDATE SET version = excluded.version, value = excluded.value
                    """)
                    .execute(arguments: [cell, slot, key, version, json, ord])
            case .putOrder(let cell, let slot, let key, let ord):
                try db.cachedStatement(sql: "UPDATE slot_values SET ord = ? WHERE cell = ? AND slot = ? AND key = ? AND ord IS NULL")
                    .execute(arguments: [ord, cell, slot, key])
            case .deleteValue(let cell, let slot, let key):
                try db.cachedStatement(sql: "DELETE FROM slot_values WHERE cell = ? AND slot = ? AND key = ?").execute(arguments: [cell, slot, key])
            case .restampValue(let cell, let slot, let key, let version, let json):
                try db.cachedStatement(sql: "UPDATE slot_values SET version = ?, value = ? WHERE cell = ? AND slot = ? AND key = ? AND version <> ?")
                    .execute(arguments: [version, json, cell, slot, key, version])
            case .clearSlot(let cell, let slot):
                try db.execute(sql: "DELETE FROM slot_values WHERE cell = ? AND slot = ?", arguments: [cell, slot])
            case .putState(let cell, let machine, let key, let state):
                // Keys come from callers and may hold any character: stored byte for byte.
                try db.cachedStatement(sql: "INSERT OR REPLACE INTO machine_states (cell, machine, key, state) VALUES (?, ?, \(ExactText.placeholder), ?)")
                    .execute(arguments: [cell, machine, ExactText.bindable(key.databaseValue), state])
            case .addSend(let id, let cell, let signal, let arguments):
                try db.cachedStatement(sql: "INSERT INTO pending_sends (id, cell, signal, arguments) VALUES (?, ?, ?, ?)")
                    .execute(arguments: [id, cell, signal, arguments])
            case .removeSend(let id):
                try db.cachedStatement(sql: "DELETE FROM pending_sends WHERE id = ?").execute(arguments: [id])
            case .addEffect(let id, let resource, let operation, let payload):
                try db.cachedStatement(sql: "INSERT INTO pending_effects (id, resource, operation, payload) VALUES (?, ?, ?, ?)")
                    .execute(arguments: [id, resource, operation, payload])
            case .removeEffect(let id):
                try db.cachedStatement(sql: "DELETE FROM pending_effects WHERE id = ?").execute(arguments: [id])
            case .setAsideEffect(let id, let error, let failedAt):
                try db.cachedStatement(sql: """
                    INSERT OR REPLACE INTO set_aside_effects (id, resource, operation, payload, error, failed_at)
                      SELECT id, resource, operation, payload, ?, ? FROM pending_effects WHERE id = ?
                    """).execute(arguments: [error, failedAt, id])
                try db.cachedStatement(sql: "DELETE FROM pending_effects WHERE id = ?").execute(arguments: [id])
            case .putAggregate(let cell, let name, let slot, let value?):
                try db.cachedStatement(sql: "INSERT OR REPLACE INTO slot_aggregates (cell, name, slot, value) VALUES (?, ?, ?, ?)")
                    .execute(arguments: [cell, name, slot, value])
            case .putAggregate(let cell, let name, _, nil):
                try db.cachedStatement(sql: "DELETE FROM slot_aggregates WHERE cell = ? AND name = ?").execute(arguments: [cell, name])
            }
        }
    }

    /// The row a change replaces in a slot being captured, kept once (the first is what the swap found).
    static func captureForUndo(_ change: WriteBatch.Change, _ db: Database, _ capturing: Set<SlotID>) throws {
        switch change {
        case .putValue(let cell, let slot, let key, _, _, _), .deleteValue(let cell, let slot, let key):
            guard capturing.contains(SlotID(cell: cell, slot: slot)) else { return }
            try db.cachedStatement(sql: """
                INSERT OR IGNORE INTO swap_undo_values (cell, slot, key, version, value, ord)
                  SELECT cell, slot, key, version, value, ord FROM slot_values WHERE cell = ? AND slot = ? AND key = ?
                """)
                .execute(arguments: [cell, slot, key])
        case .clearSlot(let cell, let slot):
            guard capturing.contains(SlotID(cell: cell, slot: slot)) else { return }
            try db.execute(sql: """
                INSERT OR IGNORE INTO swap_undo_values (cell, slot, key, version, value, ord)
                  SELECT cell, slot, key, version, value, ord FROM slot_values WHERE cell = ? AND slot = ?
                """, arguments: [cell, slot])
        default:
            return
        }
    }
}
