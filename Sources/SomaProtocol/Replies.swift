import Foundation

/// The app as `soma status` shows it. Encoded as is for `status --json`: numbers are numbers, absent values
/// null, times RFC 3339.
public struct StatusReply: Codable, Sendable, Equatable {
    public var app: String
    public var state: AppState
    /// The version the supervisor runs.
    public var version: Int
    public var port: Int
    public var url: String
    public var supervisorPID: Int32
    public var supervisorStartedAt: Date
    /// Seconds since the supervisor started.
    public var supervisorUptime: Int
    /// How often the worker was started again since the supervisor started.
    public var restarts: Int
    /// Why the app failed, when it did.
    public var failure: String?
    public var workerPID: Int32?
    public var workerStartedAt: Date?
    /// Seconds since the worker started.
    public var uptime: Int?
    /// What the worker reported, when it answered.
    public var turns: Int?
    public var failed: Int?
    public var setAside: Int?
    public var quarantined: Int?
    public var replicasDeclared: Int?
    public var nodesRunning: Int?
    /// Where the control protocol listens on TCP (soma.toml `[control] listen`), and the certificate a
    /// client pins; nil when it listens only on its Unix socket.
    public var control: ControlListener?

    public init(app: String, state: AppState, version: Int, port: Int, url: String, supervisorPID: Int32, supervisorStartedAt: Date,
                supervisorUptime: Int, restarts: Int) {
        self.app = app
        self.state = state
        self.version = version
        self.port = port
        self.url = url
        self.supervisorPID = supervisorPID
        self.supervisorStartedAt = supervisorStartedAt
        self.supervisorUptime = supervisorUptime
        self.restarts = restarts
    }

    enum CodingKeys: String, CodingKey {
        case app, state, version, port, url, restarts, failure, uptime, turns, failed, quarantined
        case supervisorPID = "supervisor_pid", supervisorStartedAt = "supervisor_started_at", supervisorUptime = "supervisor_uptime"
        case workerPID = "worker_pid", workerStartedAt = "worker_started_at", setAside = "set_aside"
        case replicasDeclared = "replicas_declared", nodesRunning = "nodes_running", control
    }

    /// Absent values are written as null, not left out: a reader sees every field the schema names.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(app, forKey: .app)
        try container.encode(state, forKey: .state)
        try container.encode(version, forKey: .version)
        try container.encode(port, forKey: .port)
        try container.encode(url, forKey: .url)
        try container.encode(supervisorPID, forKey: .supervisorPID)
        try container.encode(supervisorStartedAt, forKey: .supervisorStartedAt)
        try container.encode(supervisorUptime, forKey: .supervisorUptime)
        try container.encode(restarts, forKey: .restarts)
        try container.encode(failure, forKey: .failure)
        try container.encode(workerPID, forKey: .workerPID)
        try container.encode(workerStartedAt, forKey: .workerStartedAt)
        try container.encode(uptime, forKey: .uptime)
        try container.encode(turns, forKey: .turns)
        try container.encode(failed, forKey: .failed)
        try container.encode(setAside, forKey: .setAside)
        try container.encode(quarantined, forKey: .quarantined)
        try container.encode(replicasDeclared, forKey: .replicasDeclared)
        try container.encode(nodesRunning, forKey: .nodesRunning)
        try container.encode(control, forKey: .control)
    }
}

/// `watch`'s answer: the app and its resources as they are now, and the generation of the change it saw. The
/// next `watch(after: generation)` waits for the change after this one.
public struct WatchReply: Codable, Sendable, Equatable {
    public var generation: Int
    public var status: StatusReply
    public var resources: [ResourceRecord]

    public init(generation: Int, status: StatusReply, resources: [ResourceRecord]) {
        self.generation = generation
        self.status = status
        self.resources = resources
    }
}

/// A supervisor's TCP control listener: its address, and the SHA-256 of the certificate it presents.
public struct ControlListener: Codable, Sendable, Equatable {
    public var address: String
    public var certificateSHA256: String

    public init(address: String, certificateSHA256: String) {
        self.address = address
        self.certificateSHA256 = certificateSHA256
    }

    enum CodingKeys: String, CodingKey {
        case address
        case certificateSHA256 = "certificate_sha256"
    }
}

/// Where an app is in its life, as `soma status` names it.
public enum AppState: String, Codable, Sendable, CaseIterable {
    /// The worker is starting, or provisioning what its program allocates.
    case starting
    /// The face answers.
    case serving
    /// The worker runs with its face closed: a launch of new code decides on its plan.
    case held
    /// The worker died and is started again after a backoff.
    case restarting
    /// The supervisor gave up; `failure` says why.
    case failed
    case stopping
    /// No supervisor runs.
    case stopped
}

/// The worker's answer to its supervisor's health check.
public struct HealthReply: Codable, Sendable, Equatable {
    public var pid: Int32
    public var version: Int
    /// The face's port once it is bound; nil while the worker starts or its face is held.
    public var port: Int?
    /// The address the face is bound to (soma.toml [face] host).
    public var host: String
    public var held: Bool
    public var turns: Int
    public var failed: Int
    public var setAside: Int
    public var quarantined: Int
    public var replicasDeclared: Int

    public init(pid: Int32, version: Int, port: Int?, host: String, held: Bool, turns: Int, failed: Int, setAside: Int, quarantined: Int,
                replicasDeclared: Int) {
        self.pid = pid
        self.version = version
        self.port = port
        self.host = host
        self.held = held
        self.turns = turns
        self.failed = failed
        self.setAside = setAside
        self.quarantined = quarantined
        self.replicasDeclared = replicasDeclared
    }

    public var serving: Bool { port != nil }
}

/// A face call's HTTP status and response body.
public struct FaceCallReply: Codable, Sendable, Equatable {
    public var status: Int
    public var body: String

    public init(status: Int, body: String) {
        self.status = status
        self.body = body
    }
}

/// A swap's plan (refused, planned or applied), or the diagnostics of new code that does not check against the
/// running version.
public struct SwapReply: Codable, Sendable {
    public var plan: SwapPlan?
    public var diagnostics: String?
    /// The number the new code has as a version (pending, or current once applied). Set by the supervisor.
    public var version: Int?

    public init(plan: SwapPlan) {
        self.plan = plan
    }

    public init(diagnostics: String) {
        self.diagnostics = diagnostics
    }
}

public struct FindReply: Codable, Sendable, Equatable {
    /// nil when no resource of that name was provisioned.
    public var found: FoundResource?

    public init(_ found: FoundResource?) {
        self.found = found
    }
}

public struct RepairReply: Codable, Sendable, Equatable {
    /// The value as it was quarantined.
    public var repaired: QuarantinedValue

    public init(repaired: QuarantinedValue) {
        self.repaired = repaired
    }
}
