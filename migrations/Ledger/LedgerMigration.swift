/// One step of the ledger's schema. Steps are applied in the order of `LedgerMigrations.all`, each once,
/// by GRDB's `DatabaseMigrator`; a step, once released, never changes: a new need is a new step.
public struct LedgerMigration: Sendable {
    public let identifier: String
    public let sql: String
}

public enum LedgerMigrations {
    public static let all: [LedgerMigration] = [.initial, .processes, .resources, .providerPaths, .versionStates, .versionRestores, .hashWidth,
                                                     .servedByProcess]
}
