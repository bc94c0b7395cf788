import SomaProtocol

/// What a program asks of its host when a resource constructor runs: make this resource exist (or find it)
/// and say where it is. The worker's broker asks the supervisor, which records the intent in the ledger and
/// has a provider act. Blocking: a turn that provisions waits until the resource is ready.
public protocol ResourceBroker: Sendable {
    func provision(_ request: ResourceRequest) throws -> ProvisionedResource
    /// A resource provisioned earlier, as recorded (its request and where it is); nil when there is none.
    /// A worker that restarts uses it to reopen resources its stored effects name but its bindings do not
    /// (those a handler provisioned dynamically).
    func find(_ name: String) throws -> FoundResource?
}

/// A broker for programs that bind no resources: any constructor is refused.
public struct NoResources: ResourceBroker {
    public init() {}

    public func provision(_ request: ResourceRequest) throws -> ProvisionedResource {
        throw TurnError(.runtime, "resource '\(request.name)' cannot be provisioned here: no resource broker")
    }

    public func find(_ name: String) throws -> FoundResource? { nil }
}
