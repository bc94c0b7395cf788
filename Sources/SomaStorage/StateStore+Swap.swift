import Foundation
import GRDB

/// How a swap changes the stored state, in one transaction: the values of the eagerly rewritten slots replaced
/// by the new version's (already migrated in memory, only encoded here), dropped slots emptied, renamed states
/// moved, and the program version recorded.
/// Lazily migrated slots keep their rows at the old version (the running worker rewrites them after the swap,
/// and a worker that starts reads them through their migration); the transaction only records them so that
/// an undo can find what turns wrote there since.
public struct StateRewrite: Sendable {
    public struct SlotRewrite: Sendable {
        public var cell: String
        public var slot: String
        /// Every value of the slot as the new version stores it; each replaces the stored row of its key.
        public var rows: [(key: String, version: Int, json: String)]

        public init(cell: String, slot: String, rows: [(key: String, version: Int, json: String)]) {
            self.cell = cell
            self.slot = slot
            self.rows = rows
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

    /// A slot whose stored rows stay at their old version: `version` is the one the new program writes.
    public struct LazySlot: Sendable {
        public var cell: String
        public var slot: String
        public var version: Int

        public init(cell: String, slot: String, version: Int) {
            self.cell = cell
            self.slot = slot
            self.version = version
        }
    }

    public var slots: [SlotRewrite] = []
    public var lazySlots: [LazySlot] = []
    public var droppedSlots: [(cell: String, slot: String)] = []
    public var renames: [StateRename] = []
    public var programVersion: Int
    /// Runs inside the transaction, after every change and before the commit (the crash tests stop there).
    public var beforeCommit: (@Sendable () -> Void)?

    public init(programVersion: Int) {
        self.programVersion = programVersion
    }
}

/// Live data as a swap's plan counts it: values per slot and type version, keys per state.
public struct StateCensus: Sendable {
    public struct Values: Sendable {
        public var cell: String
        public var slot: String
        public var version: Int
        public var count: Int
        public var exampleKey: String

        public init(cell: String, slot: String, version: Int, count: Int, exampleKey: String) {
            self.cell = cell
            self.slot = slot
            self.version = version
            self.count = count
            self.exampleKey = exampleKey
        }
    }
    public struct Keys: Sendable {
        public var cell: String
        public var machine: String
        public var state: String
        public var count: Int
        public var exampleKey: String

        public init(cell: String, machine: String, state: String, count: Int, exampleKey: String) {
            self.cell = cell
            self.machine = machine
            self.state = state
            self.count = count
            self.exampleKey = exampleKey
        }
    }
    public var values: [Values] = []
    public var keys: [Keys] = []

    public init() {}
}

extension StateStore {
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

    /// The census of only these slots and states: what a swap checks again while it holds turns.
    public func census(slots: [(cell: String, slot: String)], states: [(cell: String, machine: String, state: String)]) throws -> StateCensus {
        try readStorage("counting the stored state") { db in
            var census = StateCensus()
            for (cell, slot) in slots {
                for row in try Row.fetchAll(db, sql: "SELECT version, COUNT(*), MIN(key) FROM slot_values WHERE cell = ? AND slot = ? GROUP BY version",
                                            arguments: [cell, slot]) {
                    census.values.append(.init(cell: cell, slot: slot, version: row[0], count: row[1], exampleKey: row[2]))
                }
            }
            for (cell, machine, state) in states {
                let row = try Row.fetchOne(db, sql: "SELECT COUNT(*), MIN(key) FROM machine_states WHERE cell = ? AND machine = ? AND state = ?",
                                           arguments: [cell, machine, state])
                if let row, let count = row[0] as Int?, count > 0 {
                    census.keys.append(.init(cell: cell, machine: machine, state: state, count: count, exampleKey: row[1]))
                }
            }
            return census
        }
    }

    /// The swap's commit point: the rewrite in one durable transaction, with what it replaced kept for `undoRewrite`.
    /// The caller holds every turn and has waited until everything enqueued is durable.
    /// From then until `finishRewrite` or `undoRewrite`, what turns replace in the lazily migrated slots is kept too.
    public func rewrite(_ rewrite: StateRewrite) throws {
        try Self.run(rewrite, on: database, path: path)
        capture(Set(rewrite.lazySlots.map { SlotID(cell: $0.cell, slot: $0.slot) }))
    }

    /// Puts back what the last rewrite replaced, and the version it replaced (a new version that failed to start).
    public func undoRewrite(programVersion: Int) throws {
        capture([])
        try writeStorage("undoing a swap") { db in
            for row in try Row.fetchAll(db, sql: "SELECT cell, slot, lazy_version FROM swap_undo_slots") {
                if let lazyVersion = row[2] as Int? {
                    // Rows at the new version were written by turns since; what they replaced is in the undo values.
                    try db.execute(sql: "DELETE FROM slot_values WHERE cell = ? AND slot = ? AND version = ?",
                                   arguments: [row[0] as String, row[1] as String, lazyVersion])
                } else {
                    try db.execute(sql: "DELETE FROM slot_values WHERE cell = ? AND slot = ?", arguments: [row[0] as String, row[1] as String])
                }
            }
            // `WHERE true`: SQLite reads an ON CONFLICT after a bare SELECT as part of a join.
            try db.execute(sql: """
                INSERT INTO slot_values (cell, slot, key, version, value, ord) SELECT cell, slot, key, version, value, ord FROM swap_undo_values WHERE true
                  ON CONFLICT (cell, slot, key) DO UPDATE SET version = excluded.version, value = excluded.value
                """)
            try db.execute(sql: "INSERT OR REPLACE INTO machine_states SELECT cell, machine, key, state FROM swap_undo_states")
            try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('program_version', ?)", arguments: [String(programVersion)])
            // What the new version kept described what the undo just put back.
            try db.execute(sql: "DELETE FROM slot_aggregates")
            try Self.clearUndo(db)
        }
    }

    /// Forgets what the last rewrite replaced: the new version is up.
    public func finishRewrite() throws {
        capture([])
        try writeStorage("finishing a swap") { db in try Self.clearUndo(db) }
    }

    /// Forgets every kept sum and count but those `keep` names (by cell): what a program that starts does not
    /// keep up to date must not outlive it.
    public func retainAggregates(_ keep: [String: Set<String>]) throws {
        try writeStorage("forgetting kept aggregates") { db in
            for row in try Row.fetchAll(db, sql: "SELECT cell, name FROM slot_aggregates") where !(keep[row[0] as String]?.contains(row[1] as String) ?? false) {
                try db.execute(sql: "DELETE FROM slot_aggregates WHERE cell = ? AND name = ?", arguments: [row[0] as String, row[1] as String])
            }
        }
    }

    static func clearUndo(_ db: Database) throws {
        try db.execute(sql: "DELETE FROM swap_undo_values; DELETE FROM swap_undo_slots; DELETE FROM swap_undo_states")
    }

    static func run(_ rewrite: StateRewrite, on database: DatabasePool, path: String) throws {
        do {
            try database.writeInTransaction(.immediate) { db in
                try clearUndo(db)
                for slot in rewrite.slots {
                    try keepForUndo(db, cell: slot.cell, slot: slot.slot)
                    try rewriteSlot(db, slot)
                }
                for lazy in rewrite.lazySlots {
                    try db.execute(sql: "INSERT OR REPLACE INTO swap_undo_slots (cell, slot, lazy_version) VALUES (?, ?, ?)",
                                   arguments: [lazy.cell, lazy.slot, lazy.version])
                }
                for dropped in rewrite.droppedSlots {
                    try keepForUndo(db, cell: dropped.cell, slot: dropped.slot)
                    try db.execute(sql: "DELETE FROM slot_values WHERE cell = ? AND slot = ?", arguments: [dropped.cell, dropped.slot])
                }
                for rename in rewrite.renames {
                    try db.execute(sql: """
                        INSERT OR REPLACE INTO swap_undo_states SELECT cell, machine, key, state FROM machine_states
                        WHERE cell = ? AND machine = ? AND state = ?
                        """, arguments: [rename.cell, rename.machine, rename.from])
                    try db.execute(sql: "UPDATE machine_states SET state = ? WHERE cell = ? AND machine = ? AND state = ?",
                                   arguments: [rename.to, rename.cell, rename.machine, rename.from])
                }
                try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('program_version', ?)", arguments: [String(rewrite.programVersion)])
                // Kept sums and counts are the old program's; the new one keeps its own from its memory.
                try db.execute(sql: "DELETE FROM slot_aggregates")
                rewrite.beforeCommit?()
                return .commit
            }
        } catch {
            throw StorageError(code: "state-swap", path: path, operation: "migrating the stored state", underlying: "\(error)")
        }
    }

    static func keepForUndo(_ db: Database, cell: String, slot: String) throws {
        try db.execute(sql: "INSERT OR IGNORE INTO swap_undo_slots (cell, slot) VALUES (?, ?)", arguments: [cell, slot])
        try db.execute(sql: """
            INSERT OR REPLACE INTO swap_undo_values (cell, slot, key, version, value, ord)
              SELECT cell, slot, key, version, value, ord FROM slot_values WHERE cell = ? AND slot = ?
            """, arguments: [cell, slot])
    }

    /// Only rows that are there are replaced: memory and store hold the same keys of a persistent slot.
    static func rewriteSlot(_ db: Database, _ slot: StateRewrite.SlotRewrite) throws {
        let update = try db.cachedStatement(sql: "UPDATE slot_values SET version = ?, value = ? WHERE cell = ? AND slot = ? AND key = ?")
        for row in slot.rows {
            try update.execute(arguments: [row.version, row.json, slot.cell, slot.slot, row.key])
        }
    }

    /// Up to `limit` rows of a slot, in key order after `after`, that are not at `version`: what is left of a
    /// lazily migrated slot.
    public func staleValues(cell: String, slot: String, version: Int, after: String?, limit: Int) throws -> [StoredState.SlotValue] {
        try readStorage("finding values left at an older version") { db in
            // Two statements: a condition on `after` being NULL would keep SQLite from seeking to it.
            let rows = if let after {
                try Row.fetchAll(db, sql: "SELECT key, version, value FROM slot_values WHERE cell = ? AND slot = ? AND key > ? AND version <> ? ORDER BY key LIMIT ?",
                                 arguments: [cell, slot, after, version, limit])
            } else {
                try Row.fetchAll(db, sql: "SELECT key, version, value FROM slot_values WHERE cell = ? AND slot = ? AND version <> ? ORDER BY key LIMIT ?",
                                 arguments: [cell, slot, version, limit])
            }
            return rows.map { StoredState.SlotValue(cell: cell, slot: slot, key: $0[0], version: $0[1], json: $0[2]) }
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
