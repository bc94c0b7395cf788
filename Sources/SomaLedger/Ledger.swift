import Foundation
import GRDB
import SomaLedgerMigrations
import SomaStorage

/// The app home's own database: the app, its versions with their source, the events log and the supervised
/// processes. Its schema comes from `migrations/`. The supervisor is its one writer. (The `locks` table of
/// the first schema, a lock for mutating commands that the CLI took, is no longer used.)
public final class Ledger: Sendable {
    public let path: String
    let database: DatabaseQueue

    public init(path: String) throws(LedgerError) {
        self.path = path
        do {
            database = try DurableDatabase.open(path: path, label: "soma.ledger", busyTimeout: 5)
        } catch {
            throw LedgerError(code: "ledger-open", "cannot open the ledger at \(path): \(error)")
        }
        try migrate()
    }

    /// The ledger of an app no supervisor runs, for a command that only reads it: opened read-only, so that
    /// reading takes no write lock and syncs nothing. A ledger an older soma wrote is upgraded first (the one
    /// write a reader makes, and only to the schema: docs/protocol.md); one of a newer soma is refused.
    public init(readingAt path: String) throws(LedgerError) {
        self.path = path
        guard FileManager.default.fileExists(atPath: path) else {
            throw LedgerError(code: "ledger-missing", "there is no ledger at \(path)")
        }
        var configuration = Configuration()
        configuration.label = "soma.ledger.reader"
        configuration.readonly = true
        configuration.busyMode = .timeout(5)
        do {
            database = try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            throw LedgerError(code: "ledger-open", "cannot open the ledger at \(path): \(error)")
        }
        guard try pendingMigrations() else { return }
        let upgraded = try Ledger(path: path)
        try? upgraded.database.close()
    }

    public static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for migration in LedgerMigrations.all {
            migrator.registerMigration(migration.identifier) { db in
                try db.execute(sql: migration.sql)
            }
        }
        return migrator
    }

    /// Whether an older soma wrote this ledger (migrations are left to apply); refuses one of a newer soma.
    func pendingMigrations() throws(LedgerError) -> Bool {
        let known = Set(LedgerMigrations.all.map(\.identifier))
        let applied: Set<String>
        do {
            applied = try database.read { try Self.migrator.appliedIdentifiers($0) }
        } catch {
            throw LedgerError(code: "ledger-read", "cannot read the ledger's schema at \(path): \(error)")
        }
        if let newer = applied.subtracting(known).sorted().first {
            throw LedgerError(code: "ledger-newer",
                              "this app home was written by a newer soma (ledger migration '\(newer)'); use that soma or a newer one")
        }
        return !known.isSubset(of: applied)
    }

    /// Upgrades an older home in place; refuses a home written by a newer soma.
    func migrate() throws(LedgerError) {
        guard try pendingMigrations() else { return }
        do {
            try DurableDatabase.migrate(Self.migrator, database)
        } catch {
            throw LedgerError(code: "ledger-migrate", "cannot upgrade the ledger at \(path): \(error)")
        }
    }

    /// One transaction; a `LedgerError` the body throws (a refusal) rolls it back and comes out as it is.
    func write<T>(_ what: String, _ body: (Database) throws -> T) throws(LedgerError) -> T {
        do {
            return try database.write(body)
        } catch let refusal as LedgerError {
            throw refusal
        } catch {
            throw LedgerError(code: "ledger-write", "\(what) in \(path): \(error)")
        }
    }

    func read<T>(_ what: String, _ body: (Database) throws -> T) throws(LedgerError) -> T {
        do {
            return try database.read(body)
        } catch {
            throw LedgerError(code: "ledger-read", "\(what) in \(path): \(error)")
        }
    }

    static func now() -> String {
        Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}

public struct LedgerError: Error, CustomStringConvertible, Sendable {
    public var code: String
    public var message: String

    public init(code: String, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
