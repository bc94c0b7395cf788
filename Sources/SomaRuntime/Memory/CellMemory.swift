import Foundation
import SomaProtocol
import SomaStorage

/// A cell's committed memory: what every turn starts from (docs/state.md). Scalar slots and state machines are
/// resident; each Map slot is a `SlotCache`, over the store for a persistent slot. Changed when a turn commits,
/// under the engine's lock; its own cell's turns read it without, one at a time (docs/turns.md).
final class CellMemory {
    let cell: String
    let store: StateStore
    let budget: CacheBudget
    /// Told of each stored value found not to read, once.
    let report: @Sendable (String) -> Void
    var scalars: [String: Value] = [:]
    var maps: [String: SlotCache] = [:]
    /// Machine name → key → state.
    var machines: [String: [String: String]] = [:]
    /// Invariants known to hold over this memory as last committed: a turn that writes nothing one of them
    /// reads leaves it holding, and does not evaluate it again (docs/state.md, "Invariants"). Empty for a new
    /// memory (a start, a swap, a rollback), so that each is evaluated once before it is skipped.
    var heldInvariants: Set<String> = []
    /// Kept sums and counts over Map slots, by name (`RuntimeProgram.Aggregate`), as last committed. One not
    /// here is not known yet: the first turn that needs it reads the slot once.
    var aggregates: [String: Int] = [:]
    /// Slot → stored key (empty for a scalar slot) → the value there that did not read.
    var quarantined: [String: [String: QuarantinedValue]] = [:]
    /// Guards `maps` and `quarantined`: a turn's reads change the cache (what it found, what it read lately)
    /// while a swap's snapshot or a scan may read it from another thread.
    let lock = NSLock()
    /// The last batch that wrote one of the cell's persistent slots.
    private var lastBatch: UInt64 = 0

    init(cell: String, store: StateStore, budget: CacheBudget, report: @escaping @Sendable (String) -> Void = { _ in }) {
        self.cell = cell
        self.store = store
        self.budget = budget
        self.report = report
    }

    /// The bytes this cell's caches cost.
    var cachedBytes: Int { lock.withLock { maps.values.reduce(0) { $0 + $1.bytes } } }

    /// The bytes the entries of these Map slots cost.
    func bytes(of slots: some Sequence<String>) -> Int {
        lock.withLock { slots.reduce(0) { $0 + (maps[$1]?.bytes ?? 0) } }
    }

    /// What an entry of a slot costs now (0: none held).
    func bytes(_ slot: String, of key: Value) -> Int {
        lock.withLock { maps[slot]?.bytes(of: key) ?? 0 }
    }

    func lookup(_ slot: String, _ key: Value) -> SlotCache.Lookup {
        lock.withLock {
            let found = maps[slot]?.lookup(key) ?? .absent
            if case .miss = found { budget.miss() } else { budget.hit() }
            return found
        }
    }

    func count(_ slot: String) -> Int {
        lock.withLock { maps[slot]?.count ?? 0 }
    }

    /// Whether a slot's count waits for `settleCount` (inserts that did not read whether their key was stored).
    func countIsPending(_ slot: String) -> Bool {
        lock.withLock { maps[slot]?.countIsPending ?? false }
    }

    /// Every pending count of the cell settled (a swap, with turns held).
    func settleCounts() throws {
        for slot in lock.withLock({ maps.filter(\.value.countIsPending).map(\.key) }) { try settleCount(slot) }
    }

    /// A pending count read from the store's stats, once the cell's last batch is durable: the triggers keep
    /// them exact in each commit. Called where no turn of the cell commits meanwhile (its lane, or a swap with
    /// turns held).
    func settleCount(_ slot: String) throws {
        guard countIsPending(slot) else { return }
        do {
            try store.waitUntilDurableBlocking(lock.withLock { lastBatch })
            let count = try store.storedCount(cell: cell, slot: slot)
            lock.withLock { maps[slot]?.recount(count) }
        } catch {
            throw TurnError(.storage, "\(error)")
        }
    }

    /// What the cache knows of a key, without counting a hit or a miss or marking it read.
    func peek(_ slot: String, _ key: Value) -> SlotCache.Lookup {
        lock.withLock { maps[slot]?.peek(key) ?? .absent }
    }

    func hasQuarantined(_ slot: String) -> Bool {
        lock.withLock { !(quarantined[slot]?.isEmpty ?? true) }
    }

    func isComplete(_ slot: String) -> Bool {
        lock.withLock { maps[slot]?.isComplete ?? true }
    }

    /// A copy of a slot's cache (copy-on-write: free until one of them changes).
    func cache(of slot: String) -> SlotCache? {
        lock.withLock { maps[slot] }
    }

    func fill(_ slot: String, _ key: Value, _ value: Value?, bytes: Int) {
        lock.withLock { budget.add(maps[slot]?.fill(key, value, bytes: bytes) ?? 0) }
    }

    /// Pins what a turn wrote to persistent slots until its batch is durable.
    func pin(_ keys: [String: [Value]], until sequence: UInt64) {
        guard !keys.isEmpty else { return }
        lock.withLock {
            lastBatch = max(lastBatch, sequence)
            for (slot, written) in keys { maps[slot]?.pin(written, until: sequence) }
        }
    }

    /// What one turn's trim lets go of beyond what the turn added: a cache far past the budget (just after a
    /// swap) comes back within it over the next turns, none of which pays for all of it.
    static let trimmedPerTurn = 256 * 1024

    /// Lets go of entries the store holds, from every Map slot of the cell, until the cells are back within the
    /// budget, `limit` bytes are freed, or nothing of this cell can go yet.
    func trim(durable: UInt64, atMost limit: Int = .max) {
        lock.withLock {
            var freed = 0
            // The keys copied first: iterating the dictionary while changing it would copy every cache.
            for slot in Array(maps.keys) {
                let target = min(budget.excess, limit - freed)
                guard target > 0 else { return }
                let evicted = maps[slot]?.evict(freeing: target, durable: durable) ?? 0
                budget.add(-evicted)
                freed += evicted
            }
        }
    }

    // MARK: - Quarantine

    func quarantinedValue(_ slot: String, storedKey: String) -> QuarantinedValue? {
        lock.withLock { quarantined[slot]?[storedKey] }
    }

    /// The quarantined value of the slot whose key sorts first, if any.
    func firstQuarantined(_ slot: String) -> QuarantinedValue? {
        lock.withLock { quarantined[slot]?.values.min(by: { $0.key < $1.key }) }
    }

    func setQuarantined(_ value: QuarantinedValue?, slot: String, storedKey: String) {
        lock.withLock { quarantined[slot, default: [:]][storedKey] = value }
    }

    var allQuarantined: [QuarantinedValue] {
        lock.withLock { quarantined.values.flatMap(\.values) }
    }
}
