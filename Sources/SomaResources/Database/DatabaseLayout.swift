import SomaChecker

/// How a `Database<S>` schema lies in SQL: one table per `Table<T>` field of S, one column per top-level field
/// of T. Scalars keep their SQL type; records, lists, maps, variants and `Json` are stored as JSON text.
/// Travels in a resource's options, so a provider (built in or a plugin) creates the same tables.
public struct DatabaseLayout: Codable, Sendable, Equatable {
    public struct Column: Codable, Sendable, Equatable {
        public enum Storage: String, Codable, Sendable {
            /// Int, Duration (milliseconds), Bool (0 or 1).
            case integer
            case real
            /// String, Time (RFC 3339), Bytes (base64).
            case text
            /// Anything composite, as its JSON mapping.
            case json
        }
        public var name: String
        public var storage: Storage
        public var nullable: Bool

        public var sqliteType: String {
            switch storage {
            case .integer: return "INTEGER"
            case .real: return "REAL"
            case .text, .json: return "TEXT"
            }
        }

        public var postgresType: String {
            switch storage {
            case .integer: return "BIGINT"
            case .real: return "DOUBLE PRECISION"
            case .text: return "TEXT"
            case .json: return "JSONB"
            }
        }
    }

    public struct Table: Codable, Sendable, Equatable {
        public var name: String
        /// The row type's name (`Order`).
        public var row: String
        public var key: String
        public var columns: [Column]
        /// The row type's version when the table was laid out (nil in layouts written before versions were kept).
        public var version: Int?

        public var keyIndex: Int { columns.firstIndex { $0.name == key } ?? 0 }
    }

    public var tables: [Table]

    public init(tables: [Table]) {
        self.tables = tables
    }

    public func table(_ name: String) -> Table? { tables.first { $0.name == name } }

    /// `CREATE TABLE IF NOT EXISTS` for every table, each column in the engine's type (`sqliteType` or
    /// `postgresType`), the key as primary key.
    public func createStatements(columnType: (Column) -> String) -> [String] {
        tables.map { table in
            let columns = table.columns.map { column in
                var definition = "\(Self.quoted(column.name)) \(columnType(column))"
                if column.name == table.key { definition += " PRIMARY KEY" } else if !column.nullable { definition += " NOT NULL" }
                return definition
            }
            return "CREATE TABLE IF NOT EXISTS \(Self.quoted(table.name)) (\(columns.joined(separator: ", ")))"
        }
    }

    /// The layout of a database schema type; nil when the type is not a schema.
    public init?(schema: SomaType, types: TypeTable) {
        guard case .named(let key) = schema, let named = types[key], named.isDatabaseSchema else { return nil }
        var tables: [Table] = []
        for field in named.fields {
            guard case .table(let rowType) = field.type, case .named(let rowKey) = rowType, let row = types[rowKey] else { return nil }
            let key = (row.fields.first { $0.isKey } ?? row.field("id"))?.name ?? row.fields.first?.name ?? "id"
            let columns = row.fields.map { Column(name: $0.name, storage: Self.storage(of: $0.type), nullable: $0.type.optionWrapped != nil) }
            tables.append(Table(name: field.name, row: row.name, key: key, columns: columns, version: row.version))
        }
        self.tables = tables
    }

    static func storage(of type: SomaType) -> Column.Storage {
        switch type {
        case .int, .duration, .bool: return .integer
        case .float: return .real
        case .string, .time, .bytes: return .text
        case .option(let wrapped):
            let inner = storage(of: wrapped)
            // Option<Option<T>> cannot tell None from Some(None) in one nullable column: keep it as JSON.
            if case .option = wrapped { return .json }
            return inner
        default: return .json
        }
    }

    /// SQL identifiers are quoted: field names come from programs and may be SQL keywords.
    public static func quoted(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
