import Foundation
import SomaStorage

/// Lazily migrated slots (RUNTIME.md §6). A swap switches memory to the new version at once but leaves the stored
/// rows of a migrated type at their old version, so that turns are held only for the switch. Once they run again,
/// the rows are rewritten here from memory, a chunk at a time, each only if no turn has written it since (the
/// turn's row is at the new version already). A worker that starts before this has finished reads the rows left
/// through their migration, and carries on. A swap waits until it has finished.
extension SwapCoordinator {
    static let restampChunk = 100
    /// Chunks waiting for the disk at once: the committer writes them in one transaction, one sync for several.
    static let restampDepth = 1

    /// On a thread of its own: its reads and chunks are blocking work that must not take a thread turns need.
    /// `afterSwap`: started by the swap that just finished (else by a worker that found rows left at start).
    func startRestamp(_ slots: [StateRewrite.LazySlot], afterSwap: Bool = false) {
        guard !slots.isEmpty else { return }
        engine.lock.withLock {
            restampStopping = false
            restamp = Task { [self] in await ParallelWork.onOwnThread { [self] in rewriteStale(slots, afterSwap: afterSwap) } }
        }
    }

    /// Returns once no stored value is left at an older version.
    func waitForRestamp() async {
        await engine.lock.withLock { restamp }?.value
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
                while !engine.lock.withLock({ restampStopping }) {
                    let keys = try engine.store.staleKeys(cell: slot.cell, slot: slot.slot, version: slot.version, after: after, limit: Self.restampChunk)
                    guard let last = keys.last else { break }
                    after = last
                    let batch = restampBatch(slot, keys: keys)
                    guard !batch.isEmpty else { continue }
                    rewritten += batch.changes.count
                    let sequence = engine.store.enqueue(batch, touchesMemory: false)
                    inFlight.append(sequence)
                    if inFlight.count > Self.restampDepth { try engine.store.waitUntilDurableBlocking(inFlight.removeFirst()) }
                }
            }
            if let last = inFlight.last { try engine.store.waitUntilDurableBlocking(last) }
            guard !engine.lock.withLock({ restampStopping }) else { return }
            let names = slots.map { "\($0.cell).\($0.slot)" }.joined(separator: ", ")
            engine.log("rewrote \(rewritten) stored value(s) of \(names) at their new version in \(Int(Self.milliseconds(since: started))) ms")
        } catch {
            engine.log("rewriting stored values at their new version stopped: \(error); the next start carries on")
        }
    }

    /// The rows of `keys` rewritten from what memory holds for them now.
    private func restampBatch(_ slot: StateRewrite.LazySlot, keys: [String]) -> WriteBatch {
        let program = engine.program
        guard let model = program.cells[slot.cell]?.model.slot(slot.slot) else { return WriteBatch() }
        var batch = WriteBatch()
        guard case .map(let keyType, let valueType) = model.type else {
            if let value = engine.lock.withLock({ engine.memories[slot.cell]?.scalars[slot.slot] }) {
                batch.changes.append(.restampValue(cell: slot.cell, slot: slot.slot, key: "", version: slot.version,
                                                   json: program.codec.encode(value, as: model.type)))
            }
            return batch
        }
        let decoded = keys.compactMap { stored -> (String, Value)? in
            guard let json = try? JSONValue.parse(stored), let key = try? program.codec.decode(json, as: keyType) else { return nil }
            return (stored, key)
        }
        let values = engine.lock.withLock { () -> [(String, Value)] in
            let map = engine.memories[slot.cell]?.maps[slot.slot] ?? [:]
            return decoded.compactMap { stored, key in map[key].map { (stored, $0) } }
        }
        for (key, value) in values {
            batch.changes.append(.restampValue(cell: slot.cell, slot: slot.slot, key: key, version: slot.version,
                                               json: program.codec.encode(value, as: valueType)))
        }
        return batch
    }
}
