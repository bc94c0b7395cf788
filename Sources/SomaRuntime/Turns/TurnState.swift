import GRDB
import SomaChecker
import SomaProtocol
import SomaStorage

/// One turn's view of its cell: the committed memory with the turn's own writes laid over it. Nothing here
/// touches the committed memory until `commit`, so an aborted turn leaves no trace.
final class TurnState {
    let cell: RuntimeProgram.CellProgram
    let memory: CellMemory
    let program: RuntimeProgram
    unowned let context: any TurnContext
    /// Whether the turn runs on its caller's thread instead of its cell's lane: then it must not wait on anything
    /// but memory, and a call or a resource read sends it back to the lane (`LaneRequired`).
    let runsInline: Bool

    private var scalarWrites: [String: Value] = [:]
    private var mapWrites: [String: [Value: Value?]] = [:]
    private var machineWrites: [String: [String: String]] = [:]
    private(set) var sends: [(cell: String, signal: String, arguments: [String: Value])] = []
    var plannedEffects: [PlannedEffect] = []
    var tableWrites: [String: [String: [DatabaseValue: Value?]]] = [:]
    /// The queue message this turn consumes: its ack commits with the turn.
    var consumed: (queue: String, messageID: String)?

    init(cell: RuntimeProgram.CellProgram, memory: CellMemory, program: RuntimeProgram, context: any TurnContext, runsInline: Bool = false) {
        self.cell = cell
        self.memory = memory
        self.program = program
        self.context = context
        self.runsInline = runsInline
    }

    var cellName: String { cell.model.name }

    // MARK: - Slots

    func readSlot(_ name: String, evaluator: Evaluator) throws -> Value {
        guard let slot = cell.model.slot(name) else { return .unit }
        if slot.isMap {
            var entries: [Value: Value] = [:]
            for (key, value) in try mapEntries(name, evaluator: evaluator) { entries[key] = value }
            return .map(entries)
        }
        try refuseQuarantined(name, storedKey: "")
        if let written = scalarWrites[name] { return written }
        if let stored = memory.scalars[name] { return stored }
        throw TurnError(.runtime, "memory slot '\(name)' has no value yet")
    }

    func writeScalar(_ name: String, _ value: Value) throws {
        try refuseQuarantined(name, storedKey: "")
        scalarWrites[name] = value
    }

    func mapGet(_ slot: String, _ key: Value) throws -> Value? {
        if let written = mapWrites[slot]?[key] { return written }
        if let stored = memory.maps[slot]?[key] { return stored }
        try refuseQuarantined(slot, key: key)
        return nil
    }

    func mapSet(_ slot: String, _ key: Value, _ value: Value) throws {
        try refuseQuarantined(slot, key: key)
        mapWrites[slot, default: [:]][key] = .some(value)
    }

    func mapDelete(_ slot: String, _ key: Value) throws -> Bool {
        let existed = try mapGet(slot, key) != nil
        mapWrites[slot, default: [:]][key] = .some(nil)
        return existed
    }

    /// A quarantined key of this Map slot fails the turn; only a miss pays for encoding the key.
    func refuseQuarantined(_ slot: String, key: Value) throws {
        guard let keys = memory.quarantined[slot], !keys.isEmpty,
              case .map(let keyType, _)? = cell.model.slot(slot)?.type else { return }
        try refuseQuarantined(slot, storedKey: program.codec.encode(key, as: keyType))
    }

    func refuseQuarantined(_ slot: String, storedKey: String) throws {
        guard let value = memory.quarantined[slot]?[storedKey] else { return }
        throw Self.quarantineError(value)
    }

    /// A turn over a whole Map (keys, values, count, iteration) touches every key, the quarantined ones too.
    func refuseAnyQuarantined(_ slot: String) throws {
        guard let value = memory.quarantined[slot]?.values.min(by: { $0.key < $1.key }) else { return }
        throw Self.quarantineError(value)
    }

    static func quarantineError(_ value: QuarantinedValue) -> TurnError {
        TurnError(.quarantined, "\(value.subject) holds a stored value that does not read (\(value.error)); it is quarantined until `soma repair` removes or replaces it")
    }

    /// Every entry, sorted by key; it costs a step per entry against the turn's budget.
    func mapEntries(_ slot: String, evaluator: Evaluator) throws -> [(key: Value, value: Value)] {
        try refuseAnyQuarantined(slot)
        var merged = memory.maps[slot] ?? [:]
        for (key, value) in mapWrites[slot] ?? [:] { merged[key] = value }
        evaluator.steps += merged.count
        return merged.keys.sorted(by: Value.precedes).map { ($0, merged[$0]!) }
    }

    func mapCount(_ slot: String) throws -> Int {
        try refuseAnyQuarantined(slot)
        let base = memory.maps[slot] ?? [:]
        var count = base.count
        for (key, value) in mapWrites[slot] ?? [:] {
            let present = base[key] != nil
            if value != nil && !present { count += 1 }
            if value == nil && present { count -= 1 }
        }
        return count
    }

    // MARK: - State machines

    func machineState(_ machine: String, key: String) -> String? {
        machineWrites[machine]?[key] ?? memory.machines[machine]?[key]
    }

    func machineStart(_ machine: String, key: String, location: String?) throws {
        guard let model = cell.model.machine(machine), let initial = model.states.first else { return }
        if let current = machineState(machine, key: key) {
            throw TurnError(.illegalMove, "\(machine): '\(key)' is already in state '\(current)'", at: location)
        }
        machineWrites[machine, default: [:]][key] = initial
    }

    func machineMove(_ machine: String, key: String, to state: String, location: String?) throws {
        guard let model = cell.model.machine(machine) else { return }
        guard model.states.contains(state) else {
            throw TurnError(.illegalMove, "\(machine) has no state '\(state)'", at: location)
        }
        guard let current = machineState(machine, key: key) else {
            throw TurnError(.illegalMove, "\(machine): '\(key)' has not been started", at: location)
        }
        guard model.edges.contains(where: { $0.from == current && $0.to == state }) else {
            throw TurnError(.illegalMove, "\(machine): '\(key)' cannot move from '\(current)' to '\(state)'", at: location)
        }
        machineWrites[machine, default: [:]][key] = state
    }

    // MARK: - Other cells

    func send(cell: String, signal: String, arguments: [String: Value]) {
        sends.append((cell, signal, arguments))
    }

    func call(cell: String, signal: String, arguments: [String: Value], location: String?) throws -> Value {
        if runsInline { throw LaneRequired() }
        return try context.call(from: cellName, cell: cell, signal: signal, arguments: arguments, location: location)
    }

    // MARK: - Commit

    /// Whether committing this turn writes to the store (a turn that only reads, or writes only ephemeral
    /// slots, does not).
    var writesDurably: Bool {
        if !machineWrites.isEmpty || !sends.isEmpty || !plannedEffects.isEmpty || !tableWrites.isEmpty || consumed != nil { return true }
        if scalarWrites.keys.contains(where: { cell.model.slot($0)?.properties.isDurable == true }) { return true }
        return mapWrites.contains { slot, writes in !writes.isEmpty && cell.model.slot(slot)?.properties.isDurable == true }
    }

    /// Applies the turn's writes to the committed memory and returns the durable part as a batch; `tracker`
    /// (a swap's dry run) notes the keys written. Called under the engine's commit lock.
    func commit(sendIDs: inout Int64, effectIDs: inout Int64, messagePrefix: String,
                tracker: SwapTracker?) -> (batch: WriteBatch, sends: [PendingSignal], effects: [ResourceEffect]) {
        var batch = WriteBatch()
        let name = cellName
        for (slotName, value) in scalarWrites {
            memory.scalars[slotName] = value
            tracker?.noteScalar(cell: name, slot: slotName)
            guard let slot = cell.model.slot(slotName), slot.properties.isDurable else { continue }
            batch.changes.append(.putValue(cell: name, slot: slotName, key: "", version: program.version(of: slot.type),
                                           json: program.codec.encode(value, as: slot.type)))
        }
        for (slotName, writes) in mapWrites {
            guard let slot = cell.model.slot(slotName), case .map(let keyType, let valueType) = slot.type else { continue }
            let durable = slot.properties.isDurable
            let version = program.version(of: valueType)
            for (key, value) in writes {
                // In place: a copy of the slot's dictionary would make every turn cost the size of the map.
                memory.maps[slotName, default: [:]][key] = value
                tracker?.noteKey(cell: name, slot: slotName, key)
                guard durable else { continue }
                let storedKey = program.codec.encode(key, as: keyType)
                if let value {
                    batch.changes.append(.putValue(cell: name, slot: slotName, key: storedKey, version: version,
                                                   json: program.codec.encode(value, as: valueType)))
                } else {
                    batch.changes.append(.deleteValue(cell: name, slot: slotName, key: storedKey))
                }
            }
        }
        for (machine, keys) in machineWrites {
            for (key, state) in keys {
                memory.machines[machine, default: [:]][key] = state
                batch.changes.append(.putState(cell: name, machine: machine, key: key, state: state))
            }
        }
        var pending: [PendingSignal] = []
        for send in sends {
            sendIDs += 1
            let signal = PendingSignal(id: sendIDs, cell: send.cell, signal: send.signal, arguments: send.arguments)
            pending.append(signal)
            batch.changes.append(.addSend(id: signal.id, cell: signal.cell, signal: signal.signal,
                                          arguments: signal.encodedArguments(in: program)))
        }
        let effects = resourceEffects(effectIDs: &effectIDs, messagePrefix: messagePrefix)
        for effect in effects {
            let stored = effect.stored
            batch.changes.append(.addEffect(id: effect.id, resource: effect.resource, operation: stored.storedOperation, payload: stored.storedPayload))
        }
        return (batch, pending, effects)
    }
}
