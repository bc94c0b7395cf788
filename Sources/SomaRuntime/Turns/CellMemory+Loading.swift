import SomaChecker
import SomaProtocol
import SomaStorage

/// Memory as a worker starts it: from the program and what the store holds.
extension CellMemory {
    /// Every cell's memory: slots at their initial values, then what the store holds. Values a swap left at an
    /// older version (its rewrite after the switch was cut short) are read through their migration, and their
    /// slots are returned to be rewritten. A value that does not read is quarantined in its cell's memory.
    static func loaded(_ program: RuntimeProgram, _ stored: StoredState) throws -> (memories: [String: CellMemory], stale: [StateRewrite.LazySlot]) {
        var memories: [String: CellMemory] = [:]
        for name in program.cellOrder {
            guard let cell = program.cells[name] else { continue }
            memories[name] = try initial(of: cell, in: program)
        }
        var stale: [StateRewrite.LazySlot] = []
        let upgrader = ValueUpgrader(program: program)
        for row in stored.values {
            guard let cell = program.cells[row.cell], let slot = cell.model.slot(row.slot), let memory = memories[row.cell] else { continue }
            let current = program.version(of: slot.type)
            guard row.version <= current else {
                throw TurnError(.storage, "\(row.cell).\(row.slot) holds values of version \(row.version); this program reads version \(current)")
            }
            var keyType: SomaType?, valueType = slot.type
            if case .map(let key, let value) = slot.type { (keyType, valueType) = (key, value) }
            do {
                let json = try JSONValue.parse(row.json)
                let value: Value
                if row.version == current {
                    value = try program.codec.decode(json, as: valueType, path: row.slot)
                } else {
                    if !stale.contains(where: { $0.cell == row.cell && $0.slot == row.slot }) {
                        stale.append(.init(cell: row.cell, slot: row.slot, version: current))
                    }
                    value = try upgrader.upgrade(json, from: program.type(valueType, atVersion: row.version), to: valueType, path: row.slot)
                }
                if let keyType {
                    let key = try program.codec.decode(try JSONValue.parse(row.key), as: keyType, path: "\(row.slot) key")
                    memory.maps[row.slot, default: [:]][key] = value
                } else {
                    memory.scalars[row.slot] = value
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
        return (memories, stale)
    }

    /// A cell's memory before anything is stored: maps empty, other slots at their initializer or zero.
    static func initial(of cell: RuntimeProgram.CellProgram, in program: RuntimeProgram) throws -> CellMemory {
        let memory = CellMemory()
        let evaluator = Evaluator(program: program, turn: nil)
        for slot in cell.model.slots {
            if slot.isMap {
                memory.maps[slot.name] = [:]
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
