import SomaDiagnostics
import SomaSyntax

/// What the checker established about one cell: the shapes the runtime will execute against.
public struct CellModel: Sendable {
    public var name: String
    public var span: SourceSpan
    public var signals: [SignalModel] = []
    public var slots: [SlotModel] = []
    public var machines: [MachineModel] = []
    public var resources: [ResourceModel] = []
    public var scale = ScaleModel()
    public var invariants: [InvariantModel] = []
    public var timers: [Int] = []
    public var hasStartHandler = false

    public func signal(_ name: String) -> SignalModel? { signals.first { $0.name == name } }
    public func slot(_ name: String) -> SlotModel? { slots.first { $0.name == name } }
    public func machine(_ name: String) -> MachineModel? { machines.first { $0.name == name } }
    public func resource(_ binding: String) -> ResourceModel? { resources.first { $0.binding == binding } }
}

public struct SignalModel: Sendable {
    public var name: String
    public var parameters: [(name: String, type: SomaType)]
    public var result: SomaType
    public var span: SourceSpan
}

public struct SlotProperties: Hashable, Sendable {
    public var persistent = false
    public var ephemeral = false
    public var consistent = false
    public var eventual = false
    public var local = false

    /// Durable unless declared ephemeral.
    public var isDurable: Bool { !ephemeral }

    public var summary: String {
        var words = [ephemeral ? "ephemeral" : "persistent"]
        if consistent { words.append("consistent") }
        if eventual { words.append("eventual") }
        if local { words.append("local") }
        return words.joined(separator: ", ")
    }
}

public struct SlotModel: Sendable {
    public var name: String
    public var type: SomaType
    public var properties: SlotProperties
    public var span: SourceSpan
    public var propertySpan: SourceSpan

    public var isMap: Bool {
        if case .map = type { return true }
        return false
    }
}

public struct MachineModel: Sendable {
    public var cell: String
    public var name: String
    public var states: [String]
    public var edges: [(from: String, to: String)]
    /// Explicit `final` states, or those without outgoing edges.
    public var finals: [String]
    public var declaration: StateMachineDeclaration

    public var qualifiedName: String { "\(cell)/\(name)" }
}

public struct ResourceModel: Sendable {
    public enum Kind: String, Sendable {
        case queue = "QueueService"
        case database = "Database"
    }
    /// The cell-level name it is bound to (`outbox`), which is also the name of its consumer handler.
    public var binding: String
    public var kind: Kind
    public var element: SomaType
    /// The resource's name in the app, when written as a literal.
    public var name: String?
    public var engine: String?
    public var host: String?
    public var span: SourceSpan

    public var typeDescription: String { "\(kind.rawValue)<\(element)>" }
}

public struct ScaleModel: Sendable {
    public enum Consistency: String, Sendable {
        case strong, causal, eventual
    }
    public var replicas = 1
    public var tolerance = 0
    public var consistency = Consistency.eventual
    public var consistencyWritten = false
    public var shard: String?
    public var cpu: Int?
    public var memory: String?
    public var hosts: [String] = []
    public var declared = false

    /// Majority quorum for strong consistency.
    public var quorum: Int { replicas / 2 + 1 }
}
