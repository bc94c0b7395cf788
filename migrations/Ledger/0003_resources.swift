extension LedgerMigration {
    /// Resources: a row is written with the intent before a provider acts (state `provisioning`), then the
    /// outcome. One row per name in the app, ever: the same name always means the same resource.
    static let resources = LedgerMigration(identifier: "0003-resources", sql: """
        CREATE TABLE resources (
          name TEXT PRIMARY KEY,
          kind TEXT NOT NULL,
          element TEXT NOT NULL,
          element_version INTEGER NOT NULL,
          provider TEXT NOT NULL,
          host TEXT NOT NULL,
          engine TEXT NOT NULL,
          options TEXT NOT NULL,
          requested_by_version INTEGER NOT NULL,
          state TEXT NOT NULL CHECK (state IN ('provisioning', 'ready', 'failed', 'orphaned', 'released')),
          endpoint TEXT,
          data_path TEXT,
          pid INTEGER,
          restarts INTEGER NOT NULL DEFAULT 0,
          failure TEXT,
          attempts INTEGER NOT NULL DEFAULT 1,
          created_at TEXT NOT NULL,
          updated_at TEXT NOT NULL
        );
        """)
}
