import SomaDiagnostics

public struct CellDeclaration: Hashable, Sendable {
    public var name: String
    public var nameSpan: SourceSpan
    public var members: [CellMember]
    public var span: SourceSpan

    public var signals: [SignalDeclaration] {
        members.flatMap { member -> [SignalDeclaration] in
            if case .face(let face) = member { return face.signals }
            return []
        }
    }
    public var slots: [SlotDeclaration] {
        members.flatMap { member -> [SlotDeclaration] in
            if case .memory(let memory) = member { return memory.slots }
            return []
        }
    }
    public var drops: [MemorySection.Drop] {
        members.flatMap { member -> [MemorySection.Drop] in
            if case .memory(let memory) = member { return memory.drops }
            return []
        }
    }
    public var stateMachines: [StateMachineDeclaration] {
        members.compactMap { if case .state(let machine) = $0 { return machine } else { return nil } }
    }
    public var scaleSections: [ScaleSection] {
        members.compactMap { if case .scale(let scale) = $0 { return scale } else { return nil } }
    }
    public var bindings: [ResourceBinding] {
        members.compactMap { if case .binding(let binding) = $0 { return binding } else { return nil } }
    }
    public var handlers: [HandlerDeclaration] {
        members.compactMap { if case .handler(let handler) = $0 { return handler } else { return nil } }
    }
    public var invariants: [InvariantDeclaration] {
        members.compactMap { if case .invariant(let invariant) = $0 { return invariant } else { return nil } }
    }
}

public enum CellMember: Hashable, Sendable {
    case face(FaceSection)
    case memory(MemorySection)
    case state(StateMachineDeclaration)
    case scale(ScaleSection)
    case binding(ResourceBinding)
    case invariant(InvariantDeclaration)
    case handler(HandlerDeclaration)
}

public struct FaceSection: Hashable, Sendable {
    public var signals: [SignalDeclaration]
    public var span: SourceSpan
}

public struct SignalDeclaration: Hashable, Sendable {
    public var name: String
    public var nameSpan: SourceSpan
    public var parameters: [Parameter]
    public var result: TypeSyntax?
    public var span: SourceSpan
}

public struct MemorySection: Hashable, Sendable {
    public struct Drop: Hashable, Sendable {
        public var name: String
        public var span: SourceSpan
    }
    public var slots: [SlotDeclaration]
    public var drops: [Drop]
    public var span: SourceSpan
}

public struct SlotProperty: Hashable, Sendable {
    public var name: String
    public var span: SourceSpan
}

public struct SlotDeclaration: Hashable, Sendable {
    public var name: String
    public var nameSpan: SourceSpan
    public var type: TypeSyntax
    public var properties: [SlotProperty]
    public var initialValue: Expression?
    public var span: SourceSpan
}

public struct StateMachineDeclaration: Hashable, Sendable {
    public struct Edge: Hashable, Sendable {
        public var from: String
        public var to: String
        public var span: SourceSpan
    }
    public struct StateName: Hashable, Sendable {
        public var name: String
        public var span: SourceSpan
    }
    public var name: String
    public var nameSpan: SourceSpan
    /// Every state in order of first mention; the first is initial.
    public var states: [StateName]
    public var edges: [Edge]
    /// nil when no `final` line was written: then states without outgoing edges are final.
    public var finals: [StateName]?
    public var span: SourceSpan
}

public struct ScaleSection: Hashable, Sendable {
    public struct Entry: Hashable, Sendable {
        public var key: String
        public var keySpan: SourceSpan
        public var value: Expression
    }
    public var entries: [Entry]
    public var span: SourceSpan
}

/// `let outbox = QueueService<Order>("outbox")` at cell level.
public struct ResourceBinding: Hashable, Sendable {
    public var name: String
    public var nameSpan: SourceSpan
    public var value: Expression
    public var span: SourceSpan
}

public struct InvariantDeclaration: Hashable, Sendable {
    public var name: String
    public var condition: Expression
    public var span: SourceSpan
}

public struct HandlerDeclaration: Hashable, Sendable {
    public enum Trigger: Hashable, Sendable {
        /// `on NAME(params)`: a face signal or a queue binding.
        case signal(String)
        case start
        case every(milliseconds: Int)
    }
    public var trigger: Trigger
    public var nameSpan: SourceSpan
    public var parameters: [Parameter]
    public var body: Block
    public var span: SourceSpan
}
