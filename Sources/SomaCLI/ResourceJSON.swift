import Foundation
import SomaProtocol
import SomaResources

/// One resource as `resources list --json` and `resources show --json` print it (docs/schemas/resource.schema.json):
/// numbers as numbers, absent values as null, times in RFC 3339.
struct ResourceJSON: Encodable {
    var view: ResourceView
    /// Only `show` fills these: how to connect, what the running worker set aside, the newest dead letters.
    var connection: String?
    var tcp: String?
    var setAside: [SetAsideEffect]?
    var detailed = false

    enum Key: String, CodingKey {
        case name, kind, element, type, engine, provider, host, state, restarts, created, endpoint, pid, failure, size, connection, tcp, dead
        case elementVersion = "element_version", requestedByVersion = "requested_by_version", dataPath = "data_path"
        case inFlight = "in_flight", deadLetters = "dead_letters", maxAttempts = "max_attempts", visibilityMilliseconds = "visibility_ms"
        case sizeBytes = "size_bytes", setAside = "set_aside", setAsideEffects = "set_aside_effects"
    }

    func encode(to encoder: any Encoder) throws {
        let record = view.record, stats = view.stats
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(record.name, forKey: .name)
        try container.encode(record.intent.kind, forKey: .kind)
        try container.encode(record.intent.element, forKey: .element)
        try container.encode(view.typeDescription, forKey: .type)
        try container.encode(record.intent.engine, forKey: .engine)
        try container.encode(record.intent.provider, forKey: .provider)
        try container.encode(record.intent.host, forKey: .host)
        try container.encode(record.state, forKey: .state)
        try container.encode(record.restarts, forKey: .restarts)
        try container.encode(record.createdAt, forKey: .created)
        try container.encode(record.intent.elementVersion, forKey: .elementVersion)
        try container.encode(record.intent.requestedByVersion, forKey: .requestedByVersion)
        // `encode` of an Optional writes null: every field the schema names is there.
        try container.encode(record.endpoint?.address, forKey: .endpoint)
        try container.encode(record.dataPath, forKey: .dataPath)
        try container.encode(record.pid, forKey: .pid)
        try container.encode(record.failure, forKey: .failure)
        try container.encode(stats?.size, forKey: .size)
        try container.encode(stats?.inFlight, forKey: .inFlight)
        try container.encode(stats?.dead, forKey: .deadLetters)
        try container.encode(stats?.maxAttempts, forKey: .maxAttempts)
        try container.encode(stats?.visibilityMilliseconds, forKey: .visibilityMilliseconds)
        try container.encode(view.fileSize, forKey: .sizeBytes)
        guard detailed else { return }
        try container.encode(connection, forKey: .connection)
        try container.encode(tcp, forKey: .tcp)
        try container.encode(setAside?.count, forKey: .setAside)
        try container.encode((setAside ?? []).map(SetAsideJSON.init), forKey: .setAsideEffects)
        try container.encode(view.dead.map(DeadLetterJSON.init), forKey: .dead)
    }
}

/// A dead letter as `--json` prints it.
struct DeadLetterJSON: Encodable {
    var letter: DeadLetter

    enum Key: String, CodingKey {
        case id, version, body, attempts
        case diedAt = "died_at", lastError = "last_error"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(letter.id, forKey: .id)
        try container.encode(letter.version, forKey: .version)
        try container.encode(letter.body, forKey: .body)
        try container.encode(letter.attempts, forKey: .attempts)
        try container.encode(letter.diedAt, forKey: .diedAt)
        try container.encode(letter.lastError, forKey: .lastError)
    }
}

/// An effect set aside, its time in RFC 3339 rather than the milliseconds it is kept as.
struct SetAsideJSON: Encodable {
    var effect: SetAsideEffect

    enum Key: String, CodingKey {
        case id, operation, payload, error
        case failedAt = "failed_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(effect.id, forKey: .id)
        try container.encode(effect.operation, forKey: .operation)
        try container.encode(effect.payload, forKey: .payload)
        try container.encode(effect.error, forKey: .error)
        try container.encode(Date(timeIntervalSince1970: Double(effect.failedAt) / 1000), forKey: .failedAt)
    }
}
