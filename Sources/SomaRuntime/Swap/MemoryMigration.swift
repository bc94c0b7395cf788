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
    /// moment, with the cache's entries over it. From the snapshot on, the tracker notes the keys turns write.
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
                let map: [Value: Value]
                do {
                    map = try memory.entireSlot(types, cache: cache, snapshot: stored, program: running)
                } catch {
                    throw SlotMigrationFailure(cell: slot.cell, slot: slot.slot, key: "", reason: "\(error)")
                }
                let (from, to) = slot.valueTypes
                let (keyType, writtenValue) = Self.mapParts(slot.written) ?? (.json, .json)
                prepared.maps[id] = try Self.migrate(map, slot: slot, keyType: keyType, running: running) {
                    ValueConverter(upgrader: upgrader, running: running, written: writtenValue, from: from, to: to,
                                   affected: work.affected, path: "\(slot.cell).\(slot.slot)")
                }
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

    /// A map's values migrated in chunks on every core (below the priority of turns). On failure, the failing key that sorts first (as stored).
    static func migrate(_ entries: [Value: Value], slot: SwapWork.Slot, keyType: SomaType, running: RuntimeProgram,
                        converter makeConverter: @escaping @Sendable () -> ValueConverter) throws(SlotMigrationFailure) -> [Value: Value] {
        let keys = Array(entries.keys), values = Array(entries.values)
        let chunkSize = max(1024, values.count / (ProcessInfo.processInfo.activeProcessorCount * 8) + 1)
        let chunks = (values.count + chunkSize - 1) / chunkSize
        let output = ChunkedOutput(count: values.count, chunks: chunks)
        defer { output.deallocate() }
        ParallelWork.run(chunks: chunks) { chunk in
            let converter = makeConverter()
            for index in chunk * chunkSize..<min(values.count, (chunk + 1) * chunkSize) {
                do {
                    output.results[index] = try converter.convert(values[index])
                } catch {
                    let key = running.codec.encode(keys[index], as: keyType)
                    if output.failures[chunk].map({ key < $0.key }) ?? true { output.failures[chunk] = (key, "\(error)") }
                }
            }
        }
        if let first = output.failures.compactMap({ $0 }).min(by: { $0.key < $1.key }) {
            throw SlotMigrationFailure(cell: slot.cell, slot: slot.slot, key: first.key, reason: first.reason)
        }
        let results = Array(output.results)
        return ParallelWork.lowPriority { Dictionary(uniqueKeysWithValues: zip(keys, results)) }
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
                try migrateWrittenSince(prepared, work, request)
                return .success((engine.memories, try newMemories(prepared, work, request)))
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
                        prepared.maps[id]?[key] = nil
                        continue
                    }
                    prepared.maps[id, default: [:]][key] = try converter.convert(value)
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
    private func newMemories(_ prepared: PreparedSwap, _ work: SwapWork, _ request: SwapRequest) throws(SlotMigrationFailure) -> [String: CellMemory] {
        let running = engine.current, new = request.program
        var result: [String: CellMemory] = [:]
        for name in new.cellOrder {
            guard let cell = new.cells[name] else { continue }
            let memory: CellMemory
            do {
                memory = try CellMemory.initial(of: cell, in: new, store: engine.store, budget: engine.cache, report: engine.log)
            } catch {
                throw SlotMigrationFailure(cell: name, slot: "", key: "", reason: "the initial memory of the new version fails: \(error)")
            }
            let before = engine.memories[name], oldCell = running.cells[name]
            for slot in cell.model.slots {
                let id = SwapTracker.SlotID(cell: name, slot: slot.name)
                if let map = prepared.maps[id] {
                    // Held whole until turns let go of it: for a persistent slot, the store holds every value (at
                    // the commit point, or at the old version, read through the migration).
                    let pinned = slot.properties.isDurable ? SlotCache.clean : SlotCache.forever
                    memory.maps[slot.name] = SlotCache(entries: map, pinnedUntil: pinned) { SlotCache.overhead + $0.approximateBytes + $1.approximateBytes }
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

/// Where the threads of a parallel migration write: each index, and each chunk's failure, by one thread only.
// Unchecked: raw buffers, each index written by one thread only and read after every thread has joined.
private final class ChunkedOutput: @unchecked Sendable {
    let results: UnsafeMutableBufferPointer<Value>
    let failures: UnsafeMutableBufferPointer<(key: String, reason: String)?>

    init(count: Int, chunks: Int) {
        results = .allocate(capacity: count)
        results.initialize(repeating: .unit)
        failures = .allocate(capacity: chunks)
        failures.initialize(repeating: nil)
    }

    func deallocate() {
        results.deinitialize()
        results.deallocate()
        failures.deinitialize()
        failures.deallocate()
    }
}
