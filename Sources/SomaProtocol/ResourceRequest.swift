/// What a program asks of its host when a resource constructor runs: make this resource exist (or find it).
/// The worker sends it to the supervisor, which records it in the ledger as the resource's intent and has a
/// provider carry it out.
public struct ResourceRequest: Codable, Sendable, Equatable {
    public var name: String
    public var kind: ResourceKind
    public var engine: ResourceEngine
    /// The element type or schema, as the program names it.
    public var element: String
    public var elementVersion: Int
    /// The engine's options (`QueueOptions`, `DatabaseOptions`), as a JSON object.
    public var options: JSONDocument
    public var host: String
    /// soma.toml's `[resources.NAME] provider`; nil for `local`.
    public var provider: String?
    /// soma.toml's `[resources.NAME] port`, for server resources.
    public var port: Int?

    public init(name: String, kind: ResourceKind, engine: ResourceEngine, element: String, elementVersion: Int, options: JSONDocument,
                host: String, provider: String? = nil, port: Int? = nil) {
        self.name = name
        self.kind = kind
        self.engine = engine
        self.element = element
        self.elementVersion = elementVersion
        self.options = options
        self.host = host
        self.provider = provider
        self.port = port
    }
}

/// A resource that exists, and where.
public struct ProvisionedResource: Codable, Sendable, Equatable {
    public var name: String
    public var kind: ResourceKind
    public var engine: ResourceEngine
    /// A queue's socket, a sqlite database's file, a postgres URL.
    public var endpoint: Endpoint

    public init(name: String, kind: ResourceKind, engine: ResourceEngine, endpoint: Endpoint) {
        self.name = name
        self.kind = kind
        self.engine = engine
        self.endpoint = endpoint
    }
}

/// A resource provisioned earlier: what was asked, and where it is.
public struct FoundResource: Codable, Sendable, Equatable {
    public var request: ResourceRequest
    public var resource: ProvisionedResource

    public init(request: ResourceRequest, resource: ProvisionedResource) {
        self.request = request
        self.resource = resource
    }
}
