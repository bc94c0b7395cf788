import Synchronization

/// How often committed turns evaluated their cell's invariants, and how often one was skipped because the turn
/// wrote nothing it reads (docs/state.md, "Invariants"): `/metrics` shows both.
public final class InvariantCounts: Sendable {
    private let evaluatedCount = Atomic<Int>(0)
    private let skippedCount = Atomic<Int>(0)

    public init() {}

    public var evaluated: Int { evaluatedCount.load(ordering: .relaxed) }
    public var skipped: Int { skippedCount.load(ordering: .relaxed) }

    func note(evaluated: Int, skipped: Int) {
        if evaluated > 0 { evaluatedCount.add(evaluated, ordering: .relaxed) }
        if skipped > 0 { skippedCount.add(skipped, ordering: .relaxed) }
    }
}
