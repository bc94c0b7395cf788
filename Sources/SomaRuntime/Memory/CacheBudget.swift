import Synchronization

/// The one bound on what every cell's memory caches together (soma.toml `[memory] cache`, docs/state.md), and
/// what the cache did: each cell adds what it keeps and takes away what it lets go of.
public final class CacheBudget: Sendable {
    public static let defaultBytes = 64 << 20

    public let limit: Int
    private let used = Atomic<Int>(0)
    private let hitCount = Atomic<Int>(0)
    private let missCount = Atomic<Int>(0)
    private let scanCount = Atomic<Int>(0)
    private let scannedRowCount = Atomic<Int>(0)

    public init(limit: Int = CacheBudget.defaultBytes) {
        self.limit = limit
    }

    /// The bytes every cell's cached entries cost now.
    public var bytes: Int { used.load(ordering: .relaxed) }
    public var hits: Int { hitCount.load(ordering: .relaxed) }
    /// Reads that went to the store.
    public var misses: Int { missCount.load(ordering: .relaxed) }
    /// Reads of a whole Map slot from the store (a whole-Map operation, or a kept aggregate read the first time).
    public var scans: Int { scanCount.load(ordering: .relaxed) }
    /// Rows those reads went through: a whole-Map operation that stops at its step budget stops reading.
    public var scannedRows: Int { scannedRowCount.load(ordering: .relaxed) }

    /// How far the cells are past the budget: what the cell that notices lets go of.
    var excess: Int { max(0, bytes - limit) }
    var room: Int { max(0, limit - bytes) }

    func add(_ delta: Int) {
        if delta != 0 { used.add(delta, ordering: .relaxed) }
    }

    /// After memory was replaced whole (a swap, a reload after a full disk).
    func reset(to bytes: Int) {
        used.store(bytes, ordering: .relaxed)
    }

    func hit() { hitCount.add(1, ordering: .relaxed) }
    func miss() { missCount.add(1, ordering: .relaxed) }
    func scan() { scanCount.add(1, ordering: .relaxed) }
    func rowRead() { scannedRowCount.add(1, ordering: .relaxed) }
}
