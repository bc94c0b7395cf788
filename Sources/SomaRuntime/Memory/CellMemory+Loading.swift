import SomaChecker
import SomaProtocol
import SomaStorage

/// Memory as a worker starts it: from the program and what the store holds.
extension CellMemory {
    /// Every cell's memory as a worker starts it: scalar slots at their initial values, then what the store holds;
    /// Map slots with their stored counts and nothing read (turns read them). Slots whose rows a swap left at an
    /// older version (its rewrite was cut short) are returned to be rewritten; their values read through their
    /// migration meanwhile. A scalar value that does not read is quarantined in its cell's memory.
    static func loaded(_ program: RuntimeProgram, _ stored: StoredState, store: StateStore, budget: CacheBudget,
                       report: @escaping @Sendable (String) -> Void = { _ in })
        throws -> (memories: [String: CellMemory], stale: [StateRewrite.LazySlot]) {
        var memories: [String: CellMemory] = [:]
        for name in program.cellOrder {
            guard let cell = program.cells[name] else { continue }
            memories[name] = try initial(of: cell, in: program, store: store, budget: budget, report: report)
        }
        var stale: [StateRewrite.LazySlot] = []
        var counts: [String: [String: Int]] = [:]
        for stat in stored.stats {
            guard let cell = program.cells[stat.cell], let slot = cell.model.slot(stat.slot), slot.properties.isDurable else { continue }
            let current = program.version(of: slot.type)
            guard stat.version <= current else {
                throw TurnError(.storage, "\(stat.cell).\(stat.slot) holds values of version \(stat.version); this program reads version \(current)")
            }
            if stat.version < current, !stale.contains(where: { $0.cell == stat.cell && $0.slot == stat.slot }) {
                stale.append(.init(cell: stat.cell, slot: stat.slot, version: current))
            }
            counts[stat.cell, default: [:]][stat.slot, default: 0] += stat.entries
        }
        for (cell, slots) in counts {
            for (slot, count) in slots where memories[cell]?.maps[slot] != nil {
                memories[cell]?.maps[slot] = SlotCache(count: count)
            }
        }
        let upgrader = ValueUpgrader(program: program)
        for row in stored.values {
            guard let cell = program.cells[row.cell], let slot = cell.model.slot(row.slot), let memory = memories[row.cell], !slot.isMap else { continue }
            let current = program.version(of: slot.type)
            do {
                let json = try JSONValue.parse(row.json)
                if row.version == current {
                    memory.scalars[row.slot] = try program.codec.decode(json, as: slot.type, path: row.slot)
                } else {
                    memory.scalars[row.slot] = try upgrader.upgrade(json, from: program.type(slot.type, atVersion: row.version), to: slot.type, path: row.slot)
                }
            } catch {
                // One value that does not read must not keep the program from starting: it is set apart.
                memory.quarantined[row.slot, default: [:]][row.key] = QuarantinedValue(
                    cell: row.cell, slot: row.slot, key: row.key, version: row.version, error: "\(error)", stored: row.json)
            }
        }
        for row in stored.states {
            memories[row.cell]?.machines[row.machine, default: [:]][row.key] = row.state
        }
        for (name, memory) in memories {
            guard let cell = program.cells[name], let kept = stored.aggregates[name] else { continue }
            for aggregate in cell.keptAggregates where aggregate.durable {
                if let value = kept[aggregate.name] { memory.aggregates[aggregate.name] = value }
            }
        }
        return (memories, stale)
    }

    /// A cell's memory before anything is stored: maps empty, other slots at their initializer or zero.
    static func initial(of cell: RuntimeProgram.CellProgram, in program: RuntimeProgram, store: StateStore, budget: CacheBudget,
                        report: @escaping @Sendable (String) -> Void = { _ in }) throws -> CellMemory {
        let memory = CellMemory(cell: cell.model.name, store: store, budget: budget, report: report)
        let evaluator = Evaluator(program: program, turn: nil)
        for slot in cell.model.slots {
            if slot.isMap {
                memory.maps[slot.name] = SlotCache(count: 0)
            } else if let initial = cell.slotInitializers[slot.name] {
                memory.scalars[slot.name] = try evaluator.evaluate(initial)
            } else if let zero = zero(of: slot.type) {
                memory.scalars[slot.name] = zero
            }
        }
        return memory
    }

    static func zero(of type: SomaType) -> Value? {
        switch type {
        case .int: return .int(0)
        case .float: return .float(0)
        case .bool: return .bool(false)
        case .string: return .string("")
        case .list: return .list([])
        case .set: return .set([])
        case .map: return .map([:])
        case .option: return Value.none
        case .duration: return .duration(0)
        case .json: return .null
        default: return nil
        }
    }
}
