import SomaProtocol
import SomaStorage

extension ResourceEffect {
    /// An outbox row as it was stored (before a restart), decoded for `program` with the resources open now;
    /// nil when this program cannot carry it out (its table or row type is gone, its JSON does not read).
    init?(stored row: StoredState.PendingEffect, program: RuntimeProgram, resources: ResourceSet) {
        guard let outbox = OutboxEffect(operation: row.operation, payload: row.payload) else { return nil }
        switch outbox {
        case .push(let messageID, let version, let body):
            self.init(id: row.id, resource: row.resource, operation: .push(.init(messageID: messageID, version: version, body: body)))
        case .ack(let messageID):
            self.init(id: row.id, resource: row.resource, operation: .ack(messageID: messageID))
        case .put(let tableName, let text), .delete(let tableName, let text):
            guard let database = resources.database(row.resource), let table = database.layout.table(tableName),
                  case .named(let schemaKey) = database.schema, case .table(let rowType)? = program.types[schemaKey]?.field(tableName)?.type,
                  let json = try? JSONValue.parse(text) else { return nil }
            if case .delete = outbox {
                let key = TableRows.databaseValue(json, storage: table.columns[table.keyIndex].storage)
                self.init(id: row.id, resource: row.resource, operation: .delete(table: tableName, key: key, json: text))
                return
            }
            guard case .object(let fields) = json, let value = try? program.codec.decode(json, as: rowType) else { return nil }
            let key = TableRows.databaseValue(fields[table.key] ?? .null, storage: table.columns[table.keyIndex].storage)
            self.init(id: row.id, resource: row.resource, operation: .put(table: tableName, key: key, row: value, json: text))
        }
    }
}
