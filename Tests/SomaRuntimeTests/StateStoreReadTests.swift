import Foundation
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
