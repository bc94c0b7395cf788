import Foundation
import SomaChecker
import SomaStorage

/// A swap's migration of memory (RUNTIME.md §6). The dry run migrates a snapshot of memory while turns go on;
/// with turns held, the swap migrates again only what turns wrote since the snapshot and builds the new
/// program's memory from the rest, so the time turns wait does not grow with the data. It keeps what lives
/// from a plan to the swap that follows: the plan's dry run, and its tracker, which every commit feeds with the
/// keys it writes.
// Unchecked: `prepared` and `tracker` are read and written under the engine's lock, which also orders them with
// the commits that note their writes in `tracker`.
final class MemoryMigration: @unchecked Sendable {
    unowned let engine: TurnEngine
    /// A swap's dry run, kept for the swap that follows it.
    private(set) var prepared: PreparedSwap?
    /// Installed by a swap's dry run, until the swap holds turns (or the dry run is dropped).
    private(set) var tracker: SwapTracker?

    init(engine: TurnEngine) {
        self.engine = engine
    }

    /// The dry run over memory: every slot the swap changes, as it is now (taken under the lock, so one
    /// consistent moment), migrated value by value on every core. A Map slot memory holds whole is taken from
    /// its cache (copy-on-write, so no copy); any other is read from a snapshot of the store opened at the same
    /// moment, with the cache's entries over it. A slot whose rows stay at their old version keeps only its
    /// cache's entries migrated: its rows are streamed from the snapshot, checked and let go of, so that a slot
    /// larger than memory migrates in the memory of a chunk. From the snapshot on, the tracker notes the keys
    /// turns write.
    func prepare(_ work: SwapWork, _ request: SwapRequest) throws(SlotMigrationFailure) -> PreparedSwap {
        let prepared = PreparedSwap(identity: .init(request),
                                    tracker: SwapTracker(slots: Set(work.slots.map(\.id))))
        typealias Taken = (memory: CellMemory?, cache: SlotCache?, scalar: Value?)
        let taken = engine.lock.withLock { () -> Result<(RuntimeProgram, [SwapTracker.SlotID: Taken], StoreSnapshot?), SlotMigrationFailure> in
            self.prepared = nil
            tracker = prepared.tracker
            var snapshot: [SwapTracker.SlotID: Taken] = [:]
            var partial = false
            for slot in work.slots {
                let memory = engine.memories[slot.cell]
                let cache = memory?.cache(of: slot.slot)
                snapshot[slot.id] = (memory, cache, memory?.scalars[slot.slot])
                if cache?.isComplete == false { partial = true }
            }
            // After the caches: an entry they let go of since is durable, so in the store this snapshot sees.
            guard partial else { return .success((engine.current, snapshot, nil)) }
            do {
                return .success((engine.current, snapshot, try engine.store.snapshot()))
            } catch {
                return .failure(SlotMigrationFailure(cell: "", slot: "", key: "", reason: "\(error)"))
            }
        }
        let (running, snapshot, stored) = try taken.get()
        let upgrader = ValueUpgrader(program: request.program, previous: running)
        for slot in work.slots {
            let id = slot.id
            guard let content = snapshot[id] else { continue }
            if let cache = content.cache, let memory = content.memory,
               let model = running.cells[slot.cell]?.model.slot(slot.slot), let types = CellMemory.SlotTypes(model) {
                let (from, to) = slot.valueTypes
                let (keyType, writtenValue) = Self.mapParts(slot.written) ?? (.json, .json)
                let converter: @Sendable () -> ValueConverter = {
                    ValueConverter(upgrader: upgrader, running: running, written: writtenValue, from: from, to: to,
                                   affected: work.affected, path: "\(slot.cell).\(slot.slot)")
                }
                if !cache.isComplete, slot.migratesLazily(to: request.program, from: running) {
                    prepared.migrated += try Self.migrateStreaming(slot, types, cache: cache, snapshot: stored, keyType: keyType,
                                                                  running: running, new: request.program, into: prepared, converter: converter)
                    continue
                }
                let map: [Value: Value]
                do {
                    map = try memory.entireSlot(types, cache: cache, snapshot: stored, program: running)
                } catch {
                    throw SlotMigrationFailure(cell: slot.cell, slot: slot.slot, key: "", reason: "\(error)")
                }
                let migrated = try Self.migrate(map, slot: slot, keyType: keyType, running: running, converter: converter)
                prepared.maps[id] = Self.newCache(migrated, count: nil, slot: slot, new: request.program)
                prepared.migrated += map.count
            } else if let scalar = content.scalar {
                let converter = ValueConverter(upgrader: upgrader, running: running, written: slot.written, from: slot.oldType, to: slot.newType,
                                               affected: work.affected, path: "\(slot.cell).\(slot.slot)")
                do {
                    prepared.scalars[id] = try converter.convert(scalar)
                } catch {
                    throw SlotMigrationFailure(cell: slot.cell, slot: slot.slot, key: "", reason: "\(error)")
                }
                prepared.migrated += 1
            }
        }
        return prepared
    }

    /// A migrated slot's entries as the new version's memory holds them, `count` keys in all (nil: these are
    /// all). Until turns let go of them: for a persistent slot the store holds every value (at the commit point,
    /// or at the old version, read through the migration); an ephemeral slot's are all there is.
    static func newCache(_ entries: [Value: Value], count: Int?, slot: SwapWork.Slot, new: RuntimeProgram) -> SlotCache {
        let durable = new.cells[slot.cell]?.model.slot(slot.slot)?.properties.isDurable ?? slot.durable
        return SlotCache(entries: entries, count: count, pinnedUntil: durable ? SlotCache.clean : SlotCache.forever) {
            SlotCache.cost(key: $0, value: $1)
        }
    }

    static func mapParts(_ type: SomaType) -> (key: SomaType, value: SomaType)? {
        if case .map(let key, let value) = type { return (key, value) }
        return nil
    }

    /// Keeps a plan's dry run for the swap that follows; dropped after ten minutes without one.
    func keep(_ prepared: PreparedSwap) {
        engine.lock.withLock { self.prepared = prepared }
        Task { [weak self] in
            try? await Task.sleep(for: .seconds(600))
            self?.drop(prepared)
        }
    }

    /// The kept dry run when it is this request's; any other is dropped.
    func take(for request: SwapRequest) -> PreparedSwap? {
        let identity = PreparedSwap.Identity(request)
        return engine.lock.withLock {
            defer { prepared = nil }
            guard let prepared, prepared.identity == identity, tracker === prepared.tracker else {
                tracker = nil
                return nil
            }
            return prepared
        }
    }

    /// Stops tracking for `prepared` (nil: for any), and forgets it.
    func drop(_ which: PreparedSwap? = nil) {
        engine.lock.withLock {
            if let which, prepared !== which && tracker !== which.tracker { return }
            prepared = nil
            tracker = nil
        }
    }

    /// With turns held: the keys turns wrote since the snapshot migrated again from what they are now, and the
    /// new program's memory — migrated slots from the dry run, the others as they are, new ones at their initial
    /// values, renamed states moved. Returns the running memory too (an undo puts it back).
    func switchMemory(_ prepared: PreparedSwap, _ work: SwapWork, _ request: SwapRequest) throws(SlotMigrationFailure)
        -> (old: [String: CellMemory], new: [String: CellMemory]) {
        let outcome = engine.lock.withLock { () -> Result<([String: CellMemory], [String: CellMemory]), SlotMigrationFailure> in
            tracker = nil
            do throws(SlotMigrationFailure) {
                // Every batch is durable (turns are held): a count that inserts left pending reads from the stats.
                for (name, memory) in engine.memories {
                    do {
                        try memory.settleCounts()
                    } catch {
                        throw SlotMigrationFailure(cell: name, slot: "", key: "", reason: "\(error)")
                    }
                }
                try migrateWrittenSince(prepared, work, request)
                return .success((engine.memories, try newMemories(prepared, work, request, budget: engine.cache)))
            } catch {
                return .failure(error)
            }
        }
        return try outcome.get()
    }

    /// After a commit failed for want of space, memory is reloaded and a dry run of the memory before is of no use.
    /// Called with the lock held.
    func forget() {
        prepared = nil
        tracker = nil
    }

    /// Called with the lock held.
    private func migrateWrittenSince(_ prepared: PreparedSwap, _ work: SwapWork, _ request: SwapRequest) throws(SlotMigrationFailure) {
        let running = engine.current
        let upgrader = ValueUpgrader(program: request.program, previous: running)
        let tracker = prepared.tracker
        for slot in work.slots {
            let id = slot.id
            let keys = tracker.keys[id] ?? []
            guard !keys.isEmpty || tracker.scalars.contains(id) else { continue }
            let memory = engine.memories[slot.cell]
            let (keyType, writtenValue) = Self.mapParts(slot.written) ?? (.json, slot.written)
            let (from, to) = keys.isEmpty ? (slot.oldType, slot.newType) : slot.valueTypes
            let converter = ValueConverter(upgrader: upgrader, running: running, written: writtenValue, from: from, to: to,
                                           affected: work.affected, path: "\(slot.cell).\(slot.slot)")
            let types = running.cells[slot.cell]?.model.slot(slot.slot).flatMap(CellMemory.SlotTypes.init)
            for key in keys {
                do {
                    // Every batch is durable by now (turns are held), so a key the cache let go of reads from the store.
                    guard let memory, let types, let value = try memory.committed(types, key, program: running) else {
                        prepared.maps[id, default: SlotCache(count: 0)].replace(key, nil, bytes: SlotCache.cost(key: key, value: nil))
                        continue
                    }
                    let converted = try converter.convert(value)
                    prepared.maps[id, default: SlotCache(count: 0)].replace(key, converted, bytes: SlotCache.cost(key: key, value: converted))
                } catch {
                    throw SlotMigrationFailure(cell: slot.cell, slot: slot.slot, key: running.codec.encode(key, as: keyType), reason: "\(error)")
                }
            }
            if tracker.scalars.contains(id) {
                do {
                    prepared.scalars[id] = try memory?.scalars[slot.slot].map { value throws(MigrationFailure) in try converter.convert(value) }
                } catch {
                    throw SlotMigrationFailure(cell: slot.cell, slot: slot.slot, key: "", reason: "\(error)")
                }
            }
        }
    }

    /// Called with the lock held.
    /// The new version's memory as the swap would build it now, for the dry run to evaluate its invariants over.
    /// Keys turns wrote since `prepared` are not migrated again (the swap does that, and evaluates the invariants
    /// again, with turns held); what the evaluation reads is counted on a budget of its own.
    func preview(_ prepared: PreparedSwap, _ work: SwapWork, _ request: SwapRequest) throws(SlotMigrationFailure) -> [String: CellMemory] {
        let budget = CacheBudget(limit: engine.cache.limit)
        let outcome = engine.lock.withLock { () -> Result<[String: CellMemory], SlotMigrationFailure> in
            do throws(SlotMigrationFailure) { return .success(try newMemories(prepared, work, request, budget: budget)) } catch { return .failure(error) }
        }
        return try outcome.get()
    }

    private func newMemories(_ prepared: PreparedSwap, _ work: SwapWork, _ request: SwapRequest, budget: CacheBudget) throws(SlotMigrationFailure)
        -> [String: CellMemory] {
        let running = engine.current, new = request.program
        var result: [String: CellMemory] = [:]
        for name in new.cellOrder {
            guard let cell = new.cells[name] else { continue }
            let memory: CellMemory
            do {
                memory = try CellMemory.initial(of: cell, in: new, store: engine.store, budget: budget, report: engine.log)
            } catch {
                throw SlotMigrationFailure(cell: name, slot: "", key: "", reason: "the initial memory of the new version fails: \(error)")
            }
            let before = engine.memories[name], oldCell = running.cells[name]
            for slot in cell.model.slots {
                let id = SwapTracker.SlotID(cell: name, slot: slot.name)
                if var cache = prepared.maps[id] {
                    // The count as committed now, with turns held and pending counts settled: the dry run's is of its
                    // snapshot, before the keys written since were put in place.
                    if let before { cache.recount(before.count(slot.name)) }
                    memory.maps[slot.name] = cache
                } else if let scalar = prepared.scalars[id] {
                    memory.scalars[slot.name] = scalar
                } else if let before, let oldSlot = oldCell?.model.slot(slot.name), !work.slots.contains(where: { $0.cell == name && $0.slot == slot.name }),
                          oldSlot.properties.isDurable || !slot.properties.isDurable {
                    // Unchanged: carried over as it is (an ephemeral slot made persistent starts afresh, as its store is empty).
                    if let map = before.maps[slot.name] { memory.maps[slot.name] = map }
                    if let scalar = before.scalars[slot.name] { memory.scalars[slot.name] = scalar }
                }
            }
            var machines = before?.machines ?? [:]
            for rename in work.renames where rename.cell == name {
                guard var keys = machines[rename.machine] else { continue }
                for (key, state) in keys where state == rename.from { keys[key] = rename.to }
                machines[rename.machine] = keys
            }
            memory.machines = machines
            result[name] = memory
        }
        return result
    }
}
