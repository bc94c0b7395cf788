import Foundation
import GRDB
import SomaChecker
import SomaDiagnostics
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

    /// A key a turn wrote: its new value (nil: deleted) and whether it was stored before the turn, which the
    /// slot's count follows (nil: not known, for an insert that did not read; docs/state.md).
    struct MapWrite {
        var value: Value?
        var existed: Bool?
        /// The value it replaced, when read (`existed` is then known too): what a kept sum takes away.
        var old: Value?? = .none
    }

    private var scalarWrites: [String: Value] = [:]
    var mapWrites: [String: [Value: MapWrite]] = [:]
    /// Kept sums and counts as this turn leaves them, and those it no longer knows (TurnState+Aggregates).
    var aggregateValues: [String: Int] = [:]
    var aggregatesForgotten: Set<String> = []
    /// The keys of persistent slots this turn's commit wrote: pinned in memory until its batch is durable.
    private(set) var durableKeys: [String: [Value]] = [:]
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

    func readSlot(_ name: String, evaluator: Evaluator, span: SourceSpan) throws -> Value {
        guard let slot = cell.model.slot(name) else { return .unit }
        if slot.isMap {
            var entries: [Value: Value] = [:]
            for (key, value) in try mapEntries(name, evaluator: evaluator, span: span) { entries[key] = value }
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
        if let written = mapWrites[slot]?[key] { return written.value }
        return try committed(slot, key)
    }

    func mapSet(_ slot: String, _ key: Value, _ value: Value) throws {
        try record(slot, key, value)
    }

    func mapDelete(_ slot: String, _ key: Value) throws -> Bool {
        let existed = try mapGet(slot, key) != nil
        try record(slot, key, nil)
        return existed
    }

    /// A write whose key the caller knows to be stored (a repair of a quarantined value, which does not read).
    func mapReplace(_ slot: String, _ key: Value, _ value: Value?) {
        mapWrites[slot, default: [:]][key] = MapWrite(value: value, existed: true)
    }

    /// A write remembers whether the key was stored before the turn: a key memory does not hold is read first,
    /// unless the write is a `set` to a slot no invariant reads (one could read the count or the old value):
    /// then whether it existed waits until a `count()` asks.
    private func record(_ slot: String, _ key: Value, _ value: Value?) throws {
        if mapWrites[slot]?[key] != nil {
            mapWrites[slot]![key]!.value = value
            return
        }
        if value != nil, !cell.slotsReadByInvariants.contains(slot), memory.peek(slot, key) == .miss,
           let model = cell.model.slot(slot), model.properties.isDurable, case .map(let keyType, _) = model.type {
            if memory.hasQuarantined(slot) { try refuseQuarantined(slot, storedKey: program.codec.encode(key, as: keyType)) }
            mapWrites[slot, default: [:]][key] = MapWrite(value: value, existed: nil)
            return
        }
        let old = try committed(slot, key)
        mapWrites[slot, default: [:]][key] = MapWrite(value: value, existed: old != nil, old: .some(old))
    }

    /// The key's value as committed; a key the cache does not hold is read from the store, on the lane.
    private func committed(_ slot: String, _ key: Value) throws -> Value? {
        guard let model = cell.model.slot(slot), let types = CellMemory.SlotTypes(model) else { return nil }
        return try memory.committed(types, key, program: program, mayRead: !runsInline)
    }

    func refuseQuarantined(_ slot: String, storedKey: String) throws {
        guard let value = memory.quarantinedValue(slot, storedKey: storedKey) else { return }
        throw Self.quarantineError(value)
    }

    /// A turn over a whole Map (keys, values, count, iteration) touches every key, the quarantined ones too.
    func refuseAnyQuarantined(_ slot: String) throws {
        guard let value = memory.firstQuarantined(slot) else { return }
        throw Self.quarantineError(value)
    }

    static func quarantineError(_ value: QuarantinedValue) -> TurnError {
        TurnError(.quarantined, "\(value.subject) holds a stored value that does not read (\(value.error)); it is quarantined until `soma repair` removes or replaces it")
    }

    /// Every entry, sorted by key; it costs a step per entry against the turn's budget. A slot memory does not
    /// hold whole is read from the store, on the lane, in key order by its order keys: a turn past its budget
    /// stops reading there, and nothing is sorted (docs/state.md, "Whole-Map operations").
    func mapEntries(_ slot: String, evaluator: Evaluator, span: SourceSpan) throws -> [(key: Value, value: Value)] {
        try refuseAnyQuarantined(slot)
        guard let model = cell.model.slot(slot), let types = CellMemory.SlotTypes(model) else { return [] }
        let complete = memory.isComplete(slot)
        if runsInline, !complete { throw LaneRequired(always: false) }
        if !complete, model.properties.isDurable {
            var entries: [(key: Value, value: Value)] = []
            let streamed = try memory.forEachInKeyOrder(types, over: (mapWrites[slot] ?? [:]).mapValues(\.value), program: program) { key, value in
                try evaluator.step(span)
                entries.append((key, value))
            }
            if streamed { return entries }
        }
        var merged = try memory.entireSlot(types, program: program)
        for (key, write) in mapWrites[slot] ?? [:] { merged[key] = write.value }
        evaluator.steps += merged.count
        return merged.keys.sorted(by: Value.precedes).map { ($0, merged[$0]!) }
    }

    /// The slot's count with the turn's writes: a pending count is read from the store first, and so is
    /// whether each key this turn inserted without reading was stored.
    func mapCount(_ slot: String) throws -> Int {
        try refuseAnyQuarantined(slot)
        if memory.countIsPending(slot) {
            if runsInline { throw LaneRequired(always: false) }
            try memory.settleCount(slot)
        }
        var count = memory.count(slot)
        for (key, write) in mapWrites[slot] ?? [:] {
            let existed: Bool
            if let known = write.existed {
                existed = known
            } else {
                existed = try committed(slot, key) != nil
                mapWrites[slot]![key]!.existed = existed
            }
            count += (write.value != nil ? 1 : 0) - (existed ? 1 : 0)
        }
        return count
    }

    /// Whether the turn wrote something this invariant reads, so that it may no longer hold.
    func touches(_ invariant: RuntimeProgram.Invariant) -> Bool {
        invariant.reads.isTouched(wroteSlot: { scalarWrites[$0] != nil || mapWrites[$0] != nil }, movedMachine: { machineWrites[$0] != nil })
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

    /// What committing would add to the cell's ephemeral Maps, in bytes (negative: what it frees), and the slot
    /// that grows most.
    func ephemeralGrowth() -> (bytes: Int, slot: String?) {
        var total = 0
        var largest: (slot: String, bytes: Int)?
        for (slotName, writes) in mapWrites where !writes.isEmpty {
            guard let slot = cell.model.slot(slotName), slot.isMap, !slot.properties.isDurable else { continue }
            var growth = 0
            for (key, write) in writes {
                growth += write.value.map { SlotCache.cost(key: key, value: $0) } ?? 0
                growth -= memory.bytes(slotName, of: key)
            }
            total += growth
            if growth > (largest?.bytes ?? 0) { largest = (slotName, growth) }
        }
        return (total, largest?.slot)
    }

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
        memory.lock.withLock {
            for (slotName, writes) in mapWrites {
                guard let slot = cell.model.slot(slotName), case .map(let keyType, let valueType) = slot.type else { continue }
                let durable = slot.properties.isDurable
                let version = program.version(of: valueType)
                var pinned: [Value] = []
                for (key, write) in writes {
                    tracker?.noteKey(cell: name, slot: slotName, key)
                    let bytes: Int
                    if durable {
                        let storedKey = program.codec.encode(key, as: keyType)
                        if let value = write.value {
                            let json = program.codec.encode(value, as: valueType)
                            batch.changes.append(.putValue(cell: name, slot: slotName, key: storedKey, version: version, json: json,
                                                           ord: OrderKey.stored(key, keyType: keyType)))
                            bytes = SlotCache.cost(storedKey: storedKey, value: json.utf8.count)
                        } else {
                            batch.changes.append(.deleteValue(cell: name, slot: slotName, key: storedKey))
                            bytes = SlotCache.cost(storedKey: storedKey, value: nil)
                        }
                        pinned.append(key)
                    } else if write.value == nil {
                        // Nothing is behind an ephemeral slot: a delete leaves no entry to remember it by.
                        memory.budget.add(memory.maps[slotName]?.forget(key) ?? 0)
                        continue
                    } else {
                        bytes = SlotCache.cost(key: key, value: write.value)
                    }
                    // In place: a copy of the slot's cache would make every turn cost the size of the map.
                    memory.budget.add(memory.maps[slotName]?.write(key, write.value, existed: write.existed, bytes: bytes, pinnedUntil: SlotCache.forever) ?? 0)
                }
                if !pinned.isEmpty { durableKeys[slotName] = pinned }
            }
        }
        commitAggregates(into: &batch)
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
