import Foundation
import GRDB
import SomaProtocol

public struct AppRecord: Sendable, Equatable {
    public var name: String
    public var createdAt: String
    /// `running`, `stopped` or `failed`.
    public var state: String
    public var currentVersion: Int?
    public var port: Int?
    public var failure: String?
    public var maxRestarts: Int?
    public var restartWindow: Double?
    /// Absolute folders searched for provider plugins.
    public var providerPaths: [String] = []
}

public struct VersionRecord: Sendable, Equatable {
    public var number: Int
    public var hash: String
    public var entry: String
    public var createdAt: String
    /// `pending` while a swap to it is planned or applied, `active` once the app has run it.
    public var state: String = "active"
    /// The swap's plan (JSON), for versions that came by `soma swap`.
    public var plan: String?
    public var swapMilliseconds: Double?
    public var activatedAt: String?
    /// Made by `soma rollback`: the earlier version whose code this one runs.
    public var restores: Int?
}

public struct ProcessRecord: Sendable, Equatable {
    public var role: String
    public var pid: Int32?
    public var startedAt: String?
    public var restarts: Int
}

public struct EventRecord: Sendable, Equatable {
    public var id: Int64
    public var at: String
    public var kind: String
    public var detail: String
}

extension Ledger {
    // MARK: - The app

    public func app() throws(LedgerError) -> AppRecord? {
        try read("reading the app") { db in
            try Row.fetchOne(db, sql: "SELECT name, created_at, state, current_version, port, failure, max_restarts, restart_window, provider_paths FROM app").map {
                AppRecord(name: $0[0], createdAt: $0[1], state: $0[2], currentVersion: $0[3], port: $0[4], failure: $0[5],
                          maxRestarts: $0[6], restartWindow: $0[7],
                          providerPaths: (try? JSONDecoder().decode([String].self, from: Data(($0[8] as String).utf8))) ?? [])
            }
        }
    }

    public func setState(_ state: String, failure: String? = nil) throws(LedgerError) {
        try write("recording the app's state") { db in
            try db.execute(sql: "UPDATE app SET state = ?, failure = ?", arguments: [state, failure])
        }
    }

    // MARK: - Versions

    /// Records a version a swap is about to plan: not current until `activateVersion`. Pending versions left
    /// by a swap that never finished are forgotten first, so numbers stay contiguous.
    public func addPendingVersion(_ code: ProgramCode, restores: Int? = nil) throws(LedgerError) -> Int {
        try write("recording a pending version") { db in
            try Self.deletePending(db)
            return try Self.insertVersion(db, code, state: "pending", restores: restores)
        }
    }

    /// The next version number, with its files.
    static func insertVersion(_ db: Database, _ code: ProgramCode, state: String, restores: Int? = nil) throws -> Int {
        let number = (try Int.fetchOne(db, sql: "SELECT MAX(number) FROM versions") ?? 0) + 1
        try db.execute(sql: "INSERT INTO versions (number, hash, entry, created_at, state, restores) VALUES (?, ?, ?, ?, ?, ?)",
                       arguments: [number, code.hash, code.entry, Self.now(), state, restores])
        for file in code.files {
            try db.execute(sql: "INSERT INTO version_files (version, path, content) VALUES (?, ?, ?)",
                           arguments: [number, file.path, file.content])
        }
        return number
    }

    /// The app now runs this version: it becomes current, with the plan and time of the swap that brought it.
    public func activateVersion(_ number: Int, plan: String? = nil, milliseconds: Double? = nil) throws(LedgerError) {
        try write("recording version \(number) as current") { db in
            try db.execute(sql: """
                UPDATE versions SET state = 'active', plan = COALESCE(?, plan), swap_milliseconds = COALESCE(?, swap_milliseconds),
                  activated_at = COALESCE(activated_at, ?) WHERE number = ?
                """, arguments: [plan, milliseconds, Self.now(), number])
            try db.execute(sql: "UPDATE app SET current_version = ?", arguments: [number])
        }
    }

    /// Forgets a version that was planned but not applied (a dry run, a refusal).
    public func discardPendingVersion(_ number: Int) throws(LedgerError) {
        try write("discarding version \(number)") { db in
            try db.execute(sql: "DELETE FROM version_files WHERE version = ? AND version IN (SELECT number FROM versions WHERE state = 'pending')",
                           arguments: [number])
            try db.execute(sql: "DELETE FROM versions WHERE number = ? AND state = 'pending'", arguments: [number])
        }
    }

    static func deletePending(_ db: Database) throws {
        try db.execute(sql: """
            DELETE FROM version_files WHERE version IN (SELECT number FROM versions WHERE state = 'pending');
            DELETE FROM versions WHERE state = 'pending';
            """)
    }

    public func version(_ number: Int) throws(LedgerError) -> VersionRecord? {
        try read("reading a version") { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.versionColumns) FROM versions WHERE number = ?", arguments: [number]).map(Self.versionRecord)
        }
    }

    /// Every version, oldest first.
    public func versions() throws(LedgerError) -> [VersionRecord] {
        try read("reading the versions") { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.versionColumns) FROM versions ORDER BY number").map(Self.versionRecord)
        }
    }

    static let versionColumns = "number, hash, entry, created_at, state, plan, swap_milliseconds, activated_at, restores"

    static func versionRecord(_ row: Row) -> VersionRecord {
        VersionRecord(number: row[0], hash: row[1], entry: row[2], createdAt: row[3], state: row[4], plan: row[5],
                      swapMilliseconds: row[6], activatedAt: row[7], restores: row[8])
    }

    public func versionFiles(_ number: Int) throws(LedgerError) -> [(path: String, content: [UInt8])] {
        try read("reading a version's files") { db in
            try Row.fetchAll(db, sql: "SELECT path, content FROM version_files WHERE version = ? ORDER BY path", arguments: [number]).map {
                (path: $0[0] as String, content: Array($0[1] as Data))
            }
        }
    }

    /// A version's code as a `ProgramCode` (what a swap order carries); nil when there is no such version.
    public func code(ofVersion number: Int) throws(LedgerError) -> ProgramCode? {
        guard let version = try version(number) else { return nil }
        let files = try versionFiles(number).map { ProgramCode.File(path: $0.path, content: Data($0.content)) }
        return ProgramCode(entry: version.entry, files: files, hash: version.hash)
    }

    // MARK: - Processes

    public func processStarted(_ role: String, pid: Int32, countRestart: Bool) throws(LedgerError) {
        try write("recording the \(role) process") { db in
            try db.execute(sql: """
                INSERT INTO processes (role, pid, started_at, restarts) VALUES (?, ?, ?, 0)
                ON CONFLICT(role) DO UPDATE SET pid = excluded.pid, started_at = excluded.started_at,
                  restarts = restarts + ?
                """, arguments: [role, pid, Self.now(), countRestart ? 1 : 0])
        }
    }

    /// A new launch counts its restarts from zero; a supervisor adopting a running worker keeps the count.
    public func resetProcessRestarts(_ role: String) throws(LedgerError) {
        try write("recording the \(role) process") { db in
            try db.execute(sql: "UPDATE processes SET restarts = 0 WHERE role = ?", arguments: [role])
        }
    }

    public func processStopped(_ role: String) throws(LedgerError) {
        try write("recording the \(role) process") { db in
            try db.execute(sql: "UPDATE processes SET pid = NULL WHERE role = ?", arguments: [role])
        }
    }

    public func processes() throws(LedgerError) -> [ProcessRecord] {
        try read("reading processes") { db in
            try Row.fetchAll(db, sql: "SELECT role, pid, started_at, restarts FROM processes ORDER BY role").map {
                ProcessRecord(role: $0[0], pid: $0[1], startedAt: $0[2], restarts: $0[3])
            }
        }
    }

    // MARK: - Events

    public func record(_ kind: String, _ detail: String = "") throws(LedgerError) {
        try write("recording an event") { db in
            try db.execute(sql: "INSERT INTO events (at, kind, detail) VALUES (?, ?, ?)", arguments: [Self.now(), kind, detail])
        }
    }

    public func events(after id: Int64 = 0, since: String? = nil) throws(LedgerError) -> [EventRecord] {
        try read("reading events") { db in
            try Row.fetchAll(db, sql: "SELECT id, at, kind, detail FROM events WHERE id > ? AND at >= ? ORDER BY id",
                             arguments: [id, since ?? ""]).map {
                EventRecord(id: $0[0], at: $0[1], kind: $0[2], detail: $0[3])
            }
        }
    }
}

extension Ledger {
    /// The versions the app has run (not a pending one), oldest first, as `soma versions` shows them.
    public func versionSummaries() throws(LedgerError) -> [VersionSummary] {
        let current = try app()?.currentVersion
        return try versions().filter { $0.state == "active" }.map { version in
            VersionSummary(number: version.number, hash: version.hash, entry: version.entry, createdAt: version.createdAt,
                           activatedAt: version.activatedAt,
                           plan: version.plan.flatMap { try? JSONDecoder().decode(SwapPlan.self, from: Data($0.utf8)) },
                           swapMilliseconds: version.swapMilliseconds, restores: version.restores, current: version.number == current)
        }
    }
}
