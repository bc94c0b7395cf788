/// What a resource holds right now, read where it lives: a queue's figures and newest dead letters, a
/// database file's size. The supervisor answers it (control 3.2), so that `soma resources` never needs the
/// resource to be on the machine the CLI runs on.
public struct ResourceInspection: Codable, Sendable, Equatable {
    /// A running queue's figures; nil for another kind, or a queue that did not answer.
    public var stats: QueueStats?
    /// A queue's dead letters, newest first, at most as many as were asked for.
    public var deadLetters: [DeadLetter]
    /// A SQLite database's file size in bytes.
    public var sizeBytes: Int?

    public init(stats: QueueStats? = nil, deadLetters: [DeadLetter] = [], sizeBytes: Int? = nil) {
        self.stats = stats
        self.deadLetters = deadLetters
        self.sizeBytes = sizeBytes
    }
}
