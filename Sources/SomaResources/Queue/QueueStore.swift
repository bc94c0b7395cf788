import Foundation
import GRDB
import SomaStorage

/// A durable queue in one SQLite database (WAL, `synchronous = FULL`). One committer thread applies every
/// operation that arrived meanwhile in one transaction (group commit) and answers each only after the commit:
/// a push is acknowledged once it is on disk, so is an ack. Leases are written too, so a message's attempts
/// survive a crash and a message that keeps failing reaches the dead letters after `maxAttempts` deliveries.
public final class QueueStore: @unchecked Sendable {
    public struct Options: Sendable, Equatable {
        public var maxAttempts: Int
        public var visibilityMilliseconds: Int

        public init(maxAttempts: Int = 5, visibilityMilliseconds: Int = 30_000) {
            self.maxAttempts = maxAttempts
            self.visibilityMilliseconds = visibilityMilliseconds
        }
    }

    enum Operation {
        case push([QueueMessage])
        case lease(max: Int, deadline: UInt64)
        case ack([String])
        case nack([String])
    }

    struct Pending {
        var operation: Operation
        var reply: @Sendable (Result<[QueueMessage], any Error>) -> Void
    }

    public let path: String
    public let options: Options
    let database: DatabaseQueue
    private let condition = NSCondition()
    private var pending: [Pending] = []
    /// Leases that found nothing and wait for a push, or for a message's visibility timeout to pass.
    private var parked: [Pending] = []
    private var stopping = false
    private var committer: Thread?

    public init(path: String, options: Options) throws {
        self.path = path
        self.options = options
        do {
            database = try DurableDatabase.open(path: path, label: "soma.queue")
            try Self.migrator.migrate(database)
        } catch {
            throw ResourceError(code: "queue-open", "cannot open the queue database \(path): \(error)")
        }
        let thread = Thread { [weak self] in self?.commitLoop() }
        thread.name = "soma-queue-committer"
        committer = thread
        thread.start()
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("1-messages") { db in
            try db.execute(sql: """
                CREATE TABLE messages (
                  seq INTEGER PRIMARY KEY AUTOINCREMENT,
                  id TEXT NOT NULL UNIQUE,
                  version INTEGER NOT NULL,
                  body TEXT NOT NULL,
                  attempts INTEGER NOT NULL DEFAULT 0,
                  visible_at INTEGER NOT NULL DEFAULT 0,
                  pushed_at INTEGER NOT NULL);
                CREATE INDEX messages_visible ON messages (visible_at, seq);
                CREATE TABLE dead_letters (
                  seq INTEGER PRIMARY KEY,
                  id TEXT NOT NULL,
                  version INTEGER NOT NULL,
                  body TEXT NOT NULL,
                  attempts INTEGER NOT NULL,
                  died_at TEXT NOT NULL);
                """)
        }
        return migrator
    }

    static func nowMilliseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return UInt64(time.tv_sec) * 1000 + UInt64(time.tv_nsec) / 1_000_000
    }

    // MARK: - Operations

    /// Stores the messages; a message whose id is already queued is not stored twice.
    public func push(_ messages: [QueueMessage]) async throws {
        _ = try await submit(.push(messages))
    }

    /// Up to `max` visible messages, each hidden for the visibility timeout and counted as an attempt.
    /// Waits up to `waitMilliseconds` when none is visible.
    public func lease(max: Int, waitMilliseconds: Int) async throws -> [QueueMessage] {
        try await submit(.lease(max: Swift.max(1, max), deadline: Self.nowMilliseconds() + UInt64(Swift.max(0, waitMilliseconds))))
    }

    /// The consumer's turn committed: the messages are done.
    public func ack(_ ids: [String]) async throws {
        _ = try await submit(.ack(ids))
    }

    /// The consumer's turn aborted: the messages are visible again at once (their attempt stays counted).
    public func nack(_ ids: [String]) async throws {
        _ = try await submit(.nack(ids))
    }

    func submit(_ operation: Operation) async throws -> [QueueMessage] {
        try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            defer { condition.unlock() }
            guard !stopping else {
                continuation.resume(throwing: ResourceError(code: "queue-stopping", "the queue is stopping"))
                return
            }
            pending.append(Pending(operation: operation) { continuation.resume(with: $0) })
            condition.broadcast()
        }
    }

    public func stats() throws -> QueueStats {
        let now = Int64(Self.nowMilliseconds())
        do {
            return try database.read { db in
                let size = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM messages") ?? 0
                let inFlight = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM messages WHERE visible_at > ?", arguments: [now]) ?? 0
                let dead = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM dead_letters") ?? 0
                return QueueStats(size: size, inFlight: inFlight, dead: dead, maxAttempts: options.maxAttempts,
                                  visibilityMilliseconds: options.visibilityMilliseconds)
            }
        } catch {
            throw ResourceError(code: "queue-read", "reading the queue \(path): \(error)")
        }
    }

    public func deadLetters(limit: Int) throws -> [DeadLetter] {
        do {
            return try database.read { db in
                try Row.fetchAll(db, sql: "SELECT id, version, body, attempts, died_at FROM dead_letters ORDER BY seq DESC LIMIT ?",
                                 arguments: [limit]).map {
                    DeadLetter(id: $0[0], version: $0[1], body: $0[2], attempts: $0[3], diedAt: $0[4])
                }
            }
        } catch {
            throw ResourceError(code: "queue-read", "reading the dead letters of \(path): \(error)")
        }
    }

    /// Answers what is queued, fails parked leases, and stops the committer.
    public func close() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while committer != nil { condition.wait() }
        condition.unlock()
    }

    // MARK: - The committer

    private func commitLoop() {
        while true {
            condition.lock()
            while pending.isEmpty && !stopping {
                if parked.isEmpty {
                    condition.wait()
                } else {
                    // Parked leases look again every 20 ms: a visibility timeout may have passed.
                    if !condition.wait(until: Date().addingTimeInterval(0.02)) { break }
                }
            }
            if stopping && pending.isEmpty {
                let left = parked
                parked = []
                committer = nil
                condition.broadcast()
                condition.unlock()
                for lease in left { lease.reply(.success([])) }
                return
            }
            // Parked leases retry after this group's pushes; their order is kept ahead of new leases.
            let group = parked + pending
            parked = []
            pending.removeAll(keepingCapacity: true)
            condition.unlock()

            let now = Self.nowMilliseconds()
            var results: [[QueueMessage]] = Array(repeating: [], count: group.count)
            var failure: (any Error)?
            // A group of leases only is committed without waiting for the disk: a lease is not acknowledged
            // data. The next push or ack's commit makes it durable with itself (the WAL is written in order); a
            // crash before that forgets the lease, and the message is delivered again.
            let leasesOnly = group.allSatisfy { if case .lease = $0.operation { true } else { false } }
            do {
                try database.inDatabase { db in
                    if leasesOnly { try db.execute(sql: "PRAGMA synchronous = NORMAL") }
                    defer { if leasesOnly { try? db.execute(sql: "PRAGMA synchronous = FULL") } }
                    try db.inTransaction {
                        // Pushes and acks first, so a lease in the same group can see what was just pushed.
                        for (index, item) in group.enumerated() {
                            switch item.operation {
                            case .push(let messages): try Self.insert(messages, now: now, db: db)
                            case .ack(let ids): try Self.delete(ids, db: db)
                            case .nack(let ids): try Self.release(ids, db: db)
                            case .lease: continue
                            }
                            results[index] = []
                        }
                        for (index, item) in group.enumerated() {
                            guard case .lease(let max, _) = item.operation else { continue }
                            results[index] = try lease(max: max, now: now, db: db)
                        }
                        return .commit
                    }
                }
            } catch {
                failure = ResourceError(code: "queue-commit", "committing to the queue \(path): \(error)")
            }

            var waiting: [Pending] = []
            for (index, item) in group.enumerated() {
                if let failure {
                    item.reply(.failure(failure))
                } else if case .lease(_, let deadline) = item.operation, results[index].isEmpty, deadline > now, !stopping {
                    waiting.append(item)
                } else {
                    item.reply(.success(results[index]))
                }
            }
            if !waiting.isEmpty {
                condition.lock()
                parked.append(contentsOf: waiting)
                condition.unlock()
            }
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
                        INSERT INTO dead_letters (seq, id, version, body, attempts, died_at)
                        SELECT seq, id, version, body, attempts, ? FROM messages WHERE seq = ?
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
