import Foundation
import SomaChecker
import SomaRuntime
import SomaStorage
import Testing

/// Swaps on a real state database, below the CLI: the refusals and the undo paths, which must leave the running
/// version serving with its data as it was.
@Suite struct SwapTests {
    static let v1 = """
        type Item = { id: String, qty: Int }
        cell Stock {
          face {
            signal put(item: Item) -> String
            signal get(id: String) -> Option<Item>
          }
          memory { items: Map<String, Item> }
          on put(item: Item) { items.set(item.id, item); item.id }
          on get(id: String) { items.get(id) }
        }
        """

    /// Version 2 divides by the old quantity: a live item with quantity 0 makes the migration fail.
    static func v2(start: String = "") -> String {
        """
        type Item @version(2) = { id: String, share: Int }
        migrate Item from 1 to 2 = fn(old) -> Item { id: old.id, share: 12 / old.qty }
        cell Stock {
          face {
            signal put(item: Item) -> String
            signal get(id: String) -> Option<Item>
          }
          memory { items: Map<String, Item> }
          on put(item: Item) { items.set(item.id, item); item.id }
          on get(id: String) { items.get(id) }
          \(start)
        }
        """
    }

    func request(_ harness: RuntimeHarness, _ new: String) throws -> SwapRequest {
        let old = harness.folder.appendingPathComponent("v1.cell"), next = harness.folder.appendingPathComponent("v2.cell")
        try Self.v1.write(to: old, atomically: true, encoding: .utf8)
        try new.write(to: next, atomically: true, encoding: .utf8)
        let outcome = try #require(SomaCheck.check(path: next.path, against: old.path))
        #expect(!outcome.hasErrors, "\(outcome.diagnostics.map(\.message))")
        return SwapRequest(program: RuntimeProgram(outcome: outcome), analysis: try #require(outcome.swap), fromVersion: 1, toVersion: 2,
                           scratchFolder: harness.folder.path)
    }

    @Test func aMigrationThatFailsOnOneLiveValueRefusesTheSwapAndNamesTheKey() async throws {
        let harness = try await RuntimeHarness(Self.v1)
        defer { harness.close() }
        try harness.store.recordProgramVersionIfAbsent(1)
        #expect(await harness.send("Stock.put", #"{"item": {"id": "a", "qty": 3}}"#).status == 200)
        #expect(await harness.send("Stock.put", #"{"item": {"id": "b", "qty": 0}}"#).status == 200)

        let plan = harness.engine.planSwap(try request(harness, Self.v2()))
        #expect(plan.refusals.map(\.code) == ["migration-fails"])
        #expect(plan.refusals.first?.message.contains(#"key "b""#) == true, "\(plan.refusals)")
        await #expect(throws: SwapRefused.self) { try await harness.engine.applySwap(try request(harness, Self.v2())) }
        #expect(await harness.send("Stock.get", #"{"id": "b"}"#).body == #"{"id":"b","qty":0}"#)
        #expect(try harness.store.programVersion() == 1)
    }

    @Test func aNewVersionWhoseStartAbortsIsUndone() async throws {
        let harness = try await RuntimeHarness(Self.v1)
        defer { harness.close() }
        try harness.store.recordProgramVersionIfAbsent(1)
        #expect(await harness.send("Stock.put", #"{"item": {"id": "a", "qty": 3}}"#).status == 200)

        let swap = try request(harness, Self.v2(start: #"on start { fail("not today") }"#))
        var refusal: SwapRefused?
        do {
            _ = try await harness.engine.applySwap(swap)
        } catch {
            refusal = error
        }
        let refused = try #require(refusal)
        #expect(refused.plan.refusals.last?.code == "start-failed")
        #expect(refused.plan.refusals.last?.message.contains("not today") == true)
        // Version 1 serves, with its value as it was, in memory and on disk.
        #expect(await harness.send("Stock.get", #"{"id": "a"}"#).body == #"{"id":"a","qty":3}"#)
        #expect(try harness.store.programVersion() == 1)
        let stored = try harness.store.load().values.map { "\($0.version) \($0.json)" }
        #expect(stored == [#"1 {"id":"a","qty":3}"#])
    }

    @Test func aSwapMigratesWhatIsStoredAndHeldTurnsRunOnTheNewVersion() async throws {
        let harness = try await RuntimeHarness(Self.v1)
        defer { harness.close() }
        try harness.store.recordProgramVersionIfAbsent(1)
        #expect(await harness.send("Stock.put", #"{"item": {"id": "a", "qty": 3}}"#).status == 200)

        let plan = try await harness.engine.applySwap(try request(harness, Self.v2()))
        #expect(plan.migrations.first?.values == 1)
        #expect(await harness.send("Stock.get", #"{"id": "a"}"#).body == #"{"id":"a","share":4}"#)
        #expect(try harness.store.programVersion() == 2)
        // The stored value is rewritten at its new version once the held turns have been released.
        await harness.engine.waitForRestamp()
        #expect(try harness.store.load().values.map { "\($0.version) \($0.json)" } == [#"2 {"id":"a","share":4}"#])
    }

    @Test func keysWrittenAfterTheDryRunAreMigratedFromWhatTheyAreNow() async throws {
        let harness = try await RuntimeHarness(Self.v1)
        defer { harness.close() }
        try harness.store.recordProgramVersionIfAbsent(1)
        #expect(await harness.send("Stock.put", #"{"item": {"id": "a", "qty": 3}}"#).status == 200)
        #expect(await harness.send("Stock.put", #"{"item": {"id": "b", "qty": 4}}"#).status == 200)
        let swap = try request(harness, Self.v2())
        let planned = harness.engine.planSwap(swap, keepingDryRun: true)
        #expect(planned.refusals.isEmpty && planned.dryRunChecked == 2, "\(planned.refusals)")

        // After the dry run's snapshot: one key changes, one is added.
        #expect(await harness.send("Stock.put", #"{"item": {"id": "a", "qty": 6}}"#).status == 200)
        #expect(await harness.send("Stock.put", #"{"item": {"id": "c", "qty": 2}}"#).status == 200)
        _ = try await harness.engine.applySwap(swap)
        #expect(await harness.send("Stock.get", #"{"id": "a"}"#).body == #"{"id":"a","share":2}"#)
        #expect(await harness.send("Stock.get", #"{"id": "b"}"#).body == #"{"id":"b","share":3}"#)
        #expect(await harness.send("Stock.get", #"{"id": "c"}"#).body == #"{"id":"c","share":6}"#)
        await harness.engine.waitForRestamp()
        #expect(try harness.store.load().values.map { "\($0.version) \($0.json)" }
                == [#"2 {"id":"a","share":2}"#, #"2 {"id":"b","share":3}"#, #"2 {"id":"c","share":6}"#])
    }

    @Test func aKeyThatCannotMigrateWrittenAfterTheDryRunRefusesTheSwap() async throws {
        let harness = try await RuntimeHarness(Self.v1)
        defer { harness.close() }
        try harness.store.recordProgramVersionIfAbsent(1)
        #expect(await harness.send("Stock.put", #"{"item": {"id": "a", "qty": 3}}"#).status == 200)
        let swap = try request(harness, Self.v2())
        #expect(harness.engine.planSwap(swap, keepingDryRun: true).refusals.isEmpty)
        #expect(await harness.send("Stock.put", #"{"item": {"id": "a", "qty": 0}}"#).status == 200)

        var refusal: SwapRefused?
        do { _ = try await harness.engine.applySwap(swap) } catch { refusal = error }
        let refused = try #require(refusal)
        #expect(refused.plan.refusals.last?.code == "migration-fails")
        #expect(refused.plan.refusals.last?.message.contains(#"key "a""#) == true, "\(refused.plan.refusals)")
        #expect(await harness.send("Stock.get", #"{"id": "a"}"#).body == #"{"id":"a","qty":0}"#)
        #expect(try harness.store.programVersion() == 1)
        #expect(try harness.store.load().values.map { "\($0.version) \($0.json)" } == [#"1 {"id":"a","qty":0}"#])
    }

    @Test func aWorkerStartingOnValuesLeftAtTheOldVersionMigratesAndRewritesThem() async throws {
        let first = try await RuntimeHarness(Self.v1)
        #expect(await first.send("Stock.put", #"{"item": {"id": "a", "qty": 3}}"#).status == 200)
        let swap = try request(first, Self.v2())
        first.close()

        // As after a crash between the commit point and the rewrite: version 2's code, version 1's rows.
        let harness = try await RuntimeHarness(program: swap.program, folder: first.folder)
        defer { harness.close() }
        #expect(await harness.send("Stock.get", #"{"id": "a"}"#).body == #"{"id":"a","share":4}"#)
        await harness.engine.waitForRestamp()
        #expect(try harness.store.load().values.map { "\($0.version) \($0.json)" } == [#"2 {"id":"a","share":4}"#])
    }

    @Test func anUndoRemovesWhatAnEarlierOnStartWroteToALazilyMigratedSlot() async throws {
        let harness = try await RuntimeHarness(Self.v1)
        defer { harness.close() }
        try harness.store.recordProgramVersionIfAbsent(1)
        #expect(await harness.send("Stock.put", #"{"item": {"id": "a", "qty": 3}}"#).status == 200)
        // Stock's on start commits (it rewrites a and adds z at version 2), then Later's aborts.
        let v2 = Self.v2(start: #"on start { items.set("a", { id: "a", share: 9 }); items.set("z", { id: "z", share: 1 }) }"#)
            + "\ncell Later {\n  on start { fail(\"not today\") }\n}\n"
        let swap = try request(harness, v2)
        var refusal: SwapRefused?
        do { _ = try await harness.engine.applySwap(swap) } catch { refusal = error }
        #expect(try #require(refusal).plan.refusals.last?.code == "start-failed")
        #expect(await harness.send("Stock.get", #"{"id": "a"}"#).body == #"{"id":"a","qty":3}"#)
        #expect(await harness.send("Stock.get", #"{"id": "z"}"#).body == "null")
        #expect(try harness.store.programVersion() == 1)
        let stored = try harness.store.load().values.map { "\($0.version) \($0.key) \($0.json)" }
        #expect(stored == [#"1 "a" {"id":"a","qty":3}"#], "\(stored)")
    }
}
