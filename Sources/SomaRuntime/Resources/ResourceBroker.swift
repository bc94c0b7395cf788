/// What a program asks of its host when a resource constructor runs: make this resource exist (or find it)
/// and say where it is. The worker's broker asks the supervisor, which records the intent in the ledger and
/// has a provider act. Blocking: a turn that provisions waits until the resource is ready.
public protocol ResourceBroker: Sendable {
    func provision(_ request: ResourceRequest) throws -> ProvisionedResource
    /// A resource provisioned earlier, as recorded (its request and where it is); nil when there is none.
    /// A worker that restarts uses it to reopen resources its stored effects name but its bindings do not
    /// (those a handler provisioned dynamically).
    func find(_ name: String) throws -> (ResourceRequest, ProvisionedResource)?
}

public struct ResourceRequest: Sendable, Equatable {
    public var name: String
    /// `queue` or `database`.
    public var kind: String
    public var engine: String
    /// The element type or schema, as the program names it.
    public var element: String
    public var elementVersion: Int
    /// The engine's options as JSON (`QueueOptions`, `DatabaseOptions`).
    public var options: String
    public var host: String

    public init(name: String, kind: String, engine: String, element: String, elementVersion: Int, options: String, host: String) {
        self.name = name
        self.kind = kind
        self.engine = engine
        self.element = element
        self.elementVersion = elementVersion
        self.options = options
        self.host = host
    }
}

public struct ProvisionedResource: Sendable, Equatable {
    public var name: String
    public var kind: String
    public var engine: String
    /// A queue's socket, a sqlite database's file, a postgres connection string.
    public var endpoint: String

    public init(name: String, kind: String, engine: String, endpoint: String) {
        self.name = name
        self.kind = kind
        self.engine = engine
        self.endpoint = endpoint
    }
}

/// A broker for programs that bind no resources: any constructor is refused.
public struct NoResources: ResourceBroker {
    public init() {}

    public func provision(_ request: ResourceRequest) throws -> ProvisionedResource {
        throw TurnError(.runtime, "resource '\(request.name)' cannot be provisioned here: no resource broker")
    }

    public func find(_ name: String) throws -> (ResourceRequest, ProvisionedResource)? { nil }
}
