import Foundation
import GRDB
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PostgresNIO

/// The `postgres` engine of `Database<S>`: the schema's tables in a PostgreSQL server the supervisor runs,
/// reached over its Unix socket with PostgresNIO. Same columns as the sqlite engine, in PostgreSQL's types
/// (composites as JSONB). One connection, used by one caller at a time; a connection the server dropped (a
/// restart) is replaced on the next call, and until then calls fail, which the effect pump retries.
// Unchecked: the connection and its counter are read and written under `lock`; the event loop is its own.
public final class PostgresTables: DatabaseTables, @unchecked Sendable {
    public let name: String
    public var engine: String { "postgres" }
    public var holdsNUL: Bool { false }
    public let layout: DatabaseLayout
    public let endpoint: PostgresEndpoint
    private let lock = NSLock()
    private var connection: PostgresConnection?
    private var nextConnectionID = 0

    /// A loop of the engine's own: callers block on it from turn and pump threads, never from its thread.
    static let loops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    static let quiet = Logger(label: "soma.postgres", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Connects at once, so a database that cannot be reached says so when it is opened.
    public init(name: String, endpoint: PostgresEndpoint, layout: DatabaseLayout) throws {
        self.name = name
        self.endpoint = endpoint
        self.layout = layout
        try lock.withLock { _ = try openConnection() }
    }

    public func createTables() throws {
        try transaction("creating the tables") { connection in
            for statement in layout.createStatements(columnType: \.postgresType) { _ = try run(connection, statement) }
        }
    }

    // MARK: - Reads

    public func get(_ table: DatabaseLayout.Table, key: DatabaseValue) throws -> [DatabaseValue]? {
        try withConnection("reading \(table.name)") { connection in
            try run(connection, "SELECT \(selectList(table)) FROM \(DatabaseLayout.quoted(table.name)) WHERE \(DatabaseLayout.quoted(table.key)) = $1", [key])
                .first.map { try cells(of: $0, table) }
        }
    }

    public func all(_ table: DatabaseLayout.Table) throws -> [[DatabaseValue]] {
        try withConnection("reading \(table.name)") { connection in
            try run(connection, "SELECT \(selectList(table)) FROM \(DatabaseLayout.quoted(table.name)) ORDER BY \(DatabaseLayout.quoted(table.key))")
                .map { try cells(of: $0, table) }
        }
    }

    public func count(_ table: DatabaseLayout.Table) throws -> Int {
        try withConnection("counting \(table.name)") { connection in
            let rows = try run(connection, "SELECT COUNT(*) FROM \(DatabaseLayout.quoted(table.name))")
            return try rows.first.map { Int(try $0.decode(Int64.self)) } ?? 0
        }
    }

    /// Runs the query in a read-only transaction and has PostgreSQL turn its rows into JSON, which maps every
    /// column type (numeric, timestamps, arrays, JSONB) to the cells the sqlite engine gives.
    public func query(_ sql: String, arguments: [DatabaseValue]) throws -> [[(String, QueryCell)]] {
        var statement = sql.trimmingCharacters(in: .whitespacesAndNewlines)
        while statement.hasSuffix(";") { statement = String(statement.dropLast()).trimmingCharacters(in: .whitespacesAndNewlines) }
        let firstWord = statement.prefix { $0.isLetter }.lowercased()
        guard ["select", "with", "values", "table"].contains(firstWord) else {
            throw ResourceError(code: "sql-write", "db.sql runs queries only; write rows with db.TABLE.put and delete")
        }
        let text = try withConnection("running db.sql", code: "sql-error") { connection in
            _ = try run(connection, "START TRANSACTION READ ONLY")
            defer { _ = try? run(connection, "ROLLBACK") }
            do {
                let rows = try run(connection, "SELECT coalesce(json_agg(soma_rows), '[]')::text FROM (\(statement)) AS soma_rows", arguments)
                return try rows.first?.decode(String.self) ?? "[]"
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == "25006" {  // read_only_sql_transaction
                throw ResourceError(code: "sql-write", "db.sql runs queries only; write rows with db.TABLE.put and delete")
            }
        }
        guard case .array(let rows) = try? JSONDecoder().decode(SQLJSON.self, from: Data(text.utf8)) else { return [] }
        return rows.map { row in
            guard case .object(let fields) = row else { return [] }
            return fields.sorted { $0.key < $1.key }.map { ($0.key, $0.value.queryCell) }
        }
    }

    // MARK: - Writes

    public func apply(_ writes: [TableWrite]) throws {
        try transaction("writing \(writes.count) row change(s)") { connection in
            for change in writes {
                switch change {
                case .put(let tableName, let values):
                    guard let table = layout.table(tableName) else { continue }
                    let placeholders = table.columns.enumerated().map { index, column in
                        column.storage == .json ? "$\(index + 1)::jsonb" : "$\(index + 1)"
                    }
                    let updates = table.columns.filter { $0.name != table.key }
                        .map { "\(DatabaseLayout.quoted($0.name)) = EXCLUDED.\(DatabaseLayout.quoted($0.name))" }
                    let onConflict = updates.isEmpty ? "DO NOTHING" : "DO UPDATE SET \(updates.joined(separator: ", "))"
                    _ = try run(connection, """
                        INSERT INTO \(DatabaseLayout.quoted(table.name)) (\(columnList(table))) VALUES (\(placeholders.joined(separator: ", "))) \
                        ON CONFLICT (\(DatabaseLayout.quoted(table.key))) \(onConflict)
                        """, values)
                case .delete(let tableName, let key):
                    guard let table = layout.table(tableName) else { continue }
                    _ = try run(connection, "DELETE FROM \(DatabaseLayout.quoted(table.name)) WHERE \(DatabaseLayout.quoted(table.key)) = $1", [key])
                }
            }
        }
    }

    public func close() {
        lock.withLock {
            if let connection { _ = try? Self.blocking(connection.close()) }
            connection = nil
        }
    }

    // MARK: - The connection

    func columnList(_ table: DatabaseLayout.Table) -> String {
        table.columns.map { DatabaseLayout.quoted($0.name) }.joined(separator: ", ")
    }

    /// JSONB columns come back as their text, as the sqlite engine stores them.
    func selectList(_ table: DatabaseLayout.Table) -> String {
        table.columns.map { $0.storage == .json ? "\(DatabaseLayout.quoted($0.name))::text" : DatabaseLayout.quoted($0.name) }
            .joined(separator: ", ")
    }

    func cells(of row: PostgresRow, _ table: DatabaseLayout.Table) throws -> [DatabaseValue] {
        try zip(row, table.columns).map { cell, column in
            switch column.storage {
            case .integer: return try cell.decode(Int64?.self).map { $0.databaseValue } ?? .null
            case .real: return try cell.decode(Double?.self).map { $0.databaseValue } ?? .null
            case .text, .json: return try cell.decode(String?.self).map { $0.databaseValue } ?? .null
            }
        }
    }

    private func openConnection() throws -> PostgresConnection {
        if let connection, !connection.isClosed { return connection }
        connection = nil
        var configuration = PostgresConnection.Configuration(unixSocketPath: endpoint.socketPath, username: endpoint.user,
                                                             password: nil, database: endpoint.database)
        configuration.options.connectTimeout = .seconds(10)
        nextConnectionID += 1
        do {
            let opened = try Self.blocking(PostgresConnection.connect(on: Self.loops.next(), configuration: configuration,
                                                                      id: nextConnectionID, logger: Self.quiet))
            connection = opened
            return opened
        } catch {
            throw ResourceError(code: "database-open", "cannot reach database '\(name)' at \(endpoint.socketPath): \(Self.describe(error))")
        }
    }

    private func withConnection<T>(_ what: String, code: String = "database-read", _ body: (PostgresConnection) throws -> T) throws -> T {
        try lock.withLock {
            let connection = try openConnection()
            do {
                return try body(connection)
            } catch let error as ResourceError {
                throw error
            } catch {
                throw ResourceError(code: code, "database '\(name)': \(what): \(Self.describe(error))")
            }
        }
    }

    private func transaction(_ what: String, _ body: (PostgresConnection) throws -> Void) throws {
        try lock.withLock {
            let connection = try openConnection()
            do {
                _ = try run(connection, "BEGIN")
                try body(connection)
                _ = try run(connection, "COMMIT")
            } catch {
                _ = try? run(connection, "ROLLBACK")
                throw ResourceError(code: "database-write", "database '\(name)': \(what): \(Self.describe(error))", isPermanent: Self.refusesTheData(error))
            }
        }
    }

    private func run(_ connection: PostgresConnection, _ sql: String, _ arguments: [DatabaseValue] = []) throws -> [PostgresRow] {
        // A session dropped for not answering takes no more statements: a ROLLBACK after it would queue behind
        // the statement that hangs and wait out a second deadline.
        guard connection === self.connection else { throw ResourceError(code: "database-session-dropped", "the session was dropped") }
        var binds = PostgresBindings(capacity: arguments.count)
        for argument in arguments {
            switch argument.storage {
            case .null: binds.appendNull()
            case .int64(let int): binds.append(int)
            case .double(let double): binds.append(double)
            case .string(let text): binds.append(text)
            case .blob(let data): binds.append(ByteBuffer(bytes: data))
            }
        }
        do {
            return try Self.blocking(connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: Self.quiet)).rows
        } catch let error as NoAnswer {
            // The session is in an unknown state: the next call starts a new one. It closes on its loop, and
            // is kept until then (PostgresNIO requires a connection to be closed before it goes).
            (connection.close() as EventLoopFuture<Void>).whenComplete { _ in withExtendedLifetime(connection) {} }
            self.connection = nil
            throw error
        }
    }

    /// How long a statement may go unanswered: past it the session is dropped and the call fails, so a
    /// server that stops answering holds up neither a turn nor the effect pump for good (the pump retries on
    /// a new session). Letting a session in has PostgresNIO's own `connectTimeout`.
    static let statementSeconds = 30.0

    struct NoAnswer: Error {
        let seconds: Double
    }

    /// Waits for a future from a thread that is not an event loop (turns and the pump run on their own).
    static func blocking<T: Sendable>(_ future: EventLoopFuture<T>, within seconds: Double = statementSeconds) throws -> T {
        let done = DispatchSemaphore(value: 0)
        let outcome = NIOLockedValueBox<Result<T, any Error>?>(nil)
        future.whenComplete { result in
            outcome.withLockedValue { $0 = result }
            done.signal()
        }
        if done.wait(timeout: .now() + seconds) == .timedOut { throw NoAnswer(seconds: seconds) }
        return try outcome.withLockedValue { $0! }.get()
    }

    /// The server refused the data itself: a data exception (22, such as text holding U+0000), an integrity
    /// constraint (23), or a statement it cannot run (42) or hold (54). Retrying gives the same answer.
    static func refusesTheData(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError, let state = error.serverInfo?[.sqlState] else { return false }
        return ["22", "23", "42", "54"].contains(String(state.prefix(2)))
    }

    /// PostgresNIO keeps server messages out of its errors' descriptions (they may hold data); soma's own
    /// errors name the SQLSTATE and the message, which is what a user needs to fix a query.
    static func describe(_ error: any Error) -> String {
        if let error = error as? NoAnswer { return "the server did not answer within \(Int(error.seconds)) s" }
        guard let error = error as? PSQLError else { return "\(error)" }
        if let info = error.serverInfo {
            let state = info[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
            return (info[.message] ?? "\(error.code)") + state
        }
        if let underlying = error.underlying { return "\(error.code): \(underlying)" }
        return "\(error.code)"
    }
}

/// A JSON value of a `db.sql` row, as PostgreSQL's `json_agg` writes it.
enum SQLJSON: Decodable {
    case null, bool(Bool), int(Int64), double(Double), string(String), array([SQLJSON]), object([String: SQLJSON])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let flag = try? container.decode(Bool.self) { self = .bool(flag) }
        else if let int = try? container.decode(Int64.self) { self = .int(int) }
        else if let double = try? container.decode(Double.self) { self = .double(double) }
        else if let text = try? container.decode(String.self) { self = .string(text) }
        else if let array = try? container.decode([SQLJSON].self) { self = .array(array) }
        else { self = .object(try container.decode([String: SQLJSON].self)) }
    }

    /// A `db.sql` cell: json and jsonb values (and booleans) stay JSON, the rest are SQL scalars.
    var queryCell: QueryCell {
        switch self {
        case .bool, .array, .object: return .json(text)
        default: return .value(databaseValue)
        }
    }

    /// Scalars as cells; arrays and objects as their JSON text, as JSON columns read from SQLite.
    var databaseValue: DatabaseValue {
        switch self {
        case .null: return .null
        case .bool(let flag): return (flag ? 1 : 0).databaseValue
        case .int(let int): return int.databaseValue
        case .double(let double): return double.databaseValue
        case .string(let text): return text.databaseValue
        case .array, .object: return text.databaseValue
        }
    }

    var text: String {
        switch self {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .int(let int): return String(int)
        case .double(let double): return String(double)
        case .string(let text):
            let data = (try? JSONEncoder().encode(text)) ?? Data()
            return String(decoding: data, as: UTF8.self)
        case .array(let items): return "[" + items.map(\.text).joined(separator: ",") + "]"
        case .object(let fields):
            return "{" + fields.sorted { $0.key < $1.key }.map { SQLJSON.string($0.key).text + ":" + $0.value.text }.joined(separator: ",") + "}"
        }
    }
}
