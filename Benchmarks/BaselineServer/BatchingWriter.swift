import Foundation
import GRDB
import Synchronization

/// Group commit by hand: requests queue their rows; one thread writes everything queued in one transaction,
/// answers those requests once it is durable, and takes the next lot, which queued while it synced.
final class BatchingWriter: Sendable {
    private struct Pending {
        var rows: [(put: Put, done: CheckedContinuation<Void, any Error>)] = []
        var writing = false
    }

    private let database: DatabaseQueue
    private let pending = Mutex(Pending())

    init(database: DatabaseQueue) {
        self.database = database
    }

    func put(_ put: Put) async throws {
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
            let startsWriter = pending.withLock { pending in
                pending.rows.append((put, done))
                defer { pending.writing = true }
                return !pending.writing
            }
            if startsWriter { Thread.detachNewThread { self.write() } }
        }
    }

    private func write() {
        while true {
            let rows = pending.withLock { pending in
                defer { pending.rows = [] }
                if pending.rows.isEmpty { pending.writing = false }
                return pending.rows
            }
            guard !rows.isEmpty else { return }
            do {
                try database.write { db in
                    for row in rows {
                        try db.execute(sql: "INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)", arguments: [row.put.key, row.put.value])
                    }
                }
                for row in rows { row.done.resume() }
            } catch {
                for row in rows { row.done.resume(throwing: error) }
            }
        }
    }
}
