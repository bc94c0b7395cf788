/// What the supervisor serves on the app's control socket (protocol `soma-control`): the CLI's commands, and
/// the worker's resource requests. Each case's reply type is fixed (`ControlClient`'s typed calls).
public enum ControlRequest: Codable, Sendable {
    /// → `StatusReply`
    case status
    /// The status and the resources once something they show has changed since `after` (a `WatchReply`'s
    /// generation; 0 at first), or after `timeoutMilliseconds` without a change (control 3.3). `soma launch`
    /// waits with it instead of asking `status` and `resources` in a loop. → `WatchReply`
    case watch(after: Int, timeoutMilliseconds: Int)
    /// A face call without HTTP (`soma send`), forwarded to the worker. → `FaceCallReply`
    case send(FaceCall)
    /// Plan or apply a swap to new code, which the supervisor records as a pending version. → `SwapReply`
    case swap(SwapOrder)
    /// To a supervisor started idle (or before the app runs): record the launch and run the app. → `LaunchReply`
    case launch(LaunchOrder)
    /// → `Done`, before the supervisor stops.
    case stop
    /// → `[QuarantinedValue]`
    case quarantined
    /// → `RepairReply`
    case repair(RepairOrder)
    /// The effects a resource (or every resource, when nil) refused for good. → `[SetAsideEffect]`
    case setAside(resource: String?)
    /// From the worker: make the resource exist. → `ProvisionedResource`
    case provision(ResourceRequest)
    /// From the worker: a resource provisioned earlier. → `FindReply`
    case find(name: String)
    /// → `Done`
    case release(name: String, purge: Bool)
    /// The app's resources as the ledger has them. → `[ResourceRecord]`
    case resources
    /// What a resource holds now, with at most `deadLetters` of a queue's dead letters (control 3.2).
    /// → `ResourceInspection`
    case inspect(name: String, deadLetters: Int)
    /// A queue's dead letters back into it: `ids`, or every one when nil (control 3.2). → `[QueueMessage]`, those
    /// replayed
    case replay(name: String, ids: [String]?)
    /// The app's log from byte offset `from`, at most `limit` bytes of whole lines (control 3.2). → `LogChunk`
    case logs(from: Int, limit: Int)
    /// The versions the app has run, oldest first. → `[VersionSummary]`
    case versions
    /// A version's code as the ledger keeps it, for `soma swap` and `soma rollback` to check against (control
    /// 3.1). → `ProgramCode`
    case code(version: Int)
    /// From the worker, as it refuses to start: the stored state is at this version, not the one it was given
    /// (a swap's commit point passed unrecorded). → `Done`
    case storedState(version: Int)
    /// From the worker, as it gives up starting: why it cannot run, for the supervisor to name when it stops
    /// restarting it. → `Done`
    case workerFailed(reason: String)
    /// From the worker, once its control socket answers and its face serves (or is held closed for a launch's
    /// plan): what `watch` waits for, without asking the worker's health in a loop (control 3.3). → `Done`
    case workerReady

    /// The command's name, for logs and errors.
    public var name: String {
        switch self {
        case .status: "status"
        case .watch: "watch"
        case .send: "send"
        case .swap: "swap"
        case .launch: "launch"
        case .stop: "stop"
        case .quarantined: "quarantined"
        case .repair: "repair"
        case .setAside: "set-aside"
        case .provision: "provision"
        case .find: "find"
        case .release: "release"
        case .resources: "resources"
        case .inspect: "inspect"
        case .replay: "replay"
        case .logs: "logs"
        case .versions: "versions"
        case .code: "code"
        case .storedState: "stored-state"
        case .workerFailed: "worker-failed"
        case .workerReady: "worker-ready"
        }
    }
}

/// What the worker serves on its socket (protocol `soma-worker`), for its supervisor.
public enum WorkerRequest: Codable, Sendable {
    /// → `HealthReply`
    case health
    /// → `FaceCallReply`
    case send(FaceCall)
    /// → `SwapReply`
    case swap(WorkerSwap)
    /// → `[SetAsideEffect]`
    case setAside(resource: String?)
    /// → `[QuarantinedValue]`
    case quarantined
    /// → `RepairReply`
    case repair(RepairOrder)

    public var name: String {
        switch self {
        case .health: "health"
        case .send: "send"
        case .swap: "swap"
        case .setAside: "set-aside"
        case .quarantined: "quarantined"
        case .repair: "repair"
        }
    }
}

/// A signal called without HTTP: the body is the request's JSON text, as a client would POST it.
public struct FaceCall: Codable, Sendable, Equatable {
    public var cell: String
    public var signal: String
    public var body: String

    public init(cell: String, signal: String, body: String) {
        self.cell = cell
        self.signal = signal
        self.body = body
    }
}

/// `soma swap` and `soma rollback`, to the supervisor: the new code, which it records as a pending version
/// while it plans or applies (and discards unless applied).
public struct SwapOrder: Codable, Sendable, Equatable {
    public var code: ProgramCode
    /// For a rollback: the earlier version whose code this is.
    public var restores: Int?
    /// The version the CLI checked the code against: another one running by then is refused as `conflict`.
    public var from: Int
    /// false: only the plan.
    public var apply: Bool
    /// With a plan that a swap follows: the worker keeps its dry run's migrated memory for it.
    public var keep: Bool
    /// Refuse a swap that changes the shape a signal accepts or returns.
    public var strictFace: Bool

    public init(code: ProgramCode, restores: Int? = nil, from: Int, apply: Bool, keep: Bool = false, strictFace: Bool = false) {
        self.code = code
        self.restores = restores
        self.from = from
        self.apply = apply
        self.keep = keep
        self.strictFace = strictFace
    }
}

/// The supervisor to its worker: check `entry` against `against` on the live data, then plan or apply.
public struct WorkerSwap: Codable, Sendable, Equatable {
    /// The new version's entry file, materialized in the home.
    public var entry: String
    /// The running version's entry file.
    public var against: String
    public var version: Int
    public var apply: Bool
    public var keep: Bool
    public var strictFace: Bool
    /// For a rollback: the earlier version whose code `entry` is.
    public var restores: Int?

    public init(entry: String, against: String, version: Int, apply: Bool, keep: Bool, strictFace: Bool, restores: Int?) {
        self.entry = entry
        self.against = against
        self.version = version
        self.apply = apply
        self.keep = keep
        self.strictFace = strictFace
        self.restores = restores
    }
}

/// `soma repair remove|replace`: one quarantined value, and what to do with it.
public struct RepairOrder: Codable, Sendable, Equatable {
    public enum Action: Codable, Sendable, Equatable {
        case remove
        /// The replacement, as JSON text of the slot's (or the Map's value) type.
        case replace(json: String)
    }

    public var cell: String
    public var slot: String
    /// The key as stored (its JSON text); empty for a slot that is not a Map.
    public var key: String
    public var action: Action

    public init(cell: String, slot: String, key: String, action: Action) {
        self.cell = cell
        self.slot = slot
        self.key = key
        self.action = action
    }
}
