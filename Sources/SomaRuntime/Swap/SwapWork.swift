import SomaChecker
import SomaStorage

/// The stored data a swap rewrites: the slots whose type changes, the slots dropped, the queues whose element
/// changes, and the states renamed; worked out from the running program and the swap's analysis.
struct SwapWork {
    struct Slot {
        var cell: String
        var slot: String
        /// The slot's type in the running program, as that program writes it.
        var written: SomaType
        /// The same type with its named types at their running versions (`Order@1`), as the new program knows them.
        var oldType: SomaType
        var newType: SomaType
        var durable: Bool

        var id: SwapTracker.SlotID { .init(cell: cell, slot: slot) }

        /// Whether the slot's stored rows stay at their old version at the commit point, read through their
        /// migration until the rewrite after the swap brings them up: a persistent slot whose type goes up a version.
        func migratesLazily(to new: RuntimeProgram, from old: RuntimeProgram) -> Bool {
            durable && new.version(of: newType) > old.version(of: written)
        }

        /// A map slot's stored values are its values; any other slot's, the whole value.
        var valueTypes: (from: SomaType, to: SomaType) {
            if case .map(_, let oldValue) = oldType, case .map(_, let newValue) = newType { return (oldValue, newValue) }
            return (oldType, newType)
        }
    }
    struct Queue {
        var name: String
        var element: SomaType
        var newVersion: Int
    }
    var slots: [Slot] = []
    var dropped: [(cell: String, slot: String)] = []
    var queues: [Queue] = []
    var renames: [StateRewrite.StateRename] = []
    /// Type names whose stored form changes: migrated, changed compatibly, or holding one that is.
    var affected: Set<String> = []

    init(_ request: SwapRequest, running old: RuntimeProgram) {
        let new = request.program
        var versions: [String: Int] = [:]
        for (key, named) in old.types.types where !key.contains("@") { versions[key] = named.version }
        affected = Set(request.analysis.types.filter { $0.kind == .migrated || $0.kind == .compatible }.map(\.name))
        var grew = true
        while grew {
            grew = false
            for (name, version) in versions where !affected.contains(name) {
                guard let shape = new.types["\(name)@\(version)"] else { continue }
                let fieldTypes = shape.fields.map(\.type) + shape.cases.flatMap { $0.fields.map(\.type) }
                if fieldTypes.contains(where: { $0.mentions(anyOf: affected) }) {
                    affected.insert(name)
                    grew = true
                }
            }
        }
        let retyped = Set(request.analysis.slots.filter { $0.kind == .retyped }.map { "\($0.cell).\($0.slot)" })
        for cellName in old.cellOrder {
            guard let oldCell = old.cells[cellName] else { continue }
            for oldSlot in oldCell.model.slots {
                guard let newSlot = new.cells[cellName]?.model.slot(oldSlot.name) else {
                    if oldSlot.properties.isDurable { dropped.append((cellName, oldSlot.name)) }
                    continue
                }
                let oldType = oldSlot.type.snapshotted(versions: versions)
                guard oldType.mentions(anyOf: affected) || retyped.contains("\(cellName).\(oldSlot.name)") else { continue }
                slots.append(.init(cell: cellName, slot: oldSlot.name, written: oldSlot.type, oldType: oldType, newType: newSlot.type,
                                   durable: oldSlot.properties.isDurable))
            }
        }
        for change in request.analysis.states where change.kind == .renamed {
            guard let to = change.renamedTo else { continue }
            renames.append(.init(cell: change.cell, machine: change.machine, from: change.state, to: to))
        }
        for cellName in new.cellOrder {
            for model in new.cells[cellName]?.model.resources ?? [] where model.kind == .queue {
                guard let name = model.name, model.element.mentions(anyOf: affected),
                      !queues.contains(where: { $0.name == name }) else { continue }
                queues.append(.init(name: name, element: model.element, newVersion: new.version(of: model.element)))
            }
        }
    }

    /// The rewrite of the stored state at the commit point, given the new version's memory (migrated already).
    /// A slot whose type goes up a version keeps its rows at the old version (lazily migrated: rewritten from
    /// memory once turns run again); any other changed slot (a compatible change, a rollback's step back) is
    /// written from memory in the transaction.
    func stateRewrite(_ request: SwapRequest, running old: RuntimeProgram, memories: [String: CellMemory]) -> StateRewrite {
        let new = request.program
        var rewrite = StateRewrite(programVersion: request.toVersion)
        for slot in slots where slot.durable {
            if slot.migratesLazily(to: new, from: old) {
                rewrite.lazySlots.append(.init(cell: slot.cell, slot: slot.slot, version: new.version(of: slot.newType)))
            } else if let memory = memories[slot.cell] {
                rewrite.slots.append(.init(cell: slot.cell, slot: slot.slot, rows: Self.storedRows(of: slot.slot, type: slot.newType, in: memory, program: new)))
            }
        }
        rewrite.droppedSlots = dropped
        rewrite.renames = renames
        return rewrite
    }

    /// A slot's values as the store keeps them: a map's entries by encoded key, any other slot's value under "".
    static func storedRows(of slot: String, type: SomaType, in memory: CellMemory, program: RuntimeProgram) -> [(key: String, version: Int, json: String)] {
        let version = program.version(of: type)
        guard case .map(let keyType, let valueType) = type else {
            return memory.scalars[slot].map { [("", version, program.codec.encode($0, as: type))] } ?? []
        }
        // The swap's memory holds a migrated slot whole (MemoryMigration.newMemories).
        var rows: [(key: String, version: Int, json: String)] = []
        memory.maps[slot]?.forEachPresent { key, value in
            rows.append((program.codec.encode(key, as: keyType), version, program.codec.encode(value, as: valueType)))
        }
        return rows
    }
}
