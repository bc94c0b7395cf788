import Foundation
import GRDB

/// How a swap changes the stored state, in one transaction: every value of the listed slots rewritten by
/// `transform`, dropped slots emptied, renamed states moved, and the program version recorded. The same
/// rewrite runs over a copy (the dry run) and over the live store (the commit point of the swap).
public struct StateRewrite: Sendable {
    public struct SlotRewrite: Sendable {
        public var cell: String
        public var slot: String
        /// A stored value's JSON → the new version and JSON; throws when the value cannot be migrated (the
        /// failure names the key).
        public var transform: @Sendable (_ json: String) throws -> (version: Int, json: String)

        public init(cell: String, slot: String, transform: @escaping @Sendable (String) throws -> (version: Int, json: String)) {
            self.cell = cell
            self.slot = slot
            self.transform = transform
        }
    }
    public struct StateRename: Sendable {
        public var cell: String
        public var machine: String
        public var from: String
        public var to: String

        public init(cell: String, machine: String, from: String, to: String) {
            self.cell = cell
            self.machine = machine
            self.from = from
            self.to = to
        }
    }

    public var slots: [SlotRewrite] = []
    public var droppedSlots: [(cell: String, slot: String)] = []
    public var renames: [StateRename] = []
    public var programVersion: Int
    /// Runs inside the transaction, after every change and before the commit (the crash tests stop there).
    public var beforeCommit: (@Sendable () -> Void)?

    public init(programVersion: Int) {
        self.programVersion = programVersion
    }
}

/// The first stored value a rewrite could not migrate.
public struct RewriteFailure: Error, Sendable, CustomStringConvertible {
    public var cell: String
    public var slot: String
    public var key: String
    public var reason: String
    public var description: String { "\(cell).\(slot)\(key.isEmpty ? "" : " key \(key)"): \(reason)" }
}

/// Live data as a swap's plan counts it: values per slot and type version, keys per state.
public struct StateCensus: Sendable {
    public struct Values: Sendable {
        public var cell: String
        public var slot: String
        public var version: Int
        public var count: Int
        public var exampleKey: String
    }
    public struct Keys: Sendable {
        public var cell: String
        public var machine: String
        public var state: String
        public var count: Int
        public var exampleKey: String
    }
    public var values: [Values] = []
    public var keys: [Keys] = []
}

extension StateStore {
    static let chunk = 5_000

    /// The program version the stored data is at; nil for a store no version has been recorded in yet.
    public func programVersion() throws -> Int? {
        try readStorage("reading the program version") { db in
            try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'program_version'").flatMap { Int($0) }
        }
    }

    /// Records the version a store was first run with (a store from before versions were recorded, or a new one).
    public func recordProgramVersionIfAbsent(_ version: Int) throws {
        try writeStorage("recording the program version") { db in
            try db.execute(sql: "INSERT OR IGNORE INTO meta (key, value) VALUES ('program_version', ?)", arguments: [String(version)])
        }
    }

    /// The program version recorded in the state database at `path`, read without opening it for writing
    /// (the supervisor asks while a worker may hold it). Nil when there is no store or no version in it.
    public static func recordedProgramVersion(at path: String) -> Int? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(5)
        guard let database = try? DatabaseQueue(path: path, configuration: configuration) else { return nil }
        return try? database.read { db in
            guard try db.tableExists("meta") else { return nil }
            return try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'program_version'").flatMap { Int($0) }
        }
    }

    /// Values per slot and version, keys per state, each with an example key.
    public func census() throws -> StateCensus {
        try readStorage("counting the stored state") { db in
            var census = StateCensus()
            for row in try Row.fetchAll(db, sql: "SELECT cell, slot, version, COUNT(*), MIN(key) FROM slot_values GROUP BY cell, slot, version") {
                census.values.append(.init(cell: row[0], slot: row[1], version: row[2], count: row[3], exampleKey: row[4]))
            }
            for row in try Row.fetchAll(db, sql: "SELECT cell, machine, state, COUNT(*), MIN(key) FROM machine_states GROUP BY cell, machine, state") {
                census.keys.append(.init(cell: row[0], machine: row[1], state: row[2], count: row[3], exampleKey: row[4]))
            }
            return census
        }
    }

    /// A consistent copy of the store at `path` (SQLite's online backup), for a dry run.
    public func backup(to path: String) throws {
        do {
            try DurableDatabase.backup(database, to: path)
        } catch {
            throw StorageError(code: "state-backup", path: path, operation: "copying the state for a dry run", underlying: "\(error)")
        }
    }

    /// Runs the rewrite over a copy made by `backup(to:)`.
    public static func rewriteCopy(at path: String, _ rewrite: StateRewrite) throws {
        let copy: DatabaseQueue
        do {
            copy = try DatabaseQueue(path: path)
        } catch {
            throw StorageError(code: "state-open", path: path, operation: "opening the dry run's copy", underlying: "\(error)")
        }
        defer { try? copy.close() }
        try run(rewrite, on: copy, keepingUndo: false, path: path)
    }

    /// The swap's commit point: the rewrite in one durable transaction, with what it replaced kept for `undoRewrite`.
    /// The caller holds every turn and has waited until everything enqueued is durable.
    public func rewrite(_ rewrite: StateRewrite) throws {
        try Self.run(rewrite, on: database, keepingUndo: true, path: path)
    }

    /// Puts back what the last rewrite replaced, and the version it replaced (a new version that failed to start).
    public func undoRewrite(programVersion: Int) throws {
        try writeStorage("undoing a swap") { db in
            for row in try Row.fetchAll(db, sql: "SELECT cell, slot FROM swap_undo_slots") {
                try db.execute(sql: "DELETE FROM slot_values WHERE cell = ? AND slot = ?", arguments: [row[0] as String, row[1] as String])
            }
            try db.execute(sql: "INSERT OR REPLACE INTO slot_values SELECT cell, slot, key, version, value FROM swap_undo_values")
            try db.execute(sql: "INSERT OR REPLACE INTO machine_states SELECT cell, machine, key, state FROM swap_undo_states")
            try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('program_version', ?)", arguments: [String(programVersion)])
            try Self.clearUndo(db)
        }
    }

    /// Forgets what the last rewrite replaced: the new version is up.
    public func finishRewrite() throws {
        try writeStorage("finishing a swap") { db in try Self.clearUndo(db) }
    }

    static func clearUndo(_ db: Database) throws {
        try db.execute(sql: "DELETE FROM swap_undo_values; DELETE FROM swap_undo_slots; DELETE FROM swap_undo_states")
    }

    static func run(_ rewrite: StateRewrite, on database: DatabaseQueue, keepingUndo: Bool, path: String) throws {
        do {
            try database.inTransaction(.immediate) { db in
                if keepingUndo { try clearUndo(db) }
                for slot in rewrite.slots {
                    if keepingUndo { try keepForUndo(db, cell: slot.cell, slot: slot.slot) }
                    try rewriteSlot(db, slot)
                }
                for dropped in rewrite.droppedSlots {
                    if keepingUndo { try keepForUndo(db, cell: dropped.cell, slot: dropped.slot) }
                    try db.execute(sql: "DELETE FROM slot_values WHERE cell = ? AND slot = ?", arguments: [dropped.cell, dropped.slot])
                }
                for rename in rewrite.renames {
                    if keepingUndo {
                        try db.execute(sql: """
                            INSERT OR REPLACE INTO swap_undo_states SELECT cell, machine, key, state FROM machine_states
                            WHERE cell = ? AND machine = ? AND state = ?
                            """, arguments: [rename.cell, rename.machine, rename.from])
                    }
                    try db.execute(sql: "UPDATE machine_states SET state = ? WHERE cell = ? AND machine = ? AND state = ?",
                                   arguments: [rename.to, rename.cell, rename.machine, rename.from])
                }
                try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('program_version', ?)", arguments: [String(rewrite.programVersion)])
                rewrite.beforeCommit?()
                return .commit
            }
        } catch let failure as RewriteFailure {
            throw failure
        } catch {
            throw StorageError(code: "state-swap", path: path, operation: "migrating the stored state", underlying: "\(error)")
        }
    }

    static func keepForUndo(_ db: Database, cell: String, slot: String) throws {
        try db.execute(sql: "INSERT OR IGNORE INTO swap_undo_slots (cell, slot) VALUES (?, ?)", arguments: [cell, slot])
        try db.execute(sql: "INSERT OR REPLACE INTO swap_undo_values SELECT cell, slot, key, version, value FROM slot_values WHERE cell = ? AND slot = ?",
                       arguments: [cell, slot])
    }

    /// In chunks by key, so a slot of millions of values is never all in memory.
    static func rewriteSlot(_ db: Database, _ slot: StateRewrite.SlotRewrite) throws {
        var after = ""
        var first = true
        while true {
            let rows = try Row.fetchAll(db, sql: """
                SELECT key, value FROM slot_values WHERE cell = ? AND slot = ? AND (key > ? OR ?) ORDER BY key LIMIT ?
                """, arguments: [slot.cell, slot.slot, after, first, chunk])
            first = false
            guard let last = rows.last else { return }
            let update = try db.cachedStatement(sql: "UPDATE slot_values SET version = ?, value = ? WHERE cell = ? AND slot = ? AND key = ?")
            for row in rows {
                let key: String = row[0]
                let migrated: (version: Int, json: String)
                do {
                    migrated = try slot.transform(row[1])
                } catch {
                    throw RewriteFailure(cell: slot.cell, slot: slot.slot, key: key, reason: "\(error)")
                }
                try update.execute(arguments: [migrated.version, migrated.json, slot.cell, slot.slot, key])
            }
            after = last[0]
        }
    }

    func readStorage<T>(_ what: String, _ body: (Database) throws -> T) throws -> T {
        do {
            return try database.read(body)
        } catch {
            throw StorageError(code: "state-read", path: path, operation: what, underlying: "\(error)")
        }
    }

    func writeStorage<T>(_ what: String, _ body: (Database) throws -> T) throws -> T {
        do {
            return try database.write(body)
        } catch {
            throw StorageError(code: "state-write", path: path, operation: what, underlying: "\(error)")
        }
    }
}
