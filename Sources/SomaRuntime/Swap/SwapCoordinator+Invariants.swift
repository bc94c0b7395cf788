import SomaDiagnostics
import SomaProtocol

/// A new memory knows no invariant to hold: before this, a swap committed and the new version's first turn of
/// each cell evaluated them, so an invariant the live data breaks failed every turn after a swap that could not
/// be taken back without a rollback (docs/state.md, "Invariants").
extension SwapCoordinator {
    /// Every invariant of the new version over its memory as the swap leaves it: in the dry run (a preview of
    /// that memory, while turns go on), and again with turns held, before the commit point. The first that does
    /// not hold refuses the swap, which then changes nothing. `keeping`: the sums and counts read for them are
    /// kept in `memories`, so the new version's first turns do not read them again. Nil: all hold.
    func brokenInvariant(_ program: RuntimeProgram, _ memories: [String: CellMemory], keeping: Bool = true) -> SwapPlan.Refusal? {
        for name in program.cellOrder {
            guard let cell = program.cells[name], !cell.invariants.isEmpty, let memory = memories[name] else { continue }
            let turn = TurnState(cell: cell, memory: memory, program: program, context: engine)
            do {
                _ = try TurnEngine.checkInvariants(of: cell, turn: turn, with: Evaluator(program: program, turn: turn), all: true)
            } catch {
                let failure = (error as? TurnError) ?? TurnError(.runtime, "\(error)")
                return .init(code: DiagnosticCode.invariantBroken.rawValue,
                             message: "the live data of \(name) does not satisfy the new version: \(failure.message)"
                                + "\(failure.location.map { " at \($0)" } ?? ""); nothing was changed",
                             hint: "migrate the data so that it holds, or change the invariant, and swap again")
            }
            guard keeping else { continue }
            engine.lock.withLock {
                for (aggregate, value) in turn.aggregateValues where memory.aggregates[aggregate] == nil { memory.aggregates[aggregate] = value }
            }
        }
        return nil
    }
}
