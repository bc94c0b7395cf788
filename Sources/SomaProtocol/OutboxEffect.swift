/// An effect of a turn on a resource, as the outbox (`pending_effects`) keeps it until the resource has it:
/// one type that both writes and reads the stored row, so the two cannot drift apart. The row is an operation
/// name and a payload of newline-separated parts, the last being JSON text; its format is that of soma 0.1.0
/// (the home fixture in Tests/Fixtures holds such rows).
public enum OutboxEffect: Sendable, Equatable {
    /// A message for a queue: its id (so that a push carried out twice is stored once), type version, body.
    case push(messageID: String, version: Int, body: String)
    /// A consumed message, acknowledged once its turn committed.
    case ack(messageID: String)
    /// A row written to a database table: the row's JSON.
    case put(table: String, json: String)
    /// A row deleted: its key's JSON.
    case delete(table: String, json: String)

    public var storedOperation: String {
        switch self {
        case .push: "push"
        case .ack: "ack"
        case .put: "put"
        case .delete: "delete"
        }
    }

    public var storedPayload: String {
        switch self {
        case .push(let messageID, let version, let body): "\(messageID)\n\(version)\n\(body)"
        case .ack(let messageID): messageID
        case .put(let table, let json), .delete(let table, let json): "\(table)\n\(json)"
        }
    }

    /// The stored row read back; nil when it is no row this format writes.
    public init?(operation: String, payload: String) {
        switch operation {
        case "push":
            let parts = payload.split(separator: "\n", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 3, let version = Int(parts[1]) else { return nil }
            self = .push(messageID: parts[0], version: version, body: parts[2])
        case "ack":
            self = .ack(messageID: payload)
        case "put", "delete":
            let parts = payload.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2 else { return nil }
            self = operation == "put" ? .put(table: parts[0], json: parts[1]) : .delete(table: parts[0], json: parts[1])
        default:
            return nil
        }
    }
}
