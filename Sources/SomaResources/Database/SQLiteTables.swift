import Foundation
import GRDB
import SomaStorage

/// The `sqlite` engine of `Database<S>`: one SQLite file (WAL, `synchronous = FULL`) that the `sqlite3` shell
/// reads as it is. Rows are written only by the worker's effect pump, once the turn that wrote them is
/// durable, in the order turns committed.
public final class SQLiteTables: DatabaseTables, Sendable {
    public let name: String
    public let path: String
    public let layout: DatabaseLayout
    let database: DatabaseQueue
    public var engine: String { "sqlite" }
    public var holdsNUL: Bool { true }

    public init(name: String, path: String, layout: DatabaseLayout) throws {
        self.name = name
        self.path = path
        self.layout = layout
        do {
            // Readers outside soma (the sqlite3 shell) may hold the file for a moment: wait for them.
            database = try DurableDatabase.open(path: path, label: "soma.database.\(name)", busyTimeout: 10)
        } catch {
            throw ResourceError(code: "database-open", "cannot open database '\(name)' at \(path): \(error)")
        }
    }

    public func createTables() throws {
        try write("creating the tables") { db in
            for statement in layout.createStatements(columnType: \.sqliteType) { try db.execute(sql: statement) }
            try Self.recordLayout(layout, in: db, replacing: false)
        }
    }

    // MARK: - Reads

    public func get(_ table: DatabaseLayout.Table, key: DatabaseValue) throws -> [DatabaseValue]? {
        try read("reading \(table.name)") { db in
            let statement = try db.cachedStatement(sql: "SELECT \(columnList(table)) FROM \(DatabaseLayout.quoted(table.name)) WHERE \(DatabaseLayout.quoted(table.key)) = \(keyPlaceholder(table))")
            // The cursor must outlive the row: its statement holds the row's bytes.
            let rows = try Row.fetchCursor(statement, arguments: [bindable(key, table.columns[table.keyIndex])])
            return try rows.next()?.exactValues()
        }
    }

    public func all(_ table: DatabaseLayout.Table) throws -> [[DatabaseValue]] {
        try read("reading \(table.name)") { db in
            try Array(Row.fetchCursor(db.cachedStatement(sql: "SELECT \(columnList(table)) FROM \(DatabaseLayout.quoted(table.name)) ORDER BY \(DatabaseLayout.quoted(table.key))"))
                .map { try $0.exactValues() })
        }
    }

    public func count(_ table: DatabaseLayout.Table) throws -> Int {
        try read("counting \(table.name)") { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(DatabaseLayout.quoted(table.name))") ?? 0
        }
    }

    public func query(_ sql: String, arguments: [DatabaseValue]) throws -> [[(String, QueryCell)]] {
        do {
            return try database.read { db in
                let statement = try db.makeStatement(sql: sql)
                guard statement.isReadonly else {
                    throw ResourceError(code: "sql-write", "db.sql runs queries only; write rows with db.TABLE.put and delete")
                }
                try statement.setArguments(StatementArguments(arguments))
                return try Array(Row.fetchCursor(statement).map { row in
                    Array(zip(row.columnNames, try row.exactValues().map(QueryCell.value)))
                })
            }
        } catch let error as ResourceError {
            throw error
        } catch {
            throw ResourceError(code: "sql-error", "database '\(name)': \(error)")
        }
    }

    // MARK: - Writes

    public func apply(_ writes: [TableWrite]) throws {
        try write("writing \(writes.count) row change(s)") { db in
            for change in writes {
                switch change {
                case .put(let tableName, let values):
                    guard let table = layout.table(tableName) else { continue }
                    let placeholders = table.columns.map(placeholder).joined(separator: ", ")
                    try db.cachedStatement(sql: "INSERT OR REPLACE INTO \(DatabaseLayout.quoted(table.name)) (\(columnList(table))) VALUES (\(placeholders))")
                        .execute(arguments: StatementArguments(zip(values, table.columns).map(bindable)))
                case .delete(let tableName, let key):
                    guard let table = layout.table(tableName) else { continue }
                    try db.cachedStatement(sql: "DELETE FROM \(DatabaseLayout.quoted(table.name)) WHERE \(DatabaseLayout.quoted(table.key)) = \(keyPlaceholder(table))")
                        .execute(arguments: [bindable(key, table.columns[table.keyIndex])])
                }
            }
        }
    }

    public func close() {
        try? database.close()
    }

    /// Text columns are written byte for byte (ExactText): a String with a NUL keeps what follows it.
    func placeholder(_ column: DatabaseLayout.Column) -> String {
        column.storage == .text || column.storage == .json ? ExactText.placeholder : "?"
    }

    func keyPlaceholder(_ table: DatabaseLayout.Table) -> String { placeholder(table.columns[table.keyIndex]) }

    func bindable(_ value: DatabaseValue, _ column: DatabaseLayout.Column) -> DatabaseValue {
        column.storage == .text || column.storage == .json ? ExactText.bindable(value) : value
    }

    func columnList(_ table: DatabaseLayout.Table) -> String {
        table.columns.map { DatabaseLayout.quoted($0.name) }.joined(separator: ", ")
    }

    func read<T>(_ what: String, _ body: (Database) throws -> T) throws -> T {
        do {
            return try database.read(body)
        } catch {
            throw ResourceError(code: "database-read", "database '\(name)': \(what): \(error)")
        }
    }

    func write(_ what: String, _ body: (Database) throws -> Void) throws {
        do {
            try database.write(body)
        } catch {
            throw ResourceError(code: "database-write", "database '\(name)': \(what): \(error)", isPermanent: Self.refusesTheData(error))
        }
    }

    /// SQLite refused the row itself, so the same write fails whenever it is tried.
    static func refusesTheData(_ error: any Error) -> Bool {
        guard let error = error as? DatabaseError else { return false }
        return [.SQLITE_CONSTRAINT, .SQLITE_MISMATCH, .SQLITE_TOOBIG, .SQLITE_RANGE].contains(error.resultCode.primaryResultCode)
    }
}
