/// What a program asks for, written to the ledger before any provider acts: the worker's `ResourceRequest`
/// as it came, and the version of the program that asked. Its fields read through (`intent.kind`).
@dynamicMemberLookup
public struct ResourceIntent: Codable, Sendable, Equatable {
    public var request: ResourceRequest
    public var requestedByVersion: Int

    public init(_ request: ResourceRequest, requestedByVersion: Int) {
        self.request = request
        self.requestedByVersion = requestedByVersion
    }

    public subscript<Value>(dynamicMember field: KeyPath<ResourceRequest, Value>) -> Value {
        request[keyPath: field]
    }

    /// The provider that carries it out: soma.toml's `[resources.NAME] provider`, else `local`.
    public var provider: String { request.provider ?? "local" }

    /// As the program writes the type: `QueueService<Order>`, `Database<ShopDb>`.
    public var typeDescription: String {
        (request.kind == .queue ? "QueueService" : "Database") + "<\(request.element)>"
    }
}
