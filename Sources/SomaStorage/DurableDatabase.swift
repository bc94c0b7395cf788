import Foundation
import GRDB

/// How every SQLite file soma writes is opened: WAL, and `synchronous = FULL` so a committed transaction
/// survives a crash of the process or the machine. The state store, the ledger, queues and sqlite databases
/// all open theirs here.
public enum DurableDatabase {
    /// `exclusive` keeps the file locked for this connection's life: no other process can open it meanwhile,
    /// and no transaction pays for taking and dropping file locks or for the shared-memory WAL index.
    /// `syncsOnCommit: false` is for an owner that syncs the WAL itself before it tells anyone a commit is done
    /// (a queue): SQLite then commits with `synchronous = NORMAL`, which still syncs at checkpoints.
    public static func open(path: String, label: String, busyTimeout: Double? = nil, exclusive: Bool = false,
                            pageSize: Int? = nil, syncsOnCommit: Bool = true) throws -> DatabaseQueue {
        let configuration = configuration(label: label, busyTimeout: busyTimeout, exclusive: exclusive, pageSize: pageSize, syncsOnCommit: syncsOnCommit)
        privatize(path)
        let database = try DatabaseQueue(path: path, configuration: configuration)
        try database.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")
        }
        return database
    }

    /// The same as a pool: one writer, and readers that read a committed snapshot without waiting for the
    /// writer's transaction. The state store, whose turns will read what memory no longer holds while its
    /// committer writes (docs/state.md).
    public static func openPool(path: String, label: String) throws -> DatabasePool {
        privatize(path)
        // A pool is always in WAL mode.
        return try DatabasePool(path: path, configuration: configuration(label: label, busyTimeout: nil, exclusive: false, pageSize: nil, syncsOnCommit: true))
    }

    static func configuration(label: String, busyTimeout: Double?, exclusive: Bool, pageSize: Int?, syncsOnCommit: Bool) -> Configuration {
        var configuration = Configuration()
        configuration.label = label
        if let busyTimeout { configuration.busyMode = .timeout(busyTimeout) }
        configuration.prepareDatabase { db in
            // Before the first WAL access, so SQLite keeps the WAL index in memory instead of a -shm file.
            if exclusive { try db.execute(sql: "PRAGMA locking_mode = EXCLUSIVE") }
            // Only a new file takes it: an existing one keeps the page size it was made with.
            if let pageSize { try db.execute(sql: "PRAGMA page_size = \(pageSize)") }
            try db.execute(sql: syncsOnCommit ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL")
        }
        return configuration
    }

    /// Brings the schema up to date. Each step is a transaction of its own, as GRDB runs them, but none waits for
    /// the disk (`synchronous = NORMAL` while they run): in WAL mode a crash can then lose only the last steps,
    /// never tear one, and a lost step runs again at the next open. The first commit at `FULL` after them syncs
    /// the WAL, and with it every step before. A new file's eight steps cost a launch eight syncs otherwise.
    public static func migrate(_ migrator: DatabaseMigrator, _ database: some DatabaseWriter, syncsOnCommit: Bool = true) throws {
        guard try database.read({ try !migrator.hasCompletedMigrations($0) }) else { return }
        try database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        defer {
            try? database.writeWithoutTransaction { db in
                try db.execute(sql: syncsOnCommit ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL")
            }
        }
        try migrator.migrate(database)
    }

    /// A consistent copy of an open database at `path` (SQLite's online backup), replacing what was there:
    /// where a swap's dry run works.
    public static func backup(_ database: DatabaseQueue, to path: String) throws {
        for suffix in ["", "-wal", "-shm", "-journal"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        privatize(path)
        let copy = try DatabaseQueue(path: path)
        try database.backup(to: copy)
        try copy.close()
    }

    /// The file readable by its owner only (0600), made so before SQLite first opens it: SQLite gives the WAL
    /// and shared-memory files the main file's permissions. A file an older soma made 0644 is narrowed too.
    static func privatize(_ path: String) {
        // Only a file that does not exist yet is opened here: closing a descriptor of a file drops every POSIX
        // lock this process holds on it, SQLite's locks of another connection to it among them.
        if !FileManager.default.fileExists(atPath: path) {
            let descriptor = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            if descriptor >= 0 { Glibc.close(descriptor) }
        }
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
            chmod(path + suffix, 0o600)
        }
    }
}
