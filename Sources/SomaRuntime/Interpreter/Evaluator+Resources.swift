import Foundation
import GRDB
import SomaChecker
import SomaDiagnostics
import SomaResources
import SomaSyntax

/// Resource constructors and the methods of queues, databases and tables.
extension Evaluator {
    // MARK: - Constructors

    /// `QueueService<T>("name", ...)` or `Database<S>("name", ...)`: finds or provisions the resource (the
    /// first call waits until it is ready) and gives its handle.
    func constructResource(_ constructor: String, arguments: [Argument], type: SomaType?, span: SourceSpan) throws -> Value {
        guard let resources else {
            throw runtimeError("\(constructor) cannot be provisioned here", at: span)
        }
        try mayBlock()
        var name: String?
        var options: [String: Value] = [:]
        for argument in arguments {
            let value = try evaluate(argument.value)
            if let label = argument.label {
                options[label] = value
            } else if name == nil, case .string(let text) = value {
                name = text
            }
        }
        guard let name, SafeName.isValid(name) else {
            throw runtimeError("\(constructor) needs a valid name: \(SafeName.rule)", at: span)
        }
        var host = "local"
        if case .string(let on)? = options["on"] { host = on }
        guard host == "local" else {
            throw TurnError(.resource, "resource '\(name)' on host '\(host)': remote hosts arrive with the ssh provider", at: location(span))
        }
        do {
            switch (constructor, type) {
            case ("QueueService", .queue(let element)?):
                var queueOptions = QueueOptions()
                if case .int(let attempts)? = options["max_attempts"] { queueOptions.maxAttempts = max(1, attempts) }
                if case .duration(let milliseconds)? = options["visibility"] { queueOptions.visibilityMilliseconds = max(1, milliseconds) }
                if case .duration(let milliseconds)? = options["retry_base"] { queueOptions.retryBaseMilliseconds = max(0, milliseconds) }
                if case .duration(let milliseconds)? = options["retry_cap"] { queueOptions.retryCapMilliseconds = max(0, milliseconds) }
                _ = try resources.openQueue(name: name, element: element, version: program?.version(of: element) ?? 1, options: queueOptions, host: host)
            case ("Database", .database(let schema)?):
                guard let layout = DatabaseLayout(schema: schema, types: types) else {
                    throw runtimeError("\(schema) is not a database schema", at: span)
                }
                var engine = "sqlite"
                if case .string(let chosen)? = options["engine"] { engine = chosen }
                _ = try resources.openDatabase(name: name, schema: schema, version: program?.version(of: schema) ?? 1, layout: layout,
                                               engine: engine, host: host)
            default:
                throw runtimeError("\(constructor) has no element type here", at: span)
            }
        } catch var error as TurnError {
            if error.location == nil { error.location = location(span) }
            throw error
        }
        return .resource(kind: constructor, name: name)
    }

    /// Before anything that can wait on a resource: a turn running away from its cell's lane goes back to it
    /// (docs/turns.md, "Turns that never wait").
    func mayBlock() throws {
        if turn?.runsInline == true { throw LaneRequired() }
    }

    // MARK: - Queues and databases

    func resourceMethod(_ kind: String, _ name: String, _ method: String, _ values: [Value], span: SourceSpan, unknown: () -> TurnError) throws -> Value {
        guard let resources, let turn else { throw runtimeError("\(kind) '\(name)' is only usable inside a turn", at: span) }
        func argument(_ index: Int) throws -> Value {
            guard index < values.count else { throw runtimeError("'\(name).\(method)' is missing an argument", at: span) }
            return values[index]
        }
        if kind == "QueueService" {
            guard let queue = resources.queue(name) else { throw TurnError(.resource, "queue '\(name)' is not open", at: location(span)) }
            switch method {
            case "push":
                let value = try argument(0)
                turn.push(queue: name, version: turn.program.version(of: queue.element), body: codec.encode(value, as: queue.element))
                return .unit
            case "size":
                try mayBlock()
                let stored: Int
                do {
                    stored = try queue.turnClient.stats().size
                } catch {
                    throw TurnError(.resource, "\(error)", at: location(span))
                }
                return .int(stored + turn.context.pump.pendingPushes(name) + turn.pushes(to: name))
            default:
                throw unknown()
            }
        }
        guard let database = resources.database(name) else { throw TurnError(.resource, "database '\(name)' is not open", at: location(span)) }
        guard method == "sql" else { throw unknown() }
        try mayBlock()
        guard case .string(let sql) = try argument(0) else { throw runtimeError("db.sql takes the query as a String", at: span) }
        let parameters = try values.dropFirst().map { try Self.sqlArgument($0, span: span, evaluator: self) }
        guard turn.context.pump.waitUntilApplied(name, timeout: 10) else {
            throw TurnError(.resource, "database '\(name)' is not taking writes: db.sql cannot see the latest rows", at: location(span))
        }
        do {
            let rows = try database.tables.query(sql, arguments: parameters)
            steps += rows.count
            return .list(rows.map(TableRows.queryRow))
        } catch let error as ResourceError {
            // The program's query is at fault (a write, bad SQL): a run-time error with the engine's code.
            throw TurnError(.runtime, error.message, at: location(span), code: error.code)
        } catch {
            throw TurnError(.runtime, "\(error)", at: location(span))
        }
    }

    static func sqlArgument(_ value: Value, span: SourceSpan, evaluator: Evaluator) throws -> DatabaseValue {
        switch value {
        case .int(let int): return int.databaseValue
        case .float(let double): return double.databaseValue
        case .string(let text): return text.databaseValue
        case .bool(let flag): return (flag ? 1 : 0).databaseValue
        case .null, .none: return .null
        case .some(let wrapped): return try sqlArgument(wrapped, span: span, evaluator: evaluator)
        default: throw evaluator.runtimeError("db.sql takes Int, Float, String, Bool or None arguments, not \(value.typeName)", at: span)
        }
    }

    // MARK: - Tables

    func tableMethod(_ databaseName: String, _ tableName: String, _ method: String, _ values: [Value], span: SourceSpan, unknown: () -> TurnError) throws -> Value {
        guard let resources, let turn else { throw runtimeError("table '\(tableName)' is only usable inside a turn", at: span) }
        guard let database = resources.database(databaseName), let table = database.layout.table(tableName),
              case .named(let schemaKey) = database.schema, case .table(let rowType)? = types[schemaKey]?.field(tableName)?.type else {
            throw TurnError(.resource, "table '\(tableName)' of database '\(databaseName)' is not open", at: location(span))
        }
        let rows = TableRows(codec: codec, types: types, table: table, rowType: rowType)
        let pump = turn.context.pump
        func argument(_ index: Int) throws -> Value {
            guard index < values.count else { throw runtimeError("'\(tableName).\(method)' is missing an argument", at: span) }
            return values[index]
        }
        func read(_ key: DatabaseValue) throws -> Value? {
            if !database.tables.holdsNUL, Self.holdsNUL(key) { return nil } // such a row cannot exist there
            if let written = turn.tableWrite(database: databaseName, table: tableName, key: key) { return written }
            if let pending = pump.pendingRow(databaseName, tableName, key) { return pending }
            do {
                return try database.tables.get(table, key: key).map { try rows.value(of: $0) }
            } catch let error as TurnError {
                throw error
            } catch {
                throw TurnError(.resource, "\(error)", at: location(span))
            }
        }
        func everything() throws -> [Value] {
            var merged: [DatabaseValue: Value] = [:]
            do {
                for stored in try database.tables.all(table) {
                    merged[stored[table.keyIndex]] = try rows.value(of: stored)
                }
            } catch let error as TurnError {
                throw error
            } catch {
                throw TurnError(.resource, "\(error)", at: location(span))
            }
            for (key, row) in pump.pendingRows(databaseName, tableName) { merged[key] = row }
            for (key, row) in turn.tableWrites(database: databaseName, table: tableName) { merged[key] = row }
            steps += merged.count
            return merged.values.sorted { left, right in
                guard case .record(_, let l) = left, case .record(_, let r) = right,
                      let lk = l[table.key], let rk = r[table.key] else { return false }
                return Value.precedes(lk, rk)
            }
        }
        // Every table method but `put` (which only adds to the turn's writes) may read the database.
        if method != "put" { try mayBlock() }
        switch method {
        case "put":
            let row = try argument(0)
            guard case .record(_, let fields) = row, let keyValue = fields[table.key] else {
                throw runtimeError("a row of '\(tableName)' needs its key field '\(table.key)'", at: span)
            }
            let key = try rows.key(keyValue)
            if !database.tables.holdsNUL, let path = Self.pathHoldingNUL(row, at: tableName) {
                throw TurnError(.unstorable, "\(path): the \(database.tables.engine) engine of database '\(databaseName)' cannot store the character U+0000 (NUL) in text; remove it, or keep such data as Bytes",
                                at: location(span))
            }
            turn.tablePut(database: databaseName, table: tableName, key: key, row: row, json: codec.encode(row, as: rowType))
            return .unit
        case "get":
            return try read(try rows.key(try argument(0))).map(Value.some) ?? .none
        case "delete":
            let keyValue = try argument(0)
            let key = try rows.key(keyValue)
            let existed = try read(key) != nil
            if existed { turn.tableDelete(database: databaseName, table: tableName, key: key, json: codec.encode(keyValue, as: rows.keyType)) }
            return .bool(existed)
        case "all":
            return .list(try everything())
        case "count":
            // The stored count, corrected by the writes not applied yet: no need to read every row.
            var overlay = pump.pendingRows(databaseName, tableName)
            for (key, row) in turn.tableWrites(database: databaseName, table: tableName) { overlay[key] = row }
            do {
                var count = try database.tables.count(table)
                for (key, row) in overlay {
                    let stored = try database.tables.get(table, key: key) != nil
                    count += (row != nil ? 1 : 0) - (stored ? 1 : 0)
                }
                return .int(count)
            } catch {
                throw TurnError(.resource, "\(error)", at: location(span))
            }
        case "where":
            let predicate = try argument(0)
            return .list(try everything().filter {
                guard case .bool(let keep) = try apply(predicate, [$0], span: span) else {
                    throw runtimeError("where's function must give a Bool", at: span)
                }
                return keep
            })
        default:
            throw unknown()
        }
    }

    /// The first place inside a value that holds U+0000, as `orders.items[0].sku`; nil when there is none.
    static func pathHoldingNUL(_ value: Value, at path: String) -> String? {
        switch value {
        case .string(let text): return text.utf8.contains(0) ? path : nil
        case .some(let wrapped): return pathHoldingNUL(wrapped, at: path)
        case .list(let items):
            for (index, item) in items.enumerated() { if let found = pathHoldingNUL(item, at: "\(path)[\(index)]") { return found } }
            return nil
        case .set(let items):
            return items.lazy.compactMap { pathHoldingNUL($0, at: "\(path)[]") }.first
        case .map(let entries):
            for (key, item) in entries {
                if let found = pathHoldingNUL(key, at: "\(path) key") { return found }
                if let found = pathHoldingNUL(item, at: "\(path)[\(key)]") { return found }
            }
            return nil
        case .record(_, let fields), .variant(_, _, let fields):
            for name in fields.keys.sorted() { if let found = pathHoldingNUL(fields[name]!, at: "\(path).\(name)") { return found } }
            return nil
        default:
            return nil
        }
    }

    static func holdsNUL(_ key: DatabaseValue) -> Bool {
        if case .string(let text) = key.storage { return text.utf8.contains(0) }
        return false
    }
}
