import Foundation
import GRDB
@testable import SomaStorage
import Testing

/// The state store reads on connections of their own (docs/state.md): a read sees what is committed and never
/// waits for the committer's transaction, which a turn reading what memory no longer holds would otherwise do.
@Suite struct StateStoreReadTests {
    @Test func aReadDoesNotWaitForAWriteTransaction() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try StateStore(path: folder.appendingPathComponent("state.sqlite").path)
        defer { store.close() }
        let sequence = store.enqueue(WriteBatch(changes: [.putValue(cell: "C", slot: "s", key: "", version: 1, json: "1")]))
        try await store.waitUntilDurable(sequence)

        // A write transaction held open, as the committer holds one through a group's sync; let go after 2 s.
        let held = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            try? store.database.writeWithoutTransaction { db in
                try db.execute(sql: "BEGIN IMMEDIATE")
                try db.execute(sql: "UPDATE slot_values SET value = '2'")
                held.signal()
                release.wait()
                try db.execute(sql: "COMMIT")
            }
        }
        held.wait()
        DispatchQueue.global().asyncAfter(deadline: .now() + 2) { release.signal() }
        let started = Date()
        let stored = try store.load().values.map(\.json)
        let waited = Date().timeIntervalSince(started)
        #expect(stored == ["1"], "a read sees what is committed, not what a transaction still holds")
        #expect(waited < 1, "the read waited \(waited) s for the write transaction")
    }
}

/// `slot_stats` counts each slot's keys in the transaction that changes them, whatever writes the rows.
@Suite struct SlotStatsTests {
    static func folder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("stats-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// cell.slot → entries, over every version; and cell.slot@version → entries.
    static func counts(_ store: StateStore) throws -> (slots: [String: Int], versions: [String: Int]) {
        var slots: [String: Int] = [:], versions: [String: Int] = [:]
        for stat in try store.slotStats() {
            slots["\(stat.cell).\(stat.slot)", default: 0] += stat.entries
            versions["\(stat.cell).\(stat.slot)@\(stat.version)", default: 0] += stat.entries
        }
        return (slots, versions)
    }

    static func commit(_ store: StateStore, _ changes: [WriteBatch.Change]) async throws {
        try await store.waitUntilDurable(store.enqueue(WriteBatch(changes: changes)))
    }

    @Test func countsFollowPutsReplacesDeletesAndClears() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try StateStore(path: folder.appendingPathComponent("state.sqlite").path)
        defer { store.close() }
        try await Self.commit(store, [
            .putValue(cell: "C", slot: "m", key: "\"a\"", version: 1, json: "1"),
            .putValue(cell: "C", slot: "m", key: "\"b\"", version: 1, json: "2"),
            .putValue(cell: "C", slot: "s", key: "", version: 1, json: "7"),
            .putValue(cell: "D", slot: "m", key: "1", version: 1, json: "3"),
        ])
        #expect(try Self.counts(store).slots == ["C.m": 2, "C.s": 1, "D.m": 1])
        try await Self.commit(store, [
            .putValue(cell: "C", slot: "m", key: "\"a\"", version: 1, json: "10"),
            .putValue(cell: "C", slot: "s", key: "", version: 1, json: "8"),
            .restampValue(cell: "C", slot: "m", key: "\"b\"", version: 2, json: "2"),
            .deleteValue(cell: "C", slot: "m", key: "\"zz\""),
        ])
        #expect(try Self.counts(store).slots == ["C.m": 2, "C.s": 1, "D.m": 1], "a replaced or restamped key, or a missing one deleted, counts the same")
        #expect(try Self.counts(store).versions == ["C.m@1": 1, "C.m@2": 1, "C.s@1": 1, "D.m@1": 1], "a restamped key moves to its new version")
        try await Self.commit(store, [.putValue(cell: "C", slot: "m", key: "\"a\"", version: 2, json: "11")])
        #expect(try Self.counts(store).versions == ["C.m@2": 2, "C.s@1": 1, "D.m@1": 1], "a key replaced at another version moves to it")
        try await Self.commit(store, [.deleteValue(cell: "C", slot: "m", key: "\"b\""), .clearSlot(cell: "D", slot: "m")])
        #expect(try Self.counts(store).slots == ["C.m": 1, "C.s": 1])
        #expect(try store.load().values.map(\.json) == ["8"], "a worker starts from the scalar slots alone")
        #expect(try store.storedValue(cell: "C", slot: "m", key: "\"a\"")?.json == "11")
        #expect(try store.storedValue(cell: "C", slot: "m", key: "\"b\"") == nil)
    }

    /// Relaunch to serving must not grow with the data: the start's read of the scalar slots finds them by key.
    @Test func theStartReadsNoRowOfAMap() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try StateStore(path: folder.appendingPathComponent("state.sqlite").path)
        defer { store.close() }
        let plan = try await store.database.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + StateStore.scalarRows).map { $0["detail"] as String }.joined(separator: "; ")
        }
        #expect(!plan.contains("SCAN v"), "\(plan)")
        #expect(plan.contains("SEARCH v USING PRIMARY KEY (cell=? AND slot=? AND key=?)"), "\(plan)")
    }

    @Test func anOlderStoreIsCountedWhenItOpens() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("state.sqlite").path
        do {
            // The store as the build before slot_stats left it.
            let old = try DatabaseQueue(path: path)
            try StateStore.migrator.migrate(old, upTo: "5-set-aside-effects")
            try await old.write { db in
                for n in 0..<250 {
                    try db.execute(sql: "INSERT INTO slot_values (cell, slot, key, version, value) VALUES ('C', 'm', ?, 1, ?)", arguments: ["\(n)", "\(n * 2)"])
                }
            }
            try old.close()
        }
        let store = try StateStore(path: path)
        defer { store.close() }
        #expect(try Self.counts(store).versions == ["C.m@1": 250])
        var streamed = 0
        try store.forEachValue(cell: "C", slot: "m") { row in
            #expect(row.json == "\(Int(row.key)! * 2)")
            streamed += 1
        }
        #expect(streamed == 250)
    }
}
