/// One message as the queue protocol carries it. `body` is the JSON text of the value, `version` the version
/// of its type when it was pushed; `attempt` counts deliveries (1 on the first).
public struct QueueMessage: Codable, Sendable, Equatable {
    public var id: String
    public var version: Int
    public var body: String
    public var attempt: Int?

    public init(id: String, version: Int, body: String, attempt: Int? = nil) {
        self.id = id
        self.version = version
        self.body = body
        self.attempt = attempt
    }
}

/// A message that used up its attempts: kept aside, never delivered again, shown by `soma resources show`.
public struct DeadLetter: Codable, Sendable, Equatable {
    public var id: String
    public var version: Int
    public var body: String
    public var attempts: Int
    public var diedAt: String
    /// Why its last attempt failed (nil for letters that died before errors were kept).
    public var lastError: String?

    public init(id: String, version: Int, body: String, attempts: Int, diedAt: String, lastError: String?) {
        self.id = id
        self.version = version
        self.body = body
        self.attempts = attempts
        self.diedAt = diedAt
        self.lastError = lastError
    }
}

public struct QueueStats: Codable, Sendable, Equatable {
    /// Messages waiting or being consumed: what `size()` answers.
    public var size: Int
    public var inFlight: Int
    public var dead: Int
    public var maxAttempts: Int
    public var visibilityMilliseconds: Int
    /// Messages waiting or being consumed, by the version of their type ("1": 12): what a swap migrates.
    public var versions: [String: Int]?

    public init(size: Int, inFlight: Int, dead: Int, maxAttempts: Int, visibilityMilliseconds: Int, versions: [String: Int]?) {
        self.size = size
        self.inFlight = inFlight
        self.dead = dead
        self.maxAttempts = maxAttempts
        self.visibilityMilliseconds = visibilityMilliseconds
        self.versions = versions
    }
}

/// One request line of the queue protocol (JSON over the queue's Unix socket).
public struct QueueRequest: Codable, Sendable {
    public enum Operation: String, Codable, Sendable {
        case push, lease, ack, nack, stats, dead
        /// Dead letters back into the queue: `ids`, or all of them when `ids` is nil.
        case replay
        /// Messages of a type version below `version`, oldest first, without leasing them (a swap's dry run).
        case peek
    }
    public var op: Operation
    public var messages: [QueueMessage]?
    public var ids: [String]?
    /// For `nack`: why each attempt failed, in the order of `ids`.
    public var errors: [String]?
    /// For `lease`: at most this many messages; wait up to `waitMilliseconds` for one to arrive.
    public var max: Int?
    public var waitMilliseconds: Int?
    /// For `peek`: messages of a type version below this one.
    public var version: Int?

    public init(op: Operation, messages: [QueueMessage]? = nil, ids: [String]? = nil, max: Int? = nil, waitMilliseconds: Int? = nil,
                version: Int? = nil) {
        self.version = version
        self.op = op
        self.messages = messages
        self.ids = ids
        self.max = max
        self.waitMilliseconds = waitMilliseconds
    }
}

public struct QueueReply: Codable, Sendable {
    public var ok: Bool
    public var error: String?
    public var messages: [QueueMessage]?
    public var stats: QueueStats?
    public var dead: [DeadLetter]?

    public init(ok: Bool = true, error: String? = nil, messages: [QueueMessage]? = nil, stats: QueueStats? = nil, dead: [DeadLetter]? = nil) {
        self.ok = ok
        self.error = error
        self.messages = messages
        self.stats = stats
        self.dead = dead
    }
}
