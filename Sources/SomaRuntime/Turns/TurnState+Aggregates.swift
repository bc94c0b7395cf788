import SomaChecker
import SomaStorage
import SomaSyntax

/// Sums and counts over a Map's values that an invariant reads, kept instead of read (docs/state.md,
/// "Invariants"): a turn's value is the committed one plus what each of its writes adds, less what it replaced.
/// The first turn that needs one memory does not know reads the slot once, on the cell's lane.
extension TurnState {
    /// The aggregate as this turn sees it; nil when it cannot be kept (a write whose old value is not known),
    /// and the expression is then evaluated as written.
    func aggregate(_ aggregate: RuntimeProgram.Aggregate, evaluator: Evaluator) throws -> Int? {
        if let value = aggregateValues[aggregate.name] { return value }
        if aggregatesForgotten.contains(aggregate.name) { return nil }
        let function = try aggregate.model.function.map { try evaluator.evaluate($0) }
        let writes = mapWrites[aggregate.slot] ?? [:]
        var delta = 0
        for write in writes.values {
            guard case .some(let old) = write.old else {
                aggregatesForgotten.insert(aggregate.name)
                return nil
            }
            delta += try contribution(of: write.value, to: aggregate, function, evaluator) - contribution(of: old, to: aggregate, function, evaluator)
        }
        let base = try memory.aggregates[aggregate.name] ?? scanned(aggregate, function, evaluator)
        let (value, overflow) = base.addingReportingOverflow(delta)
        if overflow { throw TurnError(.runtime, "\(cellName).\(aggregate.slot): the kept sum overflows Int") }
        aggregateValues[aggregate.name] = value
        return value
    }

    /// Brings up to date every kept aggregate over a slot this turn wrote, before it commits: one that memory
    /// knows, or that this turn read the slot for.
    func settleAggregates(evaluator: Evaluator) throws {
        for aggregate in cell.keptAggregates where mapWrites[aggregate.slot] != nil && aggregateValues[aggregate.name] == nil {
            if memory.aggregates[aggregate.name] == nil { continue }
            _ = try self.aggregate(aggregate, evaluator: evaluator)
        }
    }

    /// A change the turn cannot add up (a repair of a value that did not read): every kept aggregate of the
    /// slot is forgotten with the commit, and read again when next needed.
    func forgetAggregates(of slot: String) {
        for aggregate in cell.keptAggregates where aggregate.slot == slot { aggregatesForgotten.insert(aggregate.name) }
    }

    /// Under the engine's lock, with the commit: memory keeps what the turn left, the store too for a durable
    /// slot, in the turn's own batch. One the turn no longer knows is forgotten in both.
    func commitAggregates(into batch: inout WriteBatch) {
        for aggregate in cell.keptAggregates {
            let value: Int?
            if let known = aggregateValues[aggregate.name] {
                value = known
            } else if aggregatesForgotten.contains(aggregate.name) || (mapWrites[aggregate.slot] != nil && memory.aggregates[aggregate.name] != nil) {
                value = nil
            } else {
                continue
            }
            memory.aggregates[aggregate.name] = value
            if aggregate.durable {
                batch.changes.append(.putAggregate(cell: cellName, name: aggregate.name, slot: aggregate.slot, value: value))
            }
        }
    }

    /// What one value adds: itself or `f` of it (a sum), 1 or 0 (a count); nothing for no value.
    private func contribution(of value: Value?, to aggregate: RuntimeProgram.Aggregate, _ function: Value?, _ evaluator: Evaluator) throws -> Int {
        guard let value else { return 0 }
        let span = aggregate.model.span
        let result = try function.map { try evaluator.apply($0, [value], span: span) } ?? value
        switch (aggregate.model.kind, result) {
        case (.sum, .int(let number)): return number
        case (.count, .bool(let keep)): return keep ? 1 : 0
        default: throw TurnError(.runtime, "\(cellName).\(aggregate.slot): a kept \(aggregate.model.kind.rawValue) met \(result.typeName)")
        }
    }

    /// The aggregate over the slot as committed, read once: every value streamed from the cache and the store,
    /// outside the turn's step budget (the turn is not the cause of its cost), on the lane.
    private func scanned(_ aggregate: RuntimeProgram.Aggregate, _ function: Value?, _ evaluator: Evaluator) throws -> Int {
        guard let model = cell.model.slot(aggregate.slot), let types = CellMemory.SlotTypes(model) else { return 0 }
        if runsInline, !memory.isComplete(aggregate.slot) { throw LaneRequired(always: false) }
        try refuseAnyQuarantined(aggregate.slot)
        let (steps, budget) = (evaluator.steps, evaluator.budget)
        evaluator.budget = .max
        defer { (evaluator.steps, evaluator.budget) = (steps, budget) }
        var total = 0
        try memory.forEachCommittedValue(types, program: program) { value in
            let (sum, overflow) = total.addingReportingOverflow(try contribution(of: value, to: aggregate, function, evaluator))
            if overflow { throw TurnError(.runtime, "\(cellName).\(aggregate.slot): the kept sum overflows Int") }
            total = sum
        }
        return total
    }
}
