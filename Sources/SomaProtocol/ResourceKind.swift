/// What a resource is, as its constructor names it.
public enum ResourceKind: String, Codable, Sendable, CaseIterable {
    case queue
    case database
}

/// What serves a resource: the queue engine, or a database engine.
public enum ResourceEngine: String, Codable, Sendable, CaseIterable {
    case queue
    case sqlite
    case postgres
}
