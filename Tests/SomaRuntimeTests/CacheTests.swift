import Foundation
import GRDB
import SomaRuntime
import Testing

/// Memory as a cache over the store (docs/state.md): with a budget far smaller than the data, every turn still
/// sees each key as last committed, counts stay exact, whole-Map operations see every entry, and a worker starts
/// without reading the Map.
@Suite struct CacheTests {
    static let program = """
    cell Book {
      face {
        signal put(k: Int, v: Int) -> Int
        signal get(k: Int) -> Option<Int>
        signal drop(k: Int) -> Bool
        signal count() -> Int
        signal total() -> Int
      }
      memory {
        m: Map<Int, Int> [persistent]
      }
      invariant counted { m.count() >= 0 }
      on put(k: Int, v: Int) { m.set(k, v); m.count() }
      on get(k: Int) { m.get(k) }
      on drop(k: Int) { m.delete(k) }
      on count() { m.count() }
      on total() { m.values().sum() }
    }
    """

    @Test func aTinyCacheServesEveryKeyAsCommitted() async throws {
        let harness = try await RuntimeHarness(Self.program, cacheBytes: 2_048)
        for k in 0..<300 {
            #expect(await harness.send("Book.put", #"{"k": \#(k), "v": \#(k * 3)}"#).body == "\(k + 1)")
        }
        // Rewritten and deleted keys, long after they left memory.
        #expect(await harness.send("Book.put", #"{"k": 5, "v": 1000}"#).body == "300")
        #expect(await harness.send("Book.drop", #"{"k": 7}"#).body == "true")
        #expect(await harness.send("Book.drop", #"{"k": 7}"#).body == "false")
        // The Map's 300 entries (about 110,000 bytes) went, but for what the budget and the last turns' pinned
        // writes hold. (Ephemeral slots stay whole: EphemeralMemoryTests.)
        #expect(harness.engine.cache.bytes < 8_000, "\(harness.engine.cache.bytes) bytes cached")
        #expect(harness.engine.cache.misses > 0)
        #expect(await harness.send("Book.get", #"{"k": 0}"#).body == "0")
        #expect(await harness.send("Book.get", #"{"k": 5}"#).body == "1000")
        #expect(await harness.send("Book.get", #"{"k": 7}"#).body == "null")
        #expect(await harness.send("Book.count").body == "299")
        let total = (0..<300).reduce(0) { $0 + $1 * 3 } - 15 + 1000 - 21
        #expect(await harness.send("Book.total").body == "\(total)")
        harness.close()

        // A new worker reads no entry to start, and counts them from the store's stats.
        let reopened = try await RuntimeHarness(Self.program, folder: harness.folder, cacheBytes: 2_048)
        defer { reopened.close() }
        #expect(reopened.engine.cache.bytes == 0)
        #expect(await reopened.send("Book.count").body == "299")
        #expect(await reopened.send("Book.get", #"{"k": 299}"#).body == "897")
        #expect(await reopened.send("Book.total").body == "\(total)")
        #expect(await reopened.send("Book.put", #"{"k": 1000, "v": 1}"#).body == "300")
    }

    @Test func aSlotThatFitsIsHeldWholeAfterOneScan() async throws {
        let first = try await RuntimeHarness(Self.program, cacheBytes: CacheBudget.defaultBytes)
        for k in 0..<50 { _ = await first.send("Book.put", #"{"k": \#(k), "v": 1}"#) }
        first.close()
        let harness = try await RuntimeHarness(Self.program, folder: first.folder, cacheBytes: CacheBudget.defaultBytes)
        defer { harness.close() }
        #expect(await harness.send("Book.total").body == "50")
        let misses = harness.engine.cache.misses
        #expect(await harness.send("Book.get", #"{"k": 49}"#).body == "1")
        #expect(await harness.send("Book.get", #"{"k": 4000}"#).body == "null")
        #expect(harness.engine.cache.misses == misses, "every key was read by the scan: no read goes to the store")
    }

    @Test func aWholeMapReadFromTheStoreFindsAValueThatDoesNotRead() async throws {
        let first = try await RuntimeHarness(Self.program, cacheBytes: 2_048)
        for k in 0..<20 { _ = await first.send("Book.put", #"{"k": \#(k), "v": 1}"#) }
        first.close()
        let database = try DatabaseQueue(path: first.folder.appendingPathComponent("state.sqlite").path)
        try await database.write { db in try db.execute(sql: #"UPDATE slot_values SET value = '"one"' WHERE slot = 'm' AND key = '7'"#) }
        try database.close()
        let harness = try await RuntimeHarness(Self.program, folder: first.folder, cacheBytes: 2_048)
        defer { harness.close() }
        let total = await harness.send("Book.total")
        #expect(total.status == 500 && total.body.contains(#""code":"quarantined""#), "\(total.body)")
        #expect(harness.engine.quarantined.map(\.subject) == ["Book.m[7]"])
        // The invariant reads `m.count()`: with a quarantined key, every turn of the cell fails until a repair.
        let other = await harness.send("Book.get", #"{"k": 8}"#)
        #expect(other.status == 500 && other.body.contains("Book.m[7]"), "\(other.status) \(other.body)")
        _ = try await harness.engine.repair(cell: "Book", slot: "m", key: "7", .remove)
        #expect(await harness.send("Book.get", #"{"k": 8}"#).body == "1")
        #expect(await harness.send("Book.count").body == "19")
        #expect(await harness.send("Book.total").body == "19")
    }

    /// Without an invariant, nothing needs to know whether an inserted key was stored, so an insert into a Map
    /// larger than memory reads nothing (docs/state.md, "An insert without a read"): `count()` settles the
    /// count from the store's stats when it asks.
    static let ledger = """
    cell Ledger {
      face {
        signal put(k: Int, v: Int) -> Int
        signal putAndCount(k: Int, v: Int) -> Int
        signal drop(k: Int) -> Bool
        signal count() -> Int
      }
      memory { m: Map<Int, Int> [persistent] }
      on put(k: Int, v: Int) { m.set(k, v); v }
      on putAndCount(k: Int, v: Int) { m.set(k, v); m.count() }
      on drop(k: Int) { m.delete(k) }
      on count() { m.count() }
    }
    """

    @Test func anInsertReadsNothingAndTheCountStaysExact() async throws {
        let first = try await RuntimeHarness(Self.ledger, cacheBytes: 2_048)
        for k in 0..<50 { _ = await first.send("Ledger.put", #"{"k": \#(k), "v": 1}"#) }
        first.close()
        let harness = try await RuntimeHarness(Self.ledger, folder: first.folder, cacheBytes: 2_048)
        defer { harness.close() }
        // A slot of 50 stored keys none of which memory holds: 200 new keys and 50 rewritten ones, no read.
        for k in 0..<250 { #expect(await harness.send("Ledger.put", #"{"k": \#(k), "v": 2}"#).body == "2") }
        #expect(harness.engine.cache.misses == 0, "\(harness.engine.cache.misses) reads went to the store")
        #expect(await harness.send("Ledger.count").body == "250")
        // In one turn: the insert's own key is read to count it, once of a new key, once of a stored one.
        #expect(await harness.send("Ledger.putAndCount", #"{"k": 1000, "v": 3}"#).body == "251")
        #expect(await harness.send("Ledger.putAndCount", #"{"k": 10, "v": 3}"#).body == "251")
        #expect(await harness.send("Ledger.drop", #"{"k": 3}"#).body == "true")
        for k in 2000..<2010 { _ = await harness.send("Ledger.put", #"{"k": \#(k), "v": 1}"#) }
        #expect(await harness.send("Ledger.count").body == "260")
        harness.close()
        let reopened = try await RuntimeHarness(Self.ledger, folder: first.folder, cacheBytes: 2_048)
        defer { reopened.close() }
        #expect(await reopened.send("Ledger.count").body == "260")
    }

    /// An invariant that reads another slot does not need to know whether an inserted key was stored; one that
    /// reads the Map does, and the insert reads first.
    @Test func anInsertReadsNothingUnlessAnInvariantReadsItsSlot() async throws {
        func guarded(_ invariant: String) -> String {
            Self.ledger.replacingOccurrences(of: "memory { m: Map<Int, Int> [persistent] }",
                                             with: "memory { m: Map<Int, Int> [persistent]\n n: Int [persistent] = 0 }\n invariant \(invariant)")
        }
        for (invariant, reads) in [("other { n >= 0 }", false), ("counted { m.count() >= 0 }", true)] {
            let first = try await RuntimeHarness(guarded(invariant), cacheBytes: 2_048)
            for k in 0..<50 { _ = await first.send("Ledger.put", #"{"k": \#(k), "v": 1}"#) }
            first.close()
            let harness = try await RuntimeHarness(guarded(invariant), folder: first.folder, cacheBytes: 2_048)
            for k in 0..<100 { #expect(await harness.send("Ledger.put", #"{"k": \#(k), "v": 2}"#).body == "2") }
            #expect((harness.engine.cache.misses > 0) == reads, "\(invariant): \(harness.engine.cache.misses) reads went to the store")
            #expect(await harness.send("Ledger.count").body == "100")
            harness.close()
        }
    }
}

