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

    public static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for migration in LedgerMigrations.all {
            migrator.registerMigration(migration.identifier) { db in
                try db.execute(sql: migration.sql)
            }
        }
        return migrator
    }

    /// Upgrades an older home in place; refuses a home written by a newer soma.
    func migrate() throws(LedgerError) {
        let migrator = Self.migrator
        let known = Set(LedgerMigrations.all.map(\.identifier))
        do {
            let applied = try database.read { try migrator.appliedIdentifiers($0) }
            if let newer = applied.subtracting(known).sorted().first {
                throw LedgerError(code: "ledger-newer",
                                  "this app home was written by a newer soma (ledger migration '\(newer)'); use that soma or a newer one")
            }
            try migrator.migrate(database)
        } catch let error as LedgerError {
            throw error
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
