import Foundation
import GRDB
import NIOCore
import SomaProtocol

/// The group commit, on the queue's loop. Operations submitted during one turn of the loop are applied
/// together at its end, in one transaction that does not wait for the disk: leases first, then pushes, acks
/// and nacks, then leases that found nothing look again, so they see what was just pushed. A push, an ack or
/// a nack is answered once the log holding it is on disk: the syncer works on that while the loop goes on
/// with the next groups, and one sync covers every group committed before it started. A lease is answered at
/// once (it is not acknowledged data: a crash may forget it, and the message is delivered again;
/// QueueStore+Leases) unless it hands out a message whose push is not on disk yet; that one waits for the
/// sync that makes the push durable, so nothing is delivered that a crash could take back.
extension QueueStore {
    /// What waits for one sync of the log: the answers, and the messages pushed since the sync before.
    struct SyncBatch {
        var answers: [(Pending, [QueueMessage])] = []
        var pushed: Set<Int64> = []
    }

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
        let leaseRequests = group.indices.filter { group[$0].isLease }
        let writes = group.indices.filter { !group[$0].isLease }
        var pushed: [Int64] = []
        var leased: [Int: [Leased]] = [:]
        var replayed: [Int: [QueueMessage]] = [:]
        let (leasesBefore, prefixBefore) = (leases, inFlightPrefix)

        // A group of leases alone writes nothing (unless memory holds many leases: then they go to the file,
        // where the search for visible messages skips them), so it needs no transaction.
        let writesLeases = !writes.isEmpty || leases.count > Self.leasesKeptInMemory
        let committed = commit(transaction: writesLeases) { db in
            if writesLeases {
                var acked: Set<String> = []
                for index in writes {
                    if case .ack(let ids) = group[index].operation { acked.formUnion(ids) }
                }
                try writeLeases(except: acked, db: db)
            }
            for index in leaseRequests {
                leased[index] = try lease(max: group[index].leaseMax, now: now, db: db)
            }
            guard !writes.isEmpty else { return }
            for index in writes {
                switch group[index].operation {
                case .push(let messages):
                    let stored = try Self.insert(messages, now: now, db: db)
                    if stored.contains(where: { $0 < inFlightPrefix.seq }) { forgetInFlightPrefix() }
                    pushed += stored
                case .ack(let ids): try Self.delete(ids, db: db)
                case .nack(let failures):
                    try release(failures, now: now, db: db)
                    forgetInFlightPrefix()
                case .replay(let ids):
                    replayed[index] = try Self.replay(ids, now: now, db: db)
                    forgetInFlightPrefix()
                case .lease: break
                }
            }
            for index in leaseRequests where leased[index]?.isEmpty != false {
                leased[index] = try lease(max: group[index].leaseMax, now: now, db: db)
            }
        }
        if case .failure(let error) = committed {
            (leases, inFlightPrefix) = (leasesBefore, prefixBefore)
            for item in group { item.reply(.failure(error)) }
            return
        }
        unsynced.pushed.formUnion(pushed)
        for index in writes { unsynced.answers.append((group[index], replayed[index] ?? [])) }
        var empty: [Pending] = []
        for index in leaseRequests {
            let messages = leased[index] ?? []
            if messages.isEmpty { empty.append(group[index]) } else { answer(group[index], messages) }
        }
        park(empty, now: now)
        startSync()
    }

    /// Answers a lease now, or with the sync that makes the newest push it hands out durable.
    private func answer(_ lease: Pending, _ messages: [Leased]) {
        let delivered = messages.map(\.message)
        if messages.contains(where: { unsynced.pushed.contains($0.seq) }) {
            unsynced.answers.append((lease, delivered))
        } else if let inSync = syncing?.pushed, messages.contains(where: { inSync.contains($0.seq) }) {
            syncing?.answers.append((lease, delivered))
        } else {
            lease.reply(.success(delivered))
        }
    }

    /// Starts a sync of the log for what was committed since the last one began, unless one is running:
    /// when it ends, the next starts with everything committed meanwhile.
    private func startSync() {
        guard syncing == nil, !unsynced.answers.isEmpty || !unsynced.pushed.isEmpty else { return }
        syncing = unsynced
        unsynced = SyncBatch()
        syncer.sync(on: eventLoop).whenComplete { result in
            guard let batch = self.syncing else { return }  // `stop` answered it
            self.syncing = nil
            Self.answer(batch, result)
            if case .failure(let error) = result {
                self.fail(error)
            } else {
                self.startSync()
            }
        }
    }

    /// The log could not be made durable: what waits for it is answered with the error, and nothing more is
    /// taken.
    private func fail(_ error: any Error) {
        stopping = true
        recheck?.cancel()
        recheck = nil
        Self.answer(unsynced, .failure(error))
        unsynced = SyncBatch()
        let waiting = parked + pending
        parked = []
        pending = []
        for item in waiting { item.reply(.failure(error)) }
        onFatalError?(error)
    }

    private static func answer(_ batch: SyncBatch, _ result: Result<Void, any Error>) {
        for (item, messages) in batch.answers {
            switch result {
            case .success: item.reply(.success(messages))
            case .failure(let error): item.reply(.failure(error))
            }
        }
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
        let stored = found.flatMap { $0 }.map { UInt64($0) }
        let remembered = leases.nextVisible(after: now)
        return [stored, remembered].compactMap { $0 }.min()
    }

    /// Runs what is queued, makes it durable and answers it, answers parked leases with nothing, and takes
    /// no more operations.
    func stop() {
        stopping = true
        recheck?.cancel()
        recheck = nil
        runGroup()
        if !leases.isEmpty {
            _ = commit { db in try writeLeases(except: [], db: db) }
        }
        let waiting = [syncing, unsynced].compactMap { $0 }
        syncing = nil
        unsynced = SyncBatch()
        let synced = Result { try syncer.syncNow() }
        for batch in waiting { Self.answer(batch, synced) }
        let left = parked
        parked = []
        for lease in left { lease.reply(.success([])) }
    }

    /// The statements of a group, in one transaction unless `transaction` is false (a group that only reads);
    /// committed without waiting for the disk (`synchronous = NORMAL`: the syncer does that).
    func commit(transaction: Bool = true, _ body: (Database) throws -> Void) -> Result<Void, any Error> {
        do {
            try database.inDatabase { db in
                guard transaction else { return try body(db) }
                try db.inTransaction {
                    try body(db)
                    return .commit
                }
            }
            return .success(())
        } catch {
            return .failure(ResourceError(code: "queue-commit", "committing to the queue \(path): \(error)"))
        }
    }

    /// The sequence numbers of the messages stored (not those whose id was already queued).
    static func insert(_ messages: [QueueMessage], now: UInt64, db: Database) throws -> [Int64] {
        let statement = try db.cachedStatement(sql: "INSERT OR IGNORE INTO messages (id, version, body, pushed_at) VALUES (?, ?, ?, ?)")
        var stored: [Int64] = []
        for message in messages {
            try statement.execute(arguments: [message.id, message.version, message.body, Int64(now)])
            if db.changesCount > 0 { stored.append(db.lastInsertedRowID) }
        }
        return stored
    }

    static func delete(_ ids: [String], db: Database) throws {
        let statement = try db.cachedStatement(sql: "DELETE FROM messages WHERE id = ?")
        for id in ids { try statement.execute(arguments: [id]) }
    }

    /// A failed attempt: the message is visible again after its backoff, base · 2^(attempts-1) up to the cap,
    /// half of it random so that messages failing together do not come back together; the error is kept.
    /// A message handed back without an error (its consumer stopping) was not tried: visible at once.
    func release(_ failures: [(id: String, error: String)], now: UInt64, db: Database) throws {
        let failed = try db.cachedStatement(sql: """
            UPDATE messages SET last_error = ?,
              visible_at = ? + (min(?, ? * (1 << min(max(attempts - 1, 0), 30))) * (1000 + abs(random() % 1000))) / 2000
            WHERE id = ?
            """)
        let untried = try db.cachedStatement(sql: "UPDATE messages SET visible_at = 0 WHERE id = ?")
        for (id, error) in failures {
            if error.isEmpty {
                try untried.execute(arguments: [id])
            } else {
                try failed.execute(arguments: [error, Int64(now), options.retryCapMilliseconds, options.retryBaseMilliseconds, id])
            }
        }
    }

    /// Dead letters back at the end of the queue with their attempts counted anew; an id still queued is not
    /// queued twice.
    static func replay(_ ids: [String]?, now: UInt64, db: Database) throws -> [QueueMessage] {
        let chosen = ids == nil ? "" : "WHERE id IN (\(Array(repeating: "?", count: ids!.count).joined(separator: ",")))"
        let arguments = StatementArguments(ids ?? [])
        let letters = try Row.fetchAll(db, sql: "SELECT seq, id, version, body FROM dead_letters \(chosen) ORDER BY seq", arguments: arguments)
        var replayed: [QueueMessage] = []
        for letter in letters {
            try db.execute(sql: """
                INSERT OR IGNORE INTO messages (seq, visible_at, attempts, id, version, pushed_at, body)
                  VALUES ((SELECT coalesce(max(seq), 0) + 1 FROM messages), 0, 0, ?, ?, ?, ?)
                """, arguments: [letter[1], letter[2], Int64(now), letter[3]])
            try db.execute(sql: "DELETE FROM dead_letters WHERE seq = ?", arguments: [letter[0]])
            replayed.append(QueueMessage(id: letter[1], version: letter[2], body: letter[3]))
        }
        return replayed
    }
}
