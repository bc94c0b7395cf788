import GRDB

/// How every SQLite file soma writes is opened: WAL, and `synchronous = FULL` so a committed transaction
/// survives a crash of the process or the machine. The state store, the ledger, queues and sqlite databases
/// all open theirs here.
public enum DurableDatabase {
    public static func open(path: String, label: String, busyTimeout: Double? = nil) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.label = label
        if let busyTimeout { configuration.busyMode = .timeout(busyTimeout) }
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        let database = try DatabaseQueue(path: path, configuration: configuration)
        try database.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")
        }
        return database
    }
}
