/// A version of the app as `soma versions` shows it: read from the ledger, or asked of the supervisor.
public struct VersionSummary: Codable, Sendable {
    public var number: Int
    public var hash: String
    public var entry: String
    public var createdAt: String
    public var activatedAt: String?
    /// For versions that came by a swap: its plan and how long it took.
    public var plan: SwapPlan?
    public var swapMilliseconds: Double?
    /// Made by `soma rollback`: the earlier version whose code this one runs.
    public var restores: Int?
    public var current: Bool

    public init(number: Int, hash: String, entry: String, createdAt: String, activatedAt: String?, plan: SwapPlan?,
                swapMilliseconds: Double?, restores: Int?, current: Bool) {
        self.number = number
        self.hash = hash
        self.entry = entry
        self.createdAt = createdAt
        self.activatedAt = activatedAt
        self.plan = plan
        self.swapMilliseconds = swapMilliseconds
        self.restores = restores
        self.current = current
    }
}
