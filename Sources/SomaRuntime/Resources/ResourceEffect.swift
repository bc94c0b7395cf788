import GRDB
import SomaProtocol

/// What a committed turn does to a resource, carried out by the effect pump once the turn is durable. Each is
/// stored with the turn (`pending_effects`) and removed once the resource has it, so a crash in between
/// only makes the pump do it again: every operation is idempotent (a push by its message id, a put or delete
/// by its key, an ack by its message id).
struct ResourceEffect: Sendable {
    enum Operation: Sendable {
        case push(QueuedValue)
        case ack(messageID: String)
        case put(table: String, key: DatabaseValue, row: Value, json: String)
        case delete(table: String, key: DatabaseValue, json: String)
    }

    struct QueuedValue: Sendable {
        var messageID: String
        var version: Int
        var body: String
    }

    var id: Int64
    var resource: String
    var operation: Operation

    /// The row the outbox keeps.
    var stored: OutboxEffect {
        switch operation {
        case .push(let queued): .push(messageID: queued.messageID, version: queued.version, body: queued.body)
        case .ack(let messageID): .ack(messageID: messageID)
        case .put(let table, _, _, let json): .put(table: table, json: json)
        case .delete(let table, _, let json): .delete(table: table, json: json)
        }
    }
}
