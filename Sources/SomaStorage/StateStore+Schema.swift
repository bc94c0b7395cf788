import GRDB

/// The state database's schema, one forward step per format change: a newer soma opens an older home and brings
/// it up to date; the home fixtures in Tests/Fixtures prove it for every released format.
extension StateStore {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("1-memory") { db in
            try db.execute(sql: """
                CREATE TABLE slot_values (
                  cell TEXT NOT NULL, slot TEXT NOT NULL, key TEXT NOT NULL,
                  version INTEGER NOT NULL, value TEXT NOT NULL,
                  PRIMARY KEY (cell, slot, key)) WITHOUT ROWID;
                CREATE TABLE machine_states (
                  cell TEXT NOT NULL, machine TEXT NOT NULL, key TEXT NOT NULL, state TEXT NOT NULL,
                  PRIMARY KEY (cell, machine, key)) WITHOUT ROWID;
                CREATE TABLE pending_sends (
                  id INTEGER PRIMARY KEY, cell TEXT NOT NULL, signal TEXT NOT NULL, arguments TEXT NOT NULL);
                """)
        }
        migrator.registerMigration("2-effects") { db in
            try db.execute(sql: """
                CREATE TABLE pending_effects (
                  id INTEGER PRIMARY KEY, resource TEXT NOT NULL, operation TEXT NOT NULL, payload TEXT NOT NULL);
                """)
        }
        migrator.registerMigration("3-versions") { db in
            // meta: the program version the stored data is at (the swap's commit point writes it); the undo tables
            // hold what a swap replaced until the new version has started, so a failed `on start` can undo it.
            try db.execute(sql: """
                CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
                CREATE TABLE swap_undo_values (
                  cell TEXT NOT NULL, slot TEXT NOT NULL, key TEXT NOT NULL, version INTEGER NOT NULL, value TEXT NOT NULL,
                  PRIMARY KEY (cell, slot, key)) WITHOUT ROWID;
                CREATE TABLE swap_undo_slots (cell TEXT NOT NULL, slot TEXT NOT NULL, PRIMARY KEY (cell, slot)) WITHOUT ROWID;
                CREATE TABLE swap_undo_states (
                  cell TEXT NOT NULL, machine TEXT NOT NULL, key TEXT NOT NULL, state TEXT NOT NULL,
                  PRIMARY KEY (cell, machine, key)) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("4-lazy-undo") { db in
            // A slot a swap migrates lazily keeps its rows at the old version; undoing the swap removes the rows
            // written at the new one (lazy_version) and puts back what turns replaced (swap_undo_values).
            try db.execute(sql: "ALTER TABLE swap_undo_slots ADD COLUMN lazy_version INTEGER")
        }
        migrator.registerMigration("5-set-aside-effects") { db in
            try db.execute(sql: """
                CREATE TABLE set_aside_effects (
                  id INTEGER PRIMARY KEY, resource TEXT NOT NULL, operation TEXT NOT NULL, payload TEXT NOT NULL,
                  error TEXT NOT NULL, failed_at INTEGER NOT NULL);
                """)
        }
        migrator.registerMigration("6-slot-stats") { db in
            // How many keys each slot holds at each version, kept by triggers in the transaction that changes the
            // rows: a worker whose memory is a cache knows a Map's count(), and whether a swap's rewrite was cut
            // short, without reading the rows (docs/state.md). Every write of a row is an UPSERT, never an INSERT OR
            // REPLACE: a replaced row then fires the update trigger (only when its version changes), not the insert
            // trigger, so a row counts once whatever writes it, at no cost to a write that only changes its value.
            try db.execute(sql: """
                CREATE TABLE slot_stats (
                  cell TEXT NOT NULL, slot TEXT NOT NULL, version INTEGER NOT NULL, entries INTEGER NOT NULL,
                  PRIMARY KEY (cell, slot, version)) WITHOUT ROWID;
                INSERT INTO slot_stats (cell, slot, version, entries)
                  SELECT cell, slot, version, COUNT(*) FROM slot_values GROUP BY cell, slot, version;
                CREATE TRIGGER slot_stats_insert AFTER INSERT ON slot_values
                  BEGIN
                    INSERT INTO slot_stats (cell, slot, version, entries) VALUES (NEW.cell, NEW.slot, NEW.version, 1)
                      ON CONFLICT (cell, slot, version) DO UPDATE SET entries = entries + 1;
                  END;
                CREATE TRIGGER slot_stats_delete AFTER DELETE ON slot_values
                  BEGIN
                    UPDATE slot_stats SET entries = entries - 1 WHERE cell = OLD.cell AND slot = OLD.slot AND version = OLD.version;
                  END;
                CREATE TRIGGER slot_stats_update AFTER UPDATE OF version ON slot_values
                  WHEN OLD.version <> NEW.version
                  BEGIN
                    UPDATE slot_stats SET entries = entries - 1 WHERE cell = OLD.cell AND slot = OLD.slot AND version = OLD.version;
                    INSERT INTO slot_stats (cell, slot, version, entries) VALUES (NEW.cell, NEW.slot, NEW.version, 1)
                      ON CONFLICT (cell, slot, version) DO UPDATE SET entries = entries + 1;
                  END;
                """)
        }
        migrator.registerMigration("7-slot-aggregates") { db in
            // Sums and counts over a Map that invariants read, kept by the runtime from each turn's writes in the
            // turn's own batch (docs/state.md, "Invariants"). `name` says what is summed or counted, in which program.
            try db.execute(sql: """
                CREATE TABLE slot_aggregates (
                  cell TEXT NOT NULL, name TEXT NOT NULL, slot TEXT NOT NULL, value INTEGER NOT NULL,
                  PRIMARY KEY (cell, name)) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("8-order-keys") { db in
            // Each Map row's order key (`OrderKey` of its key: bytes that compare as the runtime orders keys), so a
            // whole-Map operation reads the rows in key order from the index instead of holding and sorting them
            // all (docs/state.md, "Whole-Map operations"). A row from before this step has none until the runtime's
            // backfill gives it one; a scalar slot's row has none.
            try db.execute(sql: """
                ALTER TABLE slot_values ADD COLUMN ord BLOB;
                CREATE INDEX slot_values_order ON slot_values (cell, slot, ord);
                ALTER TABLE swap_undo_values ADD COLUMN ord BLOB;
                """)
        }
        return migrator
    }

}
