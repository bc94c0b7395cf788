import Foundation
import GRDB
import NIOCore
import NIOPosix
import SomaStorage
import SomaProtocol

/// A durable queue in one SQLite database (WAL), run by one event loop thread, as redis runs: the operations
/// that arrive during one turn of the loop are applied together at its end (group commit,
/// QueueStore+Committer), and a push, an ack or a nack is answered once a sync of the log that began after its
/// commit has ended (`WALSyncer`, on its own thread, while the loop goes on). `QueueServer` serves connections
/// on this same loop, so a request is read, committed and answered without passing to another thread. Leases
/// are kept in memory until the next group that writes (QueueStore+Leases), so a message's attempts survive
/// anything but a crash of this process, and a message that keeps failing reaches the dead letters after
/// `maxAttempts` deliveries.
// Unchecked: its mutable state (pending and parked requests, leases) is touched only on `eventLoop`, where every
// entry point that changes it hops first; reads go through GRDB's database, which is thread-safe; `onFatalError`
// is set once, before the server starts.
public final class QueueStore: @unchecked Sendable {
    public struct Options: Sendable, Equatable {
        public var maxAttempts: Int
        public var visibilityMilliseconds: Int
        /// A failed attempt is retried after base · 2^(attempt-1), at most cap, with jitter (half of it random).
        public var retryBaseMilliseconds: Int
        public var retryCapMilliseconds: Int

        public init(maxAttempts: Int = 5, visibilityMilliseconds: Int = 30_000, retryBaseMilliseconds: Int = 1_000,
                    retryCapMilliseconds: Int = 300_000) {
            self.maxAttempts = maxAttempts
            self.visibilityMilliseconds = visibilityMilliseconds
            self.retryBaseMilliseconds = retryBaseMilliseconds
            self.retryCapMilliseconds = retryCapMilliseconds
        }
    }

    enum Operation {
        case push([QueueMessage])
        case lease(max: Int, deadline: UInt64)
        case ack([String])
        /// Attempts that failed, each with why: visible again after the retry backoff.
        case nack([(id: String, error: String)])
        /// Dead letters sent back to be consumed again (all of them when nil), their attempts counted anew.
        case replay([String]?)
    }

    struct Pending {
        var operation: Operation
        var reply: @Sendable (Result<[QueueMessage], any Error>) -> Void

        var isLease: Bool { if case .lease = operation { true } else { false } }
        var leaseMax: Int { if case .lease(let max, _) = operation { max } else { 0 } }
    }

    public let path: String
    public let options: Options
    let database: DatabaseQueue
    let loopGroup: MultiThreadedEventLoopGroup
    /// The one thread that runs the queue; what follows belongs to it.
    public let eventLoop: any EventLoop
    var pending: [Pending] = []
    /// Leases that found nothing and wait for a push, or for a message's visibility timeout to pass.
    var parked: [Pending] = []
    var groupScheduled = false
    var recheck: Scheduled<Void>?
    /// When `recheck` runs, in the queue's clock (milliseconds).
    var recheckAt: UInt64 = 0
    var stopping = false
    let syncer: WALSyncer
    /// Committed groups whose answers wait for the next sync of the log.
    var unsynced = SyncBatch()
    /// The groups the sync in progress covers, if one is.
    var syncing: SyncBatch?
    /// Leases not in the file yet: the next group that writes carries them (QueueStore+Leases).
    var leases = LeaseMemory()
    var inFlightPrefix = InFlightPrefix()
    /// Called once if the log cannot be made durable: the queue answers nothing more, and its process should
    /// exit so that a new one recovers the file (after a failed sync, a later one may succeed without having
    /// written what the failed one lost).
    public var onFatalError: (@Sendable (any Error) -> Void)?

    public init(path: String, options: Options) throws {
        self.path = path
        self.options = options
        database = try Self.openFile(at: path)
        do {
            syncer = try WALSyncer(walPath: path + "-wal")
        } catch {
            try? database.close()
            throw error
        }
        loopGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        eventLoop = loopGroup.next()
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
        // Fewer pages written per operation: no AUTOINCREMENT (its sqlite_sequence page changed on every push)
        // and no index on visibility (a lease changed it too). A lease walks the messages in order past those in
        // flight, and reads the visibility before the body. A seq may be used again once the newest message is
        // gone, which keeps the order; dead letters get their own numbers.
        migrator.registerMigration("2-fewer-pages") { db in
            try db.execute(sql: """
                CREATE TABLE messages_v2 (
                  seq INTEGER PRIMARY KEY,
                  visible_at INTEGER NOT NULL DEFAULT 0,
                  attempts INTEGER NOT NULL DEFAULT 0,
                  id TEXT NOT NULL UNIQUE,
                  version INTEGER NOT NULL,
                  pushed_at INTEGER NOT NULL,
                  body TEXT NOT NULL);
                INSERT INTO messages_v2 (seq, visible_at, attempts, id, version, pushed_at, body)
                  SELECT seq, visible_at, attempts, id, version, pushed_at, body FROM messages;
                DROP TABLE messages;
                ALTER TABLE messages_v2 RENAME TO messages;
                """)
        }
        migrator.registerMigration("3-errors") { db in
            // Why the last attempt failed, kept with the message and with its dead letter.
            try db.execute(sql: """
                ALTER TABLE messages ADD COLUMN last_error TEXT;
                ALTER TABLE dead_letters ADD COLUMN last_error TEXT;
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
    /// Messages handed back untried (their consumer stopping): visible again at once.
    public func nack(_ ids: [String]) async throws {
        _ = try await submit(.nack(ids.map { ($0, "") }))
    }

    /// Attempts that failed, each with why: visible again after the retry backoff.
    public func nack(_ failures: [(id: String, error: String)]) async throws {
        _ = try await submit(.nack(failures))
    }

    /// Sends dead letters back (all when `ids` is nil); gives the ones sent back.
    public func replay(_ ids: [String]?) async throws -> [QueueMessage] {
        try await submit(.replay(ids))
    }

    func submit(_ operation: Operation) async throws -> [QueueMessage] {
        try await withCheckedThrowingContinuation { continuation in
            submit(operation) { continuation.resume(with: $0) }
        }
    }

    /// Hands the operation to the queue's loop; `reply` is called once, on that loop.
    func submit(_ operation: Operation, reply: @escaping @Sendable (Result<[QueueMessage], any Error>) -> Void) {
        let item = Pending(operation: operation, reply: reply)
        if eventLoop.inEventLoop {
            enqueue(item)
        } else {
            eventLoop.execute { self.enqueue(item) }
        }
    }

    public func stats() throws -> QueueStats {
        let now = Int64(Self.nowMilliseconds())
        do {
            try writeLeasesNow()
            return try database.read { db in
                let size = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM messages") ?? 0
                let inFlight = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM messages WHERE visible_at > ?", arguments: [now]) ?? 0
                let dead = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM dead_letters") ?? 0
                var versions: [String: Int] = [:]
                for row in try Row.fetchAll(db, sql: "SELECT version, COUNT(*) FROM messages GROUP BY version") {
                    versions[String(row[0] as Int)] = row[1]
                }
                return QueueStats(size: size, inFlight: inFlight, dead: dead, maxAttempts: options.maxAttempts,
                                  visibilityMilliseconds: options.visibilityMilliseconds, versions: versions)
            }
        } catch {
            throw ResourceError(code: "queue-read", "reading the queue \(path): \(error)")
        }
    }

    /// Messages whose type version is below `version`, oldest first, left where they are.
    public func peek(belowVersion version: Int, limit: Int) throws -> [QueueMessage] {
        do {
            return try database.read { db in
                try Row.fetchAll(db, sql: "SELECT id, version, body, attempts FROM messages WHERE version < ? ORDER BY seq LIMIT ?",
                                 arguments: [version, limit]).map {
                    QueueMessage(id: $0[0], version: $0[1], body: $0[2], attempt: $0[3])
                }
            }
        } catch {
            throw ResourceError(code: "queue-read", "reading the queue \(path): \(error)")
        }
    }

    public func deadLetters(limit: Int) throws -> [DeadLetter] {
        do {
            return try database.read { db in
                try Row.fetchAll(db, sql: "SELECT id, version, body, attempts, died_at, last_error FROM dead_letters ORDER BY seq DESC LIMIT ?",
                                 arguments: [limit]).map {
                    DeadLetter(id: $0[0], version: $0[1], body: $0[2], attempts: $0[3], diedAt: $0[4], lastError: $0[5])
                }
            }
        } catch {
            throw ResourceError(code: "queue-read", "reading the dead letters of \(path): \(error)")
        }
    }

    /// Answers what is queued, answers parked leases with nothing, closes the file and stops the loop.
    public func close() {
        try? eventLoop.submit {
            self.stop()
            try? self.database.close()
        }.wait()
        syncer.close()
        // Not waited for: the loop has nothing left to do, and a blocking shutdown would need a dispatch thread
        // to report back, which a busy cooperative pool may not have.
        loopGroup.shutdownGracefully { _ in }
    }

    /// Makes the queue's file and schema exist (or brings an old one up to date) without serving it.
    public static func prepareFile(at path: String) throws {
        try openFile(at: path).close()
    }

    /// The queue's file, opened for this process alone, its schema brought up to date.
    static func openFile(at path: String) throws -> DatabaseQueue {
        do {
            // 8 KiB pages: a page holds more messages, so fewer pages are allocated, freed and written per
            // message (docs/performance.md).
            // Commits do not wait for the disk: the syncer makes them durable before they are answered.
            let database = try DurableDatabase.open(path: path, label: "soma.queue", exclusive: true, pageSize: 8192,
                                                    syncsOnCommit: false)
            try migrator.migrate(database)
            return database
        } catch {
            throw ResourceError(code: "queue-open", "cannot open the queue database \(path): \(error)")
        }
    }
}
