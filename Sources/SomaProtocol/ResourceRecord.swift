/// A resource as the ledger keeps it: its intent, and what became of it. What `soma resources` shows, read
/// from the ledger or asked of the supervisor.
public struct ResourceRecord: Codable, Sendable, Equatable {
    public var intent: ResourceIntent
    /// `provisioning`, `ready`, `failed`, `orphaned` or `released`.
    public var state: String
    public var endpoint: Endpoint?
    public var dataPath: String?
    public var pid: Int32?
    public var restarts: Int
    public var failure: String?
    public var attempts: Int
    /// The provider's answer when it last made the resource exist: a process serves it (a queue, a server),
    /// which the supervisor runs, restarts and health-checks.
    public var servedByProcess = false
    public var createdAt: String
    public var updatedAt: String

    public var name: String { intent.name }

    public init(intent: ResourceIntent, state: String, endpoint: Endpoint?, dataPath: String?, pid: Int32?, restarts: Int, failure: String?,
                attempts: Int, servedByProcess: Bool, createdAt: String, updatedAt: String) {
        self.intent = intent
        self.state = state
        self.endpoint = endpoint
        self.dataPath = dataPath
        self.pid = pid
        self.restarts = restarts
        self.failure = failure
        self.attempts = attempts
        self.servedByProcess = servedByProcess
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
