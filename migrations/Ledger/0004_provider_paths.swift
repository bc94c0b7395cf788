extension LedgerMigration {
    /// The folders searched for provider plugins, resolved to absolute paths at launch (soma.toml's
    /// `[providers] path` is relative to the project, which the supervisor does not see).
    static let providerPaths = LedgerMigration(identifier: "0004-provider-paths", sql: """
        ALTER TABLE app ADD COLUMN provider_paths TEXT NOT NULL DEFAULT '[]';
        """)
}
