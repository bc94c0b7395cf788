import SomaChecker
import SomaProtocol
import SomaStorage

extension TurnEngine {
    /// What `soma repair` does to a quarantined value.
    public enum Repair: Sendable {
        /// The stored row goes; the key reads as absent (a scalar slot as its initial value).
        case remove
        /// The stored row is replaced with this JSON, which must read as the slot's type.
        case replace(json: String)
    }

    /// Every stored value found not to read (at start for scalar slots, when first read for a Map's entries),
    /// and not repaired yet. `findQuarantined` looks at every one.
    public var quarantined: [QuarantinedValue] {
        lock.withLock { memories.values.flatMap(\.allQuarantined) }
            .sorted { ($0.cell, $0.slot, $0.key) < ($1.cell, $1.slot, $1.key) }
    }

    /// Removes or replaces one quarantined value as a turn of its cell: it waits for a swap like any turn, the
    /// cell's invariants must hold afterwards, and it is durable before this returns. Anything refused leaves the
    /// value quarantined and the store as it was.
    public func repair(cell: String, slot: String, key: String, _ action: Repair) async throws(TurnError) -> QuarantinedValue {
        if !TurnGate.admitted { await gate.enter() }
        defer { if !TurnGate.admitted { gate.leave() } }
        // On the cell's lane, so that no turn of the cell reads its quarantine while it changes.
        let outcome = await lanes.lane(cell).perform { [self] in lock.withLock { () -> Result<(QuarantinedValue, UInt64), TurnError> in
            let program = current
            guard let memory = memories[cell], let model = program.cells[cell], let slotModel = model.model.slot(slot),
                  let found = memory.quarantinedValue(slot, storedKey: key) else {
                return .failure(TurnError(.runtime, "\(QuarantinedValue.subject(cell: cell, slot: slot, key: key)) is not quarantined", code: "not-quarantined"))
            }
            memory.setQuarantined(nil, slot: slot, storedKey: key)
            do {
                let turn = TurnState(cell: model, memory: memory, program: program, context: self)
                // What a kept sum holds of the value that did not read is not known.
                turn.forgetAggregates(of: slot)
                var removal: WriteBatch.Change?
                switch action {
                case .remove:
                    removal = .deleteValue(cell: cell, slot: slot, key: key)
                    if case .map(let keys, _) = slotModel.type, let stored = try? Self.read(key, as: keys, program: program, what: "the stored key") {
                        // The key's row goes: the slot counts one fewer.
                        turn.mapReplace(slot, stored, nil)
                    }
                case .replace(let text):
                    var keyType: SomaType?, valueType = slotModel.type
                    if case .map(let keys, let values) = slotModel.type { (keyType, valueType) = (keys, values) }
                    let value = try Self.read(text, as: valueType, program: program, what: "the replacement")
                    if let keyType {
                        turn.mapReplace(slot, try Self.read(key, as: keyType, program: program, what: "the stored key"), value)
                    } else {
                        try turn.writeScalar(slot, value)
                    }
                }
                if store.refusesWrites { throw TurnError(.diskFull, Self.diskFullMessage) }
                _ = try Self.checkInvariants(of: model, turn: turn, with: Evaluator(program: program, turn: turn), all: true)
                var (batch, _, _) = turn.commit(sendIDs: &sendIDs, effectIDs: &effectIDs, messagePrefix: messagePrefix, tracker: swap.memory.tracker)
                if let removal { batch.changes.append(removal) }
                let sequence = store.enqueue(batch)
                memory.pin(turn.durableKeys, until: sequence)
                return .success((found, sequence))
            } catch {
                memory.setQuarantined(found, slot: slot, storedKey: key)
                return .failure((error as? TurnError) ?? TurnError(.runtime, "\(error)"))
            }
        } }
        let (found, sequence) = try outcome.get()
        do {
            try await store.waitUntilDurable(sequence)
        } catch {
            throw storageFailure(error)
        }
        log("repaired \(found.subject): \(action.isRemoval ? "removed" : "replaced") (it did not read: \(found.error))")
        return found
    }

    /// Every stored value of every persistent Map read, so that each that does not read is found, then the
    /// quarantined ones. A chunk of rows at a time on its cell's lane, so that no turn of the cell commits
    /// while its rows are read; turns run between chunks.
    public func findQuarantined() async throws(TurnError) -> [QuarantinedValue] {
        let program = self.program
        for name in program.cellOrder {
            guard let cell = program.cells[name] else { continue }
            for slot in cell.model.slots where slot.properties.isDurable {
                guard let types = CellMemory.SlotTypes(slot) else { continue }
                var after: String?
                repeat {
                    let from = after
                    after = try await lanes.lane(name).perform { [self] () -> Result<String?, TurnError> in
                        guard let memory = lock.withLock({ memories[name] }) else { return .success(nil) }
                        return memory.scanStored(types, program: program, after: from, limit: 1_000)
                    }.get()
                } while after != nil
            }
        }
        return quarantined
    }

    static func read(_ text: String, as type: SomaType, program: RuntimeProgram, what: String) throws(TurnError) -> Value {
        do {
            return try program.codec.decode(try JSONValue.parse(text), as: type)
        } catch {
            throw TurnError(.jsonShape, "\(what) does not read as \(type.plainDescription): \(error)")
        }
    }
}

extension TurnEngine.Repair {
    var isRemoval: Bool {
        if case .remove = self { return true }
        return false
    }
}

extension TurnEngine {
    /// The log line for a stored value found not to read.
    public static func quarantineNotice(_ value: QuarantinedValue) -> String {
        CellMemory.quarantineNotice(value)
    }
}
