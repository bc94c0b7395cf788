import SomaDiagnostics
import SomaSyntax

/// One invariant as the checker resolved it: what it reads decides when the runtime must evaluate it again
/// (docs/state.md, "Invariants").
public struct InvariantModel: Sendable {
    public var name: String
    public var span: SourceSpan
    public var reads: InvariantReads
    /// Sums and counts over a Map's values that the runtime keeps up to date from each turn's writes, in place
    /// of reading the Map.
    public var aggregates: [AggregateModel] = []

    public init(name: String, span: SourceSpan, reads: InvariantReads, aggregates: [AggregateModel] = []) {
        self.name = name
        self.span = span
        self.reads = reads
        self.aggregates = aggregates
    }
}

/// What a body reads beyond its own locals: memory slots and state machines of its cell, and whether it reads
/// anything that changes without a turn of the cell writing it (the clock, a fresh uuid, a resource).
public struct InvariantReads: Hashable, Sendable {
    public var slots: Set<String> = []
    public var machines: Set<String> = []
    /// Map slots read whole (`keys()`, `values()`, the Map as a value, a `for` over it): each is a scan.
    public var scanned: Set<String> = []
    /// The clock, `uuid()` or a resource, directly or through a function it calls.
    public var outside = false
    /// Functions called by name; resolved into `outside` once every function body has been read.
    public var functions: Set<String> = []

    public init(slots: Set<String> = [], machines: Set<String> = [], scanned: Set<String> = [], outside: Bool = false) {
        self.slots = slots
        self.machines = machines
        self.scanned = scanned
        self.outside = outside
    }

    /// Whether a turn that wrote the slots and moved the machines these say it did can have changed what the
    /// invariant evaluates to. One that reads outside memory can change without any write: every turn does.
    public func isTouched(wroteSlot: (String) -> Bool, movedMachine: (String) -> Bool) -> Bool {
        outside || slots.contains(where: wroteSlot) || machines.contains(where: movedMachine)
    }
}
