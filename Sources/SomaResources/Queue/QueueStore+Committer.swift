import Foundation
import GRDB
import NIOCore

/// The group commit, on the queue's loop. Operations submitted during one turn of the loop are taken together
/// at its end. Leases go first, in a transaction that does not wait for the disk, and are answered at once: a
/// lease is not acknowledged data (the next durable commit carries it, a crash before forgets it and the
/// message is delivered again), and a consumer is not held by the group's pushes and acks reaching the disk.
/// Pushes, acks and nacks follow in one durable transaction, and leases that found nothing look again inside
/// it, so they see what was just pushed; they are answered after it. While the disk works, the loop waits, and
/// what arrives meanwhile forms the next group.
extension QueueStore {
    func enqueue(_ item: Pending) {
        eventLoop.preconditionInEventLoop()
        guard !stopping else {
            item.reply(.failure(ResourceError(code: "queue-stopping", "the queue is stopping")))
            return
        }
        pending.append(item)
        if !groupScheduled {
            groupScheduled = true
            // Runs after the reads of this turn of the loop, so everything they brought is one group.
            eventLoop.execute { self.runGroup() }
        }
    }

    func runGroup() {
        groupScheduled = false
        let group = parked + pending
        parked = []
        pending.removeAll(keepingCapacity: true)
        guard !group.isEmpty else { return }
        let now = Self.nowMilliseconds()
        let leases = group.indices.filter { group[$0].isLease }
        let writes = group.indices.filter { !group[$0].isLease }
        var unserved: [Int] = []

        if !leases.isEmpty {
            switch commit(durable: false, { db in try leases.map { try lease(max: group[$0].leaseMax, now: now, db: db) } }) {
            case .success(let batches):
                for (index, messages) in zip(leases, batches) {
                    if messages.isEmpty { unserved.append(index) } else { group[index].reply(.success(messages)) }
                }
            case .failure(let error):
                for index in leases { group[index].reply(.failure(error)) }
            }
        }

        var stillEmpty = unserved
        if !writes.isEmpty {
            let written = commit(durable: true) { db in
                for index in writes {
                    switch group[index].operation {
                    case .push(let messages): try Self.insert(messages, now: now, db: db)
                    case .ack(let ids): try Self.delete(ids, db: db)
                    case .nack(let ids): try Self.release(ids, db: db)
                    case .lease: break
                    }
                }
                return try unserved.map { try lease(max: group[$0].leaseMax, now: now, db: db) }
            }
            switch written {
            case .success(let batches):
                for index in writes { group[index].reply(.success([])) }
                stillEmpty = []
                for (index, messages) in zip(unserved, batches) {
                    if messages.isEmpty { stillEmpty.append(index) } else { group[index].reply(.success(messages)) }
                }
            case .failure(let error):
                for index in writes + unserved { group[index].reply(.failure(error)) }
                stillEmpty = []
            }
        }
        park(stillEmpty.map { group[$0] }, now: now)
    }

    /// Leases that found nothing wait for a push until their deadline; the others are answered with nothing.
    /// A push, an ack or a nack runs the parked leases again with its group; otherwise they look again when
    /// the first of them reaches its deadline or a leased message's visibility timeout passes, whichever is
    /// first (an idle queue does not wake up in between).
    private func park(_ leases: [Pending], now: UInt64) {
        for lease in leases {
            if case .lease(_, let deadline) = lease.operation, deadline > now, !stopping {
                parked.append(lease)
            } else {
                lease.reply(.success([]))
            }
        }
        guard !parked.isEmpty else { return }
        var wake = parked.compactMap { pending -> UInt64? in
            if case .lease(_, let deadline) = pending.operation { return deadline }
            return nil
        }.min() ?? now + 1000
        if let visible = nextVisible(after: now) { wake = min(wake, visible) }
        if recheck != nil && recheckAt <= wake { return }
        recheck?.cancel()
        recheckAt = wake
        recheck = eventLoop.scheduleTask(in: .milliseconds(Int64(wake > now ? wake - now : 1))) {
            self.recheck = nil
            if !self.groupScheduled { self.runGroup() }
        }
    }

    /// When the first leased message becomes visible again, if one is leased.
    private func nextVisible(after now: UInt64) -> UInt64? {
        let found = try? database.inDatabase { db in
            try Int64.fetchOne(db, sql: "SELECT MIN(visible_at) FROM messages WHERE visible_at > ?", arguments: [Int64(now)])
        }
        return found.flatMap { $0 }.map { UInt64($0) }
    }

    /// Runs what is queued, answers parked leases with nothing, and takes no more operations.
    func stop() {
        stopping = true
        recheck?.cancel()
        recheck = nil
        runGroup()
        let left = parked
        parked = []
        for lease in left { lease.reply(.success([])) }
    }

    /// One transaction; `durable: false` commits without waiting for the disk (the WAL is written in order, so
    /// the next durable commit makes it durable too).
    private func commit<T>(durable: Bool, _ body: (Database) throws -> T) -> Result<T, any Error> {
        do {
            return .success(try database.inDatabase { db in
                if !durable { try db.cachedStatement(sql: "PRAGMA synchronous = NORMAL").execute() }
                defer { if !durable { try? db.cachedStatement(sql: "PRAGMA synchronous = FULL").execute() } }
                var result: T?
                try db.inTransaction {
                    result = try body(db)
                    return .commit
                }
                return result!
            })
        } catch {
            return .failure(ResourceError(code: "queue-commit", "committing to the queue \(path): \(error)"))
        }
    }

    static func insert(_ messages: [QueueMessage], now: UInt64, db: Database) throws {
        let statement = try db.cachedStatement(sql: "INSERT OR IGNORE INTO messages (id, version, body, pushed_at) VALUES (?, ?, ?, ?)")
        for message in messages {
            try statement.execute(arguments: [message.id, message.version, message.body, Int64(now)])
        }
    }

    static func delete(_ ids: [String], db: Database) throws {
        let statement = try db.cachedStatement(sql: "DELETE FROM messages WHERE id = ?")
        for id in ids { try statement.execute(arguments: [id]) }
    }

    static func release(_ ids: [String], db: Database) throws {
        let statement = try db.cachedStatement(sql: "UPDATE messages SET visible_at = 0 WHERE id = ?")
        for id in ids { try statement.execute(arguments: [id]) }
    }

    func lease(max: Int, now: UInt64, db: Database) throws -> [QueueMessage] {
        var leased: [QueueMessage] = []
        let select = try db.cachedStatement(sql: "SELECT seq, id, version, body, attempts FROM messages WHERE visible_at <= ? ORDER BY seq LIMIT ?")
        let hide = try db.cachedStatement(sql: "UPDATE messages SET attempts = attempts + 1, visible_at = ? WHERE seq = ?")
        while leased.count < max {
            let rows = try Row.fetchAll(select, arguments: [Int64(now), max - leased.count])
            if rows.isEmpty { break }
            for row in rows {
                let seq: Int64 = row[0]
                let attempts: Int = row[4]
                if attempts >= options.maxAttempts {
                    try db.execute(sql: """
                        INSERT INTO dead_letters (id, version, body, attempts, died_at)
                        SELECT id, version, body, attempts, ? FROM messages WHERE seq = ?
                        """, arguments: [Date().formatted(Date.ISO8601FormatStyle()), seq])
                    try db.execute(sql: "DELETE FROM messages WHERE seq = ?", arguments: [seq])
                    continue
                }
                try hide.execute(arguments: [Int64(now) + Int64(options.visibilityMilliseconds), seq])
                leased.append(QueueMessage(id: row[1], version: row[2], body: row[3], attempt: attempts + 1))
            }
        }
        return leased
    }
}
