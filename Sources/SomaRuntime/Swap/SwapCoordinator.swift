import SomaProtocol

/// Hot swap (RUNTIME.md §6) for one engine: the plan with live data, the dry run over a snapshot of memory, the
/// swap itself, and the rewrite of stored values a swap left at their old version. It keeps what lives from
/// one swap to the next: a plan's dry run kept for the swap that follows, its tracker (which every commit
/// feeds with the keys it writes), and the rewrite in progress.
// Unchecked: `prepared`, `tracker`, `restamp` and `restampStopping` are read and written under the engine's
// lock, which also orders them with the commits that note their writes in `tracker`.
final class SwapCoordinator: @unchecked Sendable {
    unowned let engine: TurnEngine
    /// A swap's dry run, kept for the swap that follows it.
    var prepared: PreparedSwap?
    /// Installed by a swap's dry run, until the swap holds turns (or the dry run is dropped).
    var tracker: SwapTracker?
    /// The rewrite of lazily migrated values still stored at their old version; a swap waits for it.
    var restamp: Task<Void, Never>?
    var restampStopping = false

    init(engine: TurnEngine) {
        self.engine = engine
    }
}

extension TurnEngine {
    /// The swap's plan with the data as it is now; `keepingDryRun` keeps its migrated memory for the swap.
    public func planSwap(_ request: SwapRequest, keepingDryRun: Bool = false) -> SwapPlan {
        swap.planSwap(request, keepingDryRun: keepingDryRun)
    }

    /// Applies a swap (see `SwapCoordinator.applySwap`).
    public func applySwap(_ request: SwapRequest) async throws(SwapRefused) -> SwapPlan {
        try await swap.applySwap(request)
    }

    /// Returns once no stored value is left at an older version.
    public func waitForRestamp() async {
        await swap.waitForRestamp()
    }
}
