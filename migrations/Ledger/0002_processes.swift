extension LedgerMigration {
    /// The supervised processes (supervisor, worker) with their pids and restart counts, and why an app
    /// failed, for `soma status`; the restart intensity from soma.toml [supervisor].
    static let processes = LedgerMigration(identifier: "0002-processes", sql: """
        CREATE TABLE processes (
          role TEXT PRIMARY KEY,
          pid INTEGER,
          started_at TEXT,
          restarts INTEGER NOT NULL DEFAULT 0
        );
        ALTER TABLE app ADD COLUMN failure TEXT;
        ALTER TABLE app ADD COLUMN max_restarts INTEGER;
        ALTER TABLE app ADD COLUMN restart_window REAL;
        """)
}
