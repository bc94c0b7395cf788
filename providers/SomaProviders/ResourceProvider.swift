import Foundation
import SomaProtocol
import SomaResources

/// What a provider is asked to make exist: the program's `ResourceRequest`, and a folder soma reserves for
/// its data. The same request may come again (a retry, or reconciliation after a crash): providing is
/// idempotent, and what already exists is reused, never duplicated. On the plugin protocol it is one flat
/// object, the request's fields beside `dataPath` (docs/providers.md).
@dynamicMemberLookup
public struct ProvisionRequest: Codable, Sendable, Equatable {
    public var resource: ResourceRequest
    /// A directory the resource may keep its data in (created by the provider).
    public var dataPath: String

    public init(_ resource: ResourceRequest, dataPath: String) {
        self.resource = resource
        self.dataPath = dataPath
    }

    public subscript<Value>(dynamicMember field: KeyPath<ResourceRequest, Value>) -> Value {
        resource[keyPath: field]
    }

    enum CodingKeys: String, CodingKey {
        case dataPath
    }

    public init(from decoder: any Decoder) throws {
        resource = try ResourceRequest(from: decoder)
        dataPath = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .dataPath)
    }

    public func encode(to encoder: any Encoder) throws {
        try resource.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(dataPath, forKey: .dataPath)
    }
}

/// A process the supervisor runs and keeps alive for a resource (the queue server, a PostgreSQL server).
public struct ProcessSpec: Codable, Sendable, Equatable {
    /// How the supervisor asks the process whether it is healthy.
    public enum HealthProtocol: String, Codable, Sendable {
        /// `healthCheck` is a line written to `readySocket`; any line back means healthy.
        case line
        /// `readySocket` is a PostgreSQL server's socket and `healthCheck` the role to connect as; a session
        /// that starts means healthy.
        case postgres
    }

    public var executable: String
    public var arguments: [String]
    /// The process is ready when this Unix socket accepts a connection (and, for `postgres`, a session).
    public var readySocket: String?
    /// Checked every few seconds, as `healthProtocol` says; a process that stops answering is killed and
    /// restarted.
    public var healthCheck: String?
    public var healthProtocol: HealthProtocol?
    /// With `line`: the answer must begin with this to count (a soma queue's answer to a hello is its own
    /// hello, while a queue of another protocol version answers a refusal). Any line counts without it.
    public var healthReplyPrefix: String?
    /// The account the process runs as when soma runs as root (PostgreSQL refuses to run as root).
    public var runAs: String?
    /// The signal that asks the process to stop cleanly: `TERM` (the default) or `INT` (PostgreSQL's fast
    /// shutdown, which does not wait for clients to leave).
    public var stopSignal: String?
    /// How long the process may take to become ready; 10 s when not said.
    public var readySeconds: Double?
    /// Text in the command lines of the processes it starts (PostgreSQL's backends carry their cluster's
    /// name). Those that outlive it are waited for, then killed, before it is started again.
    public var descendantsMarker: String?

    public init(executable: String, arguments: [String], readySocket: String?, healthCheck: String? = nil,
                healthProtocol: HealthProtocol? = nil, healthReplyPrefix: String? = nil, runAs: String? = nil, stopSignal: String? = nil,
                readySeconds: Double? = nil, descendantsMarker: String? = nil) {
        self.executable = executable
        self.arguments = arguments
        self.readySocket = readySocket
        self.healthCheck = healthCheck
        self.healthProtocol = healthProtocol
        self.healthReplyPrefix = healthReplyPrefix
        self.runAs = runAs
        self.stopSignal = stopSignal
        self.readySeconds = readySeconds
        self.descendantsMarker = descendantsMarker
    }
}

public struct ProvisionResult: Codable, Sendable, Equatable {
    /// Where the program reaches the resource: a queue's socket, a sqlite database's file, a postgres URL.
    public var endpoint: Endpoint
    public var dataPath: String?
    public var process: ProcessSpec?

    public init(endpoint: Endpoint, dataPath: String?, process: ProcessSpec?) {
        self.endpoint = endpoint
        self.dataPath = dataPath
        self.process = process
    }
}

/// What a provider can say about a resource it was asked for earlier.
public enum ResourcePresence: String, Codable, Sendable {
    /// Everything the resource needs is there.
    case present
    /// Something was started and not finished (a crash mid-provisioning).
    case partial
    case absent
}

public struct ProviderDescription: Codable, Sendable, Equatable {
    public var name: String
    /// `kind/engine` pairs it provides, as in `queue/queue`, `database/sqlite`.
    public var provides: [String]
    public var protocolVersion: Int

    public init(name: String, provides: [String], protocolVersion: Int = 1) {
        self.name = name
        self.provides = provides
        self.protocolVersion = protocolVersion
    }
}

/// A plugin that makes resources exist: built in (`local`) or an executable speaking the JSON protocol of
/// docs/providers.md. The `ssh` provider (a later release) is one more conformance.
public protocol ResourceProvider: Sendable {
    var name: String { get }
    func describe() async throws -> ProviderDescription
    func provision(_ request: ProvisionRequest) async throws -> ProvisionResult
    func status(_ request: ProvisionRequest) async throws -> ResourcePresence
    /// Ends the resource; its data is archived under `archivePath`, or deleted when `purge`.
    func release(_ request: ProvisionRequest, archivePath: String?) async throws
}

