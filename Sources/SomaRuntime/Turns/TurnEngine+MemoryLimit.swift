/// Ephemeral Map slots have nothing behind them: they are held whole and never let go of, in the cache budget
/// with everything else (docs/state.md, "Ephemeral memory"). Persistent entries make room for them; a turn whose
/// commit would take them past the whole budget is refused instead, and changes nothing.
extension TurnEngine {
    /// The refusal of a turn whose commit would take the ephemeral Maps of every cell past the cache budget; nil
    /// when it fits, or adds nothing. Called under `lock`, as the turn commits.
    func ephemeralRefusal(of turn: TurnState) -> TurnError? {
        let growth = turn.ephemeralGrowth()
        guard growth.bytes > 0, let slot = growth.slot else { return nil }
        let held = memories.reduce(0) { total, entry in
            total + entry.value.bytes(of: current.cells[entry.key]?.ephemeralMaps ?? [])
        }
        guard held + growth.bytes > cache.limit else { return nil }
        let holds = turn.memory.bytes(of: [slot])
        return TurnError(.memoryLimit, """
            \(turn.cellName).\(slot) is ephemeral and holds \(holds) bytes; this turn would take the ephemeral memory of every \
            cell to \(held + growth.bytes) bytes, past the cache budget of \(cache.limit) (soma.toml [memory] cache): nothing \
            was changed
            """)
    }
}
