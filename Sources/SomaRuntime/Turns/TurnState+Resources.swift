import GRDB

/// A turn's effects on resources: kept in the turn until it commits, so an aborted turn pushes nothing and
/// writes no row; table writes are read back by the same turn.
extension TurnState {
    enum PlannedEffect {
        case push(queue: String, version: Int, body: String)
        case put(database: String, table: String, key: DatabaseValue, row: Value, json: String)
        case delete(database: String, table: String, key: DatabaseValue, json: String)
    }

    func push(queue: String, version: Int, body: String) {
        plannedEffects.append(.push(queue: queue, version: version, body: body))
    }

    func pushes(to queue: String) -> Int {
        plannedEffects.count { if case .push(let name, _, _) = $0 { return name == queue } else { return false } }
    }

    func tablePut(database: String, table: String, key: DatabaseValue, row: Value, json: String) {
        plannedEffects.append(.put(database: database, table: table, key: key, row: row, json: json))
        tableWrites[database, default: [:]][table, default: [:]][key] = .some(row)
    }

    func tableDelete(database: String, table: String, key: DatabaseValue, json: String) {
        plannedEffects.append(.delete(database: database, table: table, key: key, json: json))
        tableWrites[database, default: [:]][table, default: [:]][key] = .some(nil)
    }

    /// This turn's own write of a row: `.some(nil)` when it deleted it.
    func tableWrite(database: String, table: String, key: DatabaseValue) -> Value?? {
        tableWrites[database]?[table]?[key]
    }

    func tableWrites(database: String, table: String) -> [DatabaseValue: Value?] {
        tableWrites[database]?[table] ?? [:]
    }

    /// The turn's effects, numbered, with a unique id for every message pushed.
    func resourceEffects(effectIDs: inout Int64, messagePrefix: String) -> [ResourceEffect] {
        var effects: [ResourceEffect] = []
        for planned in plannedEffects {
            effectIDs += 1
            switch planned {
            case .push(let queue, let version, let body):
                effects.append(ResourceEffect(id: effectIDs, resource: queue, operation: .push(.init(
                    messageID: "\(messagePrefix)-\(effectIDs)", version: version, body: body))))
            case .put(let database, let table, let key, let row, let json):
                effects.append(ResourceEffect(id: effectIDs, resource: database, operation: .put(table: table, key: key, row: row, json: json)))
            case .delete(let database, let table, let key, let json):
                effects.append(ResourceEffect(id: effectIDs, resource: database, operation: .delete(table: table, key: key, json: json)))
            }
        }
        if let consumed {
            effectIDs += 1
            effects.append(ResourceEffect(id: effectIDs, resource: consumed.queue, operation: .ack(messageID: consumed.messageID)))
        }
        return effects
    }
}
