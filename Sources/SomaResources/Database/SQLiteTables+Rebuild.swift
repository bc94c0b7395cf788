import Foundation
import GRDB
import SomaStorage

/// The layout kept inside the database file (`soma_tables`), and table rebuilds for a swap.
extension SQLiteTables {
    static let metaTable = "soma_tables"

    public func storedLayout() throws -> DatabaseLayout? {
        try read("reading the stored layout") { db in
            guard try db.tableExists(Self.metaTable) else { return nil }
            guard let text = try String.fetchOne(db, sql: "SELECT layout FROM \(Self.metaTable) WHERE id = 1") else { return nil }
            return try JSONDecoder().decode(DatabaseLayout.self, from: Data(text.utf8))
        }
    }

    /// Records the layout the tables have now, when none is recorded (a database made before layouts were kept).
    public func recordLayoutIfAbsent() throws {
        try write("recording the layout") { db in try Self.recordLayout(self.layout, in: db, replacing: false) }
    }

    static func recordLayout(_ layout: DatabaseLayout, in db: Database, replacing: Bool) throws {
        try db.execute(sql: "CREATE TABLE IF NOT EXISTS \(metaTable) (id INTEGER PRIMARY KEY CHECK (id = 1), layout TEXT NOT NULL)")
        let text = String(decoding: try JSONEncoder().encode(layout), as: UTF8.self)
        try db.execute(sql: "INSERT OR \(replacing ? "REPLACE" : "IGNORE") INTO \(metaTable) (id, layout) VALUES (1, ?)", arguments: [text])
    }

    public func rebuild(to layout: DatabaseLayout, _ rebuilds: [TableRebuild]) throws {
        do {
            try database.write { db in
                for rebuild in rebuilds {
                    let archive = DatabaseLayout.quoted(rebuild.archive)
                    try db.execute(sql: "DROP TABLE IF EXISTS \(archive)")
                    try db.execute(sql: "ALTER TABLE \(DatabaseLayout.quoted(rebuild.old.name)) RENAME TO \(archive)")
                }
                for statement in layout.createStatements(columnType: \.sqliteType) { try db.execute(sql: statement) }
                for rebuild in rebuilds {
                    let columns = rebuild.new.columns.map { DatabaseLayout.quoted($0.name) }.joined(separator: ", ")
                    let placeholders = rebuild.new.columns.map(placeholder).joined(separator: ", ")
                    let insert = try db.makeStatement(sql: "INSERT INTO \(DatabaseLayout.quoted(rebuild.new.name)) (\(columns)) VALUES (\(placeholders))")
                    let oldColumns = rebuild.old.columns.map { DatabaseLayout.quoted($0.name) }.joined(separator: ", ")
                    let rows = try Row.fetchCursor(db, sql: "SELECT \(oldColumns) FROM \(DatabaseLayout.quoted(rebuild.archive))")
                    while let row = try rows.next() {
                        let values = try row.exactValues()
                        let migrated: [DatabaseValue]
                        do {
                            migrated = try rebuild.transform(values)
                        } catch {
                            let key = values[rebuild.old.keyIndex]
                            throw ResourceError(code: "migration-fails", "table '\(rebuild.old.name)' row \(key): \(error)")
                        }
                        try insert.execute(arguments: StatementArguments(zip(migrated, rebuild.new.columns).map(bindable)))
                    }
                }
                try Self.recordLayout(layout, in: db, replacing: true)
            }
        } catch let error as ResourceError {
            throw error
        } catch {
            throw ResourceError(code: "database-migrate", "database '\(name)': rebuilding \(rebuilds.map(\.old.name).joined(separator: ", ")): \(error)")
        }
    }

    public func restoreArchives(to layout: DatabaseLayout, _ rebuilds: [TableRebuild]) throws {
        try write("putting back the tables of the version before") { db in
            for rebuild in rebuilds {
                try db.execute(sql: "DROP TABLE IF EXISTS \(DatabaseLayout.quoted(rebuild.new.name))")
                try db.execute(sql: "ALTER TABLE \(DatabaseLayout.quoted(rebuild.archive)) RENAME TO \(DatabaseLayout.quoted(rebuild.old.name))")
            }
            try Self.recordLayout(layout, in: db, replacing: true)
        }
    }

    public func dropArchives(_ rebuilds: [TableRebuild]) throws {
        try write("dropping the archived tables") { db in
            for rebuild in rebuilds { try db.execute(sql: "DROP TABLE IF EXISTS \(DatabaseLayout.quoted(rebuild.archive))") }
        }
    }

    public func dropLeftoverArchives() throws {
        try write("dropping archived tables left by a swap") { db in
            // A table's own name cannot hold '@' (names are identifiers): only archives do.
            for archive in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%@%'") {
                try db.execute(sql: "DROP TABLE IF EXISTS \(DatabaseLayout.quoted(archive))")
            }
        }
    }
}

extension SQLiteTables {
    /// A consistent copy of the database file at `path` (SQLite's online backup), opened with this layout:
    /// where a swap's dry run rebuilds the tables.
    public func copy(to path: String) throws -> SQLiteTables {
        do {
            try DurableDatabase.backup(database, to: path)
        } catch {
            throw ResourceError(code: "database-copy", "database '\(name)': copying it for a dry run: \(error)")
        }
        return try SQLiteTables(name: name, path: path, layout: layout)
    }
}
