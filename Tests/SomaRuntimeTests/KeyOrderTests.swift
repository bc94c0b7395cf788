import Foundation
import GRDB
import SomaChecker
import SomaRuntime
import Testing

/// Whole-Map operations over a Map that memory does not hold: the store's rows streamed in key order by their
/// order key, with what is not durable yet and the turn's own writes laid over them (docs/state.md, step 3).
@Suite struct KeyOrderTests {
    static let program = """
    cell Book {
      face {
        signal put(k: Int, v: Int) -> Int
        signal drop(k: Int) -> Bool
        signal keys() -> List<Int>
        signal values() -> List<Int>
        signal swap(add: Int, drop: Int) -> List<Int>
        signal each() -> Int
      }
      memory {
        m: Map<Int, Int> [persistent]
      }
      on put(k: Int, v: Int) { m.set(k, v); m.count() }
      on drop(k: Int) { m.delete(k) }
      on keys() { m.keys() }
      on values() { m.values() }
      on swap(add: Int, drop: Int) { m.set(add, add * 10); m.delete(drop); m.keys() }
      on each() {
        var last = -1000000
        var ordered = 0
        for k in m {
          if k > last { ordered = ordered + 1 }
          last = k
        }
        ordered
      }
    }
    """

    static func list(_ numbers: [Int]) -> String { "[" + numbers.map(String.init).joined(separator: ",") + "]" }

    /// Keys whose stored text sorts otherwise than their value ("-1" < "-20" < "10" < "9"), written, rewritten and
    /// deleted in a scrambled order through a cache far smaller than the Map.
    @Test func keysComeInTheirOrderWhateverTheStoredTextSays() async throws {
        let harness = try await RuntimeHarness(Self.program, cacheBytes: 2_048)
        var model: [Int: Int] = [:]
        var generator = SystemRandomNumberGenerator()
        let keys = (-150..<150).map { $0 * 7 }.shuffled(using: &generator)
        for k in keys {
            _ = await harness.send("Book.put", #"{"k": \#(k), "v": \#(k + 1)}"#)
            model[k] = k + 1
        }
        for k in keys.prefix(40) {
            _ = await harness.send("Book.drop", #"{"k": \#(k)}"#)
            model[k] = nil
        }
        for k in keys.suffix(30) {
            _ = await harness.send("Book.put", #"{"k": \#(k), "v": 5}"#)
            model[k] = 5
        }
        let sorted = model.keys.sorted()
        #expect(await harness.send("Book.keys").body == Self.list(sorted))
        #expect(await harness.send("Book.values").body == Self.list(sorted.map { model[$0]! }))
        #expect(await harness.send("Book.each").body == "\(sorted.count)")
        // The turn's own writes are laid over the rows: a key added between two stored ones, and one taken away.
        let added = sorted[10] + 1, dropped = sorted[20]
        model[added] = added * 10
        model[dropped] = nil
        #expect(await harness.send("Book.swap", #"{"add": \#(added), "drop": \#(dropped)}"#).body == Self.list(model.keys.sorted()))
        harness.close()

        // Nothing pinned after a restart: every entry comes from the store.
        let reopened = try await RuntimeHarness(Self.program, folder: harness.folder, cacheBytes: 2_048)
        defer { reopened.close() }
        #expect(await reopened.send("Book.keys").body == Self.list(model.keys.sorted()))
        #expect(reopened.engine.cache.scannedRows >= model.count)
    }

    /// A turn pays a step for each entry it reads, so a Map larger than the step budget stops being read there
    /// instead of being read whole first.
    @Test func aTurnPastItsStepBudgetStopsReadingTheStore() async throws {
        let outcome = SomaCheck.check(source: Self.program)
        let program = RuntimeProgram(outcome: outcome, stepBudget: 400)
        let first = try await RuntimeHarness(program: program, cacheBytes: 2_048)
        for k in 0..<2_000 { _ = await first.send("Book.put", #"{"k": \#(k), "v": 1}"#) }
        first.close()
        let harness = try await RuntimeHarness(program: program, folder: first.folder, cacheBytes: 2_048)
        defer { harness.close() }
        let listed = await harness.send("Book.keys")
        #expect(listed.status != 200 && listed.body.contains("step"), "\(listed)")
        #expect(harness.engine.cache.scannedRows <= 401, "read \(harness.engine.cache.scannedRows) of 2000 rows for a budget of 400 steps")
    }

    /// A home from before format step 8 has no order keys: its whole-Map operations sort in memory until the
    /// backfill has given every row one, and then stream.
    @Test func rowsWithoutAnOrderKeyAreListedInOrderAndGivenOne() async throws {
        let first = try await RuntimeHarness(Self.program, cacheBytes: 2_048)
        for k in [9, 10, -1, -20, 100, 0, 55, 1000] { _ = await first.send("Book.put", #"{"k": \#(k), "v": \#(k)}"#) }
        first.close()
        let path = first.folder.appendingPathComponent("state.sqlite").path
        let database = try DatabaseQueue(path: path)
        try await database.write { try $0.execute(sql: "UPDATE slot_values SET ord = NULL") }
        try database.close()

        let harness = try await RuntimeHarness(Self.program, folder: first.folder, cacheBytes: 2_048)
        defer { harness.close() }
        #expect(await harness.send("Book.keys").body == "[-20,-1,0,9,10,55,100,1000]")
        await harness.engine.orderKeysFilled()
        let reader = try DatabaseQueue(path: path)
        #expect(try await reader.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM slot_values WHERE ord IS NULL AND key <> ''") } == 0)
        try reader.close()
        let scanned = harness.engine.cache.scannedRows
        #expect(await harness.send("Book.keys").body == "[-20,-1,0,9,10,55,100,1000]")
        #expect(harness.engine.cache.scannedRows > scanned)
    }
}
