import Foundation
import SomaControl
import SomaStorage

/// Lazily migrated slots (RUNTIME.md §6). A swap switches memory to the new version at once but leaves the stored
/// rows of a migrated type at their old version, so that turns are held only for the switch. Once they run again,
/// the rows are rewritten here, a chunk at a time, each only if no turn has written it since (the
/// turn's row is at the new version already). A worker that starts before this has finished reads the rows left
/// through their migration, and carries on. A swap waits until it has finished.
// Unchecked: `running` and `stopping` are read and written under the engine's lock.
final class Restamper: @unchecked Sendable {
    static let chunk = 100
    /// Chunks waiting for the disk at once: the committer writes them in one transaction, one sync for several.
    static let depth = 1

    unowned let engine: TurnEngine
    private var running: Task<Void, Never>?
    private var stopping = false

    init(engine: TurnEngine) {
        self.engine = engine
    }

    /// On a thread of its own: its reads and chunks are blocking work that must not take a thread turns need.
    /// `afterSwap`: started by the swap that just finished (else by a worker that found rows left at start).
    func start(_ slots: [StateRewrite.LazySlot], afterSwap: Bool = false) {
        guard !slots.isEmpty else { return }
        engine.lock.withLock {
            stopping = false
            // The rewrite reads the engine (its lock, memory, store) between chunks: it holds it, so that an
            // engine let go of meanwhile (a worker's last reference, a test's end) lives until the rewrite stops.
            let engine: TurnEngine = engine
            running = Task { [self] in
                await OwnThread.run { [self] in withExtendedLifetime(engine) { rewriteStale(slots, afterSwap: afterSwap) } }
            }
        }
    }

    /// Returns once no stored value is left at an older version.
    func wait() async {
        await engine.lock.withLock { running }?.value
    }

    /// Stops the rewrite at its next chunk (the worker is stopping); the next start carries on.
    func stop() {
        engine.lock.withLock { stopping = true }
    }

    private func rewriteStale(_ slots: [StateRewrite.LazySlot], afterSwap: Bool) {
        ParallelWork.lowerPriority()
        if afterSwap { SwapCheckpoint.rewriting.reach() }
        let started = ContinuousClock.now
        var rewritten = 0
        var inFlight: [UInt64] = []
        do {
            for slot in slots {
                var after: String?
                while !engine.lock.withLock({ stopping }) {
                    let stale = try engine.store.staleValues(cell: slot.cell, slot: slot.slot, version: slot.version, after: after, limit: Self.chunk)
                    guard let last = stale.last else { break }
                    after = last.key
                    let rows = batch(rewriting: stale, of: slot)
                    guard !rows.isEmpty else { continue }
                    rewritten += rows.changes.count
                    let sequence = engine.store.enqueue(rows, touchesMemory: false)
                    inFlight.append(sequence)
                    if inFlight.count > Self.depth { try engine.store.waitUntilDurableBlocking(inFlight.removeFirst()) }
                }
            }
            if let last = inFlight.last { try engine.store.waitUntilDurableBlocking(last) }
            guard !engine.lock.withLock({ stopping }) else { return }
            let names = slots.map { "\($0.cell).\($0.slot)" }.joined(separator: ", ")
            engine.log("rewrote \(rewritten) stored value(s) of \(names) at their new version in \(Int((ContinuousClock.now - started).inMilliseconds)) ms")
        } catch {
            engine.log("rewriting stored values at their new version stopped: \(error); the next start carries on")
        }
    }

    /// The rows `stale` rewritten at the new version.
    private func batch(rewriting stale: [StoredState.SlotValue], of slot: StateRewrite.LazySlot) -> WriteBatch {
        let program = engine.program
        guard let model = program.cells[slot.cell]?.model.slot(slot.slot) else { return WriteBatch() }
        var batch = WriteBatch()
        guard case .map(_, let valueType) = model.type else {
            if let value = engine.lock.withLock({ engine.memories[slot.cell]?.scalars[slot.slot] }) {
                batch.changes.append(.restampValue(cell: slot.cell, slot: slot.slot, key: "", version: slot.version,
                                                   json: program.codec.encode(value, as: model.type)))
            }
            return batch
        }
        // Read through their migration as a miss would read them: memory may not hold them. A turn's write since
        // the read is at the new version already, and the restamp leaves it (`version <> ?`).
        let types = CellMemory.SlotTypes(model)
        let memory = engine.lock.withLock { engine.memories[slot.cell] }
        for row in stale where row.version < slot.version {
            guard let types, let memory, let value = try? memory.decode(row, types, program: program) else { continue }
            batch.changes.append(.restampValue(cell: slot.cell, slot: slot.slot, key: row.key, version: slot.version,
                                               json: program.codec.encode(value, as: valueType)))
        }
        return batch
    }
}
