extension LedgerMigration {
    /// Whether a process serves a resource is the provider's answer, kept when it gives it. Rows made before
    /// that are filled by the rule the local provider followed then: queues and postgres databases have one.
    static let servedByProcess = LedgerMigration(identifier: "0008-served-by-process", sql: """
        ALTER TABLE resources ADD COLUMN served_by_process INTEGER NOT NULL DEFAULT 0;
        UPDATE resources SET served_by_process = 1 WHERE kind = 'queue' OR engine = 'postgres';
        """)
}
