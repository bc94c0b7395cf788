extension LedgerMigration {
    /// Versions recorded by `soma swap`: `pending` while a swap is being planned or applied, `active` once the
    /// app has run it; the plan and the time the swap took.
    static let versionStates = LedgerMigration(identifier: "0005-version-states", sql: """
        ALTER TABLE versions ADD COLUMN state TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('pending', 'active'));
        ALTER TABLE versions ADD COLUMN plan TEXT;
        ALTER TABLE versions ADD COLUMN swap_milliseconds REAL;
        ALTER TABLE versions ADD COLUMN activated_at TEXT;
        """)
}
