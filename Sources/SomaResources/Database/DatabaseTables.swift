import GRDB

/// What a database engine gives the runtime: rows of the schema's tables by key, `db.sql` queries, and the
/// effect pump's writes. Implemented by `SQLiteTables` (a file) and `PostgresTables` (a server); cells are
/// GRDB's `DatabaseValue` in both, so a table's rows read the same whatever the engine.
public protocol DatabaseTables: AnyObject, Sendable {
    var name: String { get }
    var layout: DatabaseLayout { get }
    /// Whether text and JSON columns hold U+0000. PostgreSQL's text and jsonb refuse it, so a turn that would
    /// write one is refused before it commits rather than leaving a write that fails for ever.
    var holdsNUL: Bool { get }
    /// `sqlite` or `postgres`, for messages.
    var engine: String { get }
    /// Creates every table of the layout that does not exist yet (idempotent).
    func createTables() throws
    func get(_ table: DatabaseLayout.Table, key: DatabaseValue) throws -> [DatabaseValue]?
    func all(_ table: DatabaseLayout.Table) throws -> [[DatabaseValue]]
    func count(_ table: DatabaseLayout.Table) throws -> Int
    /// `db.sql(...)`: a query, never a write (writes go through tables, inside turns). Each row is its columns
    /// by name.
    func query(_ sql: String, arguments: [DatabaseValue]) throws -> [[(String, QueryCell)]]
    /// Applies writes in order, in one transaction. Idempotent: applying the same writes again gives the same
    /// rows, which is what lets the effect pump retry after a crash.
    func apply(_ writes: [TableWrite]) throws
    func close()
    /// The layout the tables were last made or rebuilt with (kept in the database itself); nil before any was kept.
    func storedLayout() throws -> DatabaseLayout?
    /// Brings the tables to `layout` in one transaction: each rebuilt table's rows go through its transform into a
    /// new table, the old one kept as `name@version` until `dropArchives` (or put back by `restoreArchives`).
    func rebuild(to layout: DatabaseLayout, _ rebuilds: [TableRebuild]) throws
    func restoreArchives(to layout: DatabaseLayout, _ rebuilds: [TableRebuild]) throws
    func dropArchives(_ rebuilds: [TableRebuild]) throws
    /// Drops every archived table (`name@version`) a swap left behind: after a worker starts, nothing puts them back.
    func dropLeftoverArchives() throws
}

/// One table whose rows a swap rewrites: the old table, the new one, and how an old row becomes a new one.
public struct TableRebuild: Sendable {
    public var old: DatabaseLayout.Table
    public var new: DatabaseLayout.Table
    public var transform: @Sendable ([DatabaseValue]) throws -> [DatabaseValue]

    public init(old: DatabaseLayout.Table, new: DatabaseLayout.Table, transform: @escaping @Sendable ([DatabaseValue]) throws -> [DatabaseValue]) {
        self.old = old
        self.new = new
        self.transform = transform
    }

    /// Where the old rows are kept while the swap may still be undone.
    public var archive: String { "\(old.name)@\(old.version ?? 1)" }
}

/// One row change carried out by the effect pump.
public enum TableWrite: Sendable {
    case put(table: String, values: [DatabaseValue])
    case delete(table: String, key: DatabaseValue)
}
