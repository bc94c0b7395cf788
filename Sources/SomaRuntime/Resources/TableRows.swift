import GRDB
import SomaChecker
import SomaResources

/// Rows of a `Table<T>` between values and SQL columns, through the JSON mapping: each top-level field is a
/// column, scalars as SQL scalars, composites as their JSON text (the same text the HTTP face shows).
struct TableRows {
    let codec: ValueCodec
    let types: TypeTable
    let table: DatabaseLayout.Table
    let rowType: SomaType

    var rowFields: [NamedType.Field] {
        guard case .named(let key) = rowType else { return [] }
        return types[key]?.fields ?? []
    }

    var keyType: SomaType { rowFields.first { $0.name == table.key }?.type ?? .string }

    func columns(of row: Value) throws -> [DatabaseValue] {
        guard case .object(let fields) = try JSONValue.parse(codec.encode(row, as: rowType)) else {
            throw TurnError(.runtime, "a row of \(table.name) must be a record")
        }
        return table.columns.map { column in Self.databaseValue(fields[column.name] ?? .null, storage: column.storage) }
    }

    func key(_ key: Value) throws -> DatabaseValue {
        let json = try JSONValue.parse(codec.encode(key, as: keyType))
        return Self.databaseValue(json, storage: table.columns[table.keyIndex].storage)
    }

    func value(of columns: [DatabaseValue]) throws -> Value {
        var object: [String: JSONValue] = [:]
        let fieldTypes = Dictionary(rowFields.map { ($0.name, $0.type) }, uniquingKeysWith: { first, _ in first })
        for (column, stored) in zip(table.columns, columns) {
            object[column.name] = try Self.json(stored, storage: column.storage, type: fieldTypes[column.name] ?? .json)
        }
        do {
            return try codec.decode(.object(object), as: rowType, path: table.name)
        } catch {
            throw TurnError(.runtime, "a stored row of table '\(table.name)' does not read as \(rowType): \(error)")
        }
    }

    static func databaseValue(_ json: JSONValue, storage: DatabaseLayout.Column.Storage) -> DatabaseValue {
        switch (json, storage) {
        case (.null, _): return .null
        case (.bool(let flag), .integer): return (flag ? 1 : 0).databaseValue
        case (.int(let int), .integer): return int.databaseValue
        case (.int(let int), .real): return Double(int).databaseValue
        case (.double(let double), .real), (.double(let double), .integer): return double.databaseValue
        case (.string(let text), .text): return text.databaseValue
        default:
            var writer = JSONWriter()
            writer.json(json)
            return writer.text.databaseValue
        }
    }

    static func json(_ stored: DatabaseValue, storage: DatabaseLayout.Column.Storage, type: SomaType) throws -> JSONValue {
        switch stored.storage {
        case .null: return .null
        case .int64(let int):
            let scalar = type.optionWrapped ?? type
            return scalar == .bool ? .bool(int != 0) : .int(Int(int))
        case .double(let double): return .double(double)
        case .string(let text):
            if storage == .json { return try JSONValue.parse(text) }
            return .string(text)
        case .blob(let data): return .string(String(decoding: data, as: UTF8.self))
        }
    }

    /// A row of `db.sql(...)` as a Json object.
    static func queryRow(_ columns: [(String, QueryCell)]) -> Value {
        var object: [Value: Value] = [:]
        for (name, cell) in columns {
            let stored: DatabaseValue
            switch cell {
            case .value(let scalar):
                stored = scalar
            case .json(let text):
                object[.string(name)] = (try? JSONValue.parse(text)).flatMap { try? ValueCodec.dynamic($0, path: name) } ?? .string(text)
                continue
            }
            let value: Value
            switch stored.storage {
            case .null: value = .null
            case .int64(let int): value = .int(Int(int))
            case .double(let double): value = .float(double)
            case .string(let text): value = .string(text)
            case .blob(let data): value = .bytes(Array(data))
            }
            object[.string(name)] = value
        }
        return .map(object)
    }
}
