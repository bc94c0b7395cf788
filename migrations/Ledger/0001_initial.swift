extension LedgerMigration {
    /// The app, its versions with their source, the events log and the lock for mutating commands.
    static let initial = LedgerMigration(identifier: "0001-initial", sql: """
        CREATE TABLE app (
          name TEXT PRIMARY KEY,
          created_at TEXT NOT NULL,
          state TEXT NOT NULL,
          current_version INTEGER,
          port INTEGER
        );
        CREATE TABLE versions (
          number INTEGER PRIMARY KEY,
          hash TEXT NOT NULL,
          entry TEXT NOT NULL,
          created_at TEXT NOT NULL
        );
        CREATE TABLE version_files (
          version INTEGER NOT NULL REFERENCES versions(number),
          path TEXT NOT NULL,
          content BLOB NOT NULL,
          PRIMARY KEY (version, path)
        );
        CREATE TABLE events (
          id INTEGER PRIMARY KEY,
          at TEXT NOT NULL,
          kind TEXT NOT NULL,
          detail TEXT NOT NULL
        );
        CREATE TABLE locks (
          name TEXT PRIMARY KEY,
          holder_pid INTEGER NOT NULL,
          purpose TEXT NOT NULL,
          acquired_at TEXT NOT NULL
        );
        """)
}
