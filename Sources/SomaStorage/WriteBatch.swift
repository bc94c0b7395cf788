import Foundation

/// The persistent effects of one committed turn, in the order they were made.
public struct WriteBatch: Sendable {
    public enum Change: Sendable, Equatable {
        /// A memory slot's value (scalar slots use the empty key; map entries their encoded key, and the key's
        /// order key: bytes that sort as the runtime orders keys).
        case putValue(cell: String, slot: String, key: String, version: Int, json: String, ord: Data? = nil)
        case deleteValue(cell: String, slot: String, key: String)
        /// A value of a lazily migrated slot rewritten at the new version, unless a turn has written it since
        /// (it is then at `version` already, or gone).
        case restampValue(cell: String, slot: String, key: String, version: Int, json: String)
        /// The order key of a stored Map row that has none (a row from before format step 8).
        case putOrder(cell: String, slot: String, key: String, ord: Data)
        /// Every key of a slot, for a slot replaced as a whole.
        case clearSlot(cell: String, slot: String)
        case putState(cell: String, machine: String, key: String, state: String)
        /// A `send` waiting for delivery: written with the sending turn, removed with the receiving one.
        case addSend(id: Int64, cell: String, signal: String, arguments: String)
        case removeSend(id: Int64)
        /// An effect on a resource (a queue push, a table write, a queue ack): written with the turn that made it,
        /// carried out once that turn is durable, removed once the resource has it.
        case addEffect(id: Int64, resource: String, operation: String, payload: String)
        case removeEffect(id: Int64)
        /// The effect's resource refused it for good: it moves to the set-aside effects with the error.
        case setAsideEffect(id: Int64, error: String, failedAt: Int64)
        /// A kept sum or count over a Map slot, as the turn that wrote the slot left it; nil: no longer known.
        case putAggregate(cell: String, name: String, slot: String, value: Int?)
    }

    public var changes: [Change]

    public init(changes: [Change] = []) {
        self.changes = changes
    }

    public var isEmpty: Bool { changes.isEmpty }
}

/// What a worker starts from (`StateStore.load`), and the shapes of the store's other reads.
public struct StoredState: Sendable {
    /// How many keys a slot holds at one version.
    public struct SlotStat: Sendable, Equatable {
        public var cell: String
        public var slot: String
        public var version: Int
        public var entries: Int

        public init(cell: String, slot: String, version: Int, entries: Int) {
            (self.cell, self.slot, self.version, self.entries) = (cell, slot, version, entries)
        }
    }
    public struct SlotValue: Sendable {
        public var cell: String
        public var slot: String
        public var key: String
        public var version: Int
        public var json: String
    }
    public struct MachineState: Sendable {
        public var cell: String
        public var machine: String
        public var key: String
        public var state: String
    }
    public struct PendingSend: Sendable {
        public var id: Int64
        public var cell: String
        public var signal: String
        public var arguments: String
    }
    public struct PendingEffect: Sendable {
        public var id: Int64
        public var resource: String
        public var operation: String
        public var payload: String
    }
    /// The scalar slots' values (a Map's entries are read when turns read them).
    public var values: [SlotValue] = []
    public var stats: [SlotStat] = []
    public var states: [MachineState] = []
    public var sends: [PendingSend] = []
    public var effects: [PendingEffect] = []
    /// Kept sums and counts, by cell and name.
    public var aggregates: [String: [String: Int]] = [:]
}
