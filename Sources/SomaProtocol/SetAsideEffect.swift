/// An effect its resource refused for good (a row PostgreSQL cannot hold, a broken constraint): taken out of
/// the pending effects so that the ones behind it flow, and kept with its error for `soma status` and
/// `soma resources show`.
public struct SetAsideEffect: Sendable, Equatable, Codable {
    public var id: Int64
    public var resource: String
    public var operation: String
    public var payload: String
    public var error: String
    /// Milliseconds since the Unix epoch.
    public var failedAt: Int64

    public init(id: Int64, resource: String, operation: String, payload: String, error: String, failedAt: Int64) {
        self.id = id
        self.resource = resource
        self.operation = operation
        self.payload = payload
        self.error = error
        self.failedAt = failedAt
    }
}
