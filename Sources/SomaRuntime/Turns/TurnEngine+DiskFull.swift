import Foundation
import SomaStorage

/// A commit that fails for want of space does not end the worker. The turns of the failed group, and every turn
/// queued behind it (which may have read their writes), fail with `disk-full`; memory goes back to what is
/// durable, as a restart would put it, without the restart. Until the store finds room again, turns that would
/// write are refused before they change anything, and read-only turns are served.
extension TurnEngine {
    static let diskFullMessage = "the disk holding the program's state is full: nothing was changed; writes resume by themselves when space returns"

    /// What a turn reports when its batch did not become durable; any failure but a full disk ends the worker.
    func storageFailure(_ error: any Error) -> TurnError {
        if let storage = error as? StorageError, storage.isDiskFull {
            return TurnError(.diskFull, Self.diskFullMessage)
        }
        onStorageFailure("\(error)")
        return TurnError(.storage, "\(error)")
    }

    /// Called by the store, possibly from a thread holding the engine's lock: the work goes to a thread of its own.
    func diskFullChanged(_ full: Bool) {
        guard full else {
            log("the state database can be written again: writes resume")
            return
        }
        log("a commit failed for want of space: its turns fail with disk-full (507), writes are refused until space returns, reads go on")
        Thread.detachNewThread { [weak self] in self?.reloadMemoryFromStore() }
    }

    /// Memory as it is durable: what the failed turns wrote, and what turns that read them wrote, is gone.
    func reloadMemoryFromStore() {
        lock.withLock {
            do {
                (memories, _) = try CellMemory.loaded(current, try store.load(), store: store, budget: cache, report: log)
                cache.reset(to: memories.values.reduce(0) { $0 + $1.cachedBytes })
                swap.memory.forget()
                store.memoryMatchesDisk()
            } catch {
                onStorageFailure("reloading memory after a commit failed for want of space: \(error)")
            }
        }
    }

    func waitUntilWritable() async {
        while store.refusesWrites {
            try? await Task.sleep(for: .milliseconds(250))
        }
    }
}
