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

    /// Version 1 running on a new store that records it, holding these items (id, quantity).
    func stock(_ items: [(String, Int)], cacheBytes: Int? = nil) async throws -> RuntimeHarness {
        let harness = try await RuntimeHarness(Self.v1, cacheBytes: cacheBytes)
        try harness.store.recordProgramVersionIfAbsent(1)
        for (id, qty) in items { try await put(harness, id, qty) }
        return harness
    }

    func put(_ harness: RuntimeHarness, _ id: String, _ qty: Int) async throws {
        #expect(await harness.send("Stock.put", #"{"item": {"id": "\#(id)", "qty": \#(qty)}}"#).status == 200)
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
        let harness = try await stock([("a", 3), ("b", 0)])
        defer { harness.close() }

        let plan = harness.engine.planSwap(try request(harness, Self.v2()))
        #expect(plan.refusals.map(\.code) == ["migration-fails"])
        #expect(plan.refusals.first?.message.contains(#"key "b""#) == true, "\(plan.refusals)")
        await #expect(throws: SwapRefused.self) { try await harness.engine.applySwap(try request(harness, Self.v2())) }
        #expect(await harness.send("Stock.get", #"{"id": "b"}"#).body == #"{"id":"b","qty":0}"#)
        #expect(try harness.store.programVersion() == 1)
    }

    @Test func aNewVersionWhoseStartAbortsIsUndone() async throws {
        let harness = try await stock([("a", 3)])
        defer { harness.close() }

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
        let stored = try harness.storedValues()
        #expect(stored == [#"1 {"id":"a","qty":3}"#])
    }

    @Test func aSwapMigratesWhatIsStoredAndHeldTurnsRunOnTheNewVersion() async throws {
        let harness = try await stock([("a", 3)])
        defer { harness.close() }

        let plan = try await harness.engine.applySwap(try request(harness, Self.v2()))
        #expect(plan.migrations.first?.values == 1)
        #expect(await harness.send("Stock.get", #"{"id": "a"}"#).body == #"{"id":"a","share":4}"#)
        #expect(try harness.store.programVersion() == 2)
        // The stored value is rewritten at its new version once the held turns have been released.
        await harness.engine.waitForRestamp()
        #expect(try harness.storedValues() == [#"2 {"id":"a","share":4}"#])
    }

    @Test func keysWrittenAfterTheDryRunAreMigratedFromWhatTheyAreNow() async throws {
        let harness = try await stock([("a", 3), ("b", 4)])
        defer { harness.close() }
        let swap = try request(harness, Self.v2())
        let planned = harness.engine.planSwap(swap, keepingDryRun: true)
        #expect(planned.refusals.isEmpty && planned.dryRunChecked == 2, "\(planned.refusals)")

        // After the dry run's snapshot: one key changes, one is added.
        try await put(harness, "a", 6)
        try await put(harness, "c", 2)
        _ = try await harness.engine.applySwap(swap)
        #expect(await harness.send("Stock.get", #"{"id": "a"}"#).body == #"{"id":"a","share":2}"#)
        #expect(await harness.send("Stock.get", #"{"id": "b"}"#).body == #"{"id":"b","share":3}"#)
        #expect(await harness.send("Stock.get", #"{"id": "c"}"#).body == #"{"id":"c","share":6}"#)
        await harness.engine.waitForRestamp()
        try Self.expectCountsMatchRows(harness)
        #expect(try harness.storedValues()
                == [#"2 {"id":"a","share":2}"#, #"2 {"id":"b","share":3}"#, #"2 {"id":"c","share":6}"#])
    }

    @Test func aKeyThatCannotMigrateWrittenAfterTheDryRunRefusesTheSwap() async throws {
        let harness = try await stock([("a", 3)])
        defer { harness.close() }
        let swap = try request(harness, Self.v2())
        #expect(harness.engine.planSwap(swap, keepingDryRun: true).refusals.isEmpty)
        try await put(harness, "a", 0)

        var refusal: SwapRefused?
        do { _ = try await harness.engine.applySwap(swap) } catch { refusal = error }
        let refused = try #require(refusal)
        #expect(refused.plan.refusals.last?.code == "migration-fails")
        #expect(refused.plan.refusals.last?.message.contains(#"key "a""#) == true, "\(refused.plan.refusals)")
        #expect(await harness.send("Stock.get", #"{"id": "a"}"#).body == #"{"id":"a","qty":0}"#)
        #expect(try harness.store.programVersion() == 1)
        #expect(try harness.storedValues() == [#"1 {"id":"a","qty":0}"#])
    }

    @Test func aWorkerStartingOnValuesLeftAtTheOldVersionMigratesAndRewritesThem() async throws {
        let first = try await RuntimeHarness(Self.v1)
        try await put(first, "a", 3)
        let swap = try request(first, Self.v2())
        first.close()

        // As after a crash between the commit point and the rewrite: version 2's code, version 1's rows.
        let harness = try await RuntimeHarness(program: swap.program, folder: first.folder)
        defer { harness.close() }
        #expect(await harness.send("Stock.get", #"{"id": "a"}"#).body == #"{"id":"a","share":4}"#)
        await harness.engine.waitForRestamp()
        try Self.expectCountsMatchRows(harness)
        #expect(try harness.storedValues() == [#"2 {"id":"a","share":4}"#])
    }

    @Test func anUndoRemovesWhatAnEarlierOnStartWroteToALazilyMigratedSlot() async throws {
        let harness = try await stock([("a", 3)])
        defer { harness.close() }
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
        let stored = try harness.store.allValues().map { "\($0.version) \($0.key) \($0.json)" }
        #expect(stored == [#"1 "a" {"id":"a","qty":3}"#], "\(stored)")
        try Self.expectCountsMatchRows(harness)
    }

    /// slot_stats counts what the rows hold, through a swap's rewrite and its undo.
    static func expectCountsMatchRows(_ harness: RuntimeHarness, sourceLocation: SourceLocation = #_sourceLocation) throws {
        var rows: [String: Int] = [:], counted: [String: Int] = [:]
        for row in try harness.store.allValues() { rows["\(row.cell).\(row.slot)@\(row.version)", default: 0] += 1 }
        for stat in try harness.store.slotStats() { counted["\(stat.cell).\(stat.slot)@\(stat.version)", default: 0] += stat.entries }
        #expect(counted == rows, sourceLocation: sourceLocation)
    }

    @Test func aCompatibleChangeRewritesTheStoredValuesAtTheCommitPoint() async throws {
        let harness = try await stock([("a", 3), ("b", 4)])
        defer { harness.close() }
        // No version bump: the field is renamed with @alias and one is added with a default.
        let compatible = Self.v1.replacingOccurrences(of: "type Item = { id: String, qty: Int }",
                                                      with: #"type Item = { id: String, count: Int @alias("qty"), note: String = "-" }"#)
        let plan = try await harness.engine.applySwap(try request(harness, compatible))
        #expect(plan.refusals.isEmpty, "\(plan.refusals)")
        #expect(await harness.send("Stock.get", #"{"id": "a"}"#).body == #"{"id":"a","count":3,"note":"-"}"#)
        // Written in the commit transaction: nothing is left for after the swap.
        #expect(try harness.storedValues() == [#"1 {"id":"a","count":3,"note":"-"}"#, #"1 {"id":"b","count":4,"note":"-"}"#])
        try Self.expectCountsMatchRows(harness)
    }

    /// A slot larger than memory (docs/state.md, "Swaps"): the dry run streams the rows memory does not hold
    /// from a snapshot of the store, and the new version's memory holds what the old one did, not the slot.
    @Test func aSlotLargerThanTheCacheMigratesFromTheStoreAndStaysInPart() async throws {
        let items = (0..<300).map { ("k\($0)", $0 % 12 + 1) }
        let harness = try await stock(items, cacheBytes: 2_048)
        defer { harness.close() }
        // Version 1 has no invariant, so its inserts past memory left the count pending: the swap settles it.
        let counting = Self.v2().replacingOccurrences(of: "signal get(id: String) -> Option<Item>", with: "signal get(id: String) -> Option<Item>\n    signal count() -> Int")
            .replacingOccurrences(of: "on get(id: String) { items.get(id) }", with: "on get(id: String) { items.get(id) }\n  on count() { items.count() }")
        let plan = try await harness.engine.applySwap(try request(harness, counting))
        #expect(plan.refusals.isEmpty && plan.dryRunChecked == 300, "\(plan.refusals) \(plan.dryRunChecked)")
        #expect(await harness.send("Stock.count").body == "300")
        // Held whole, the 300 migrated entries would cost about 40,000 bytes.
        #expect(harness.engine.cache.bytes < 10_000, "\(harness.engine.cache.bytes) bytes cached")
        for (id, qty) in items {
            #expect(await harness.send("Stock.get", #"{"id": "\#(id)"}"#).body == #"{"id":"\#(id)","share":\#(12 / qty)}"#)
        }
        await harness.engine.waitForRestamp()
        try Self.expectCountsMatchRows(harness)
        #expect(try harness.storedValues().allSatisfy { $0.hasPrefix("2 ") })
    }

    @Test func aValueOnlyInTheStoreThatCannotMigrateRefusesTheSwapAndIsNamed() async throws {
        let harness = try await stock((0..<300).map { ("k\($0)", $0 == 150 ? 0 : 1) }, cacheBytes: 2_048)
        defer { harness.close() }
        let plan = harness.engine.planSwap(try request(harness, Self.v2()))
        #expect(plan.refusals.map(\.code) == ["migration-fails"])
        #expect(plan.refusals.first?.message.contains(#"key "k150""#) == true, "\(plan.refusals)")
        #expect(try harness.store.programVersion() == 1)
    }

    /// An invariant the live data breaks, new in version 2: the dry run says so, and the swap is refused before
    /// its commit point and changes nothing, instead of committing a version whose every turn of the cell then fails.
    @Test func aNewInvariantTheLiveDataBreaksRefusesTheSwap() async throws {
        let harness = try await stock([("a", 3), ("b", 0)])
        defer { harness.close() }
        let guarded = Self.v1.replacingOccurrences(of: "on put(item: Item)", with: "invariant stocked { items.values().filter(fn(i) -> i.qty <= 0).count() == 0 }\n  on put(item: Item)")
        let before = try harness.storedValues()
        let swap = try request(harness, guarded)
        let planned = harness.engine.planSwap(swap)
        #expect(planned.refusals.map(\.code) == ["invariant-broken"], "the dry run finds it too: \(planned.refusals)")
        var refusal: SwapRefused?
        do { _ = try await harness.engine.applySwap(swap) } catch { refusal = error }
        let refused = try #require(refusal)
        #expect(refused.plan.refusals.last?.code == "invariant-broken", "\(refused.plan.refusals)")
        #expect(refused.plan.refusals.last?.message.contains("stocked") == true, "\(refused.plan.refusals)")
        #expect(try harness.store.programVersion() == 1)
        #expect(try harness.storedValues() == before)
        // Version 1 serves and writes as before; with the data fixed, the same swap goes through.
        try await put(harness, "b", 2)
        let plan = try await harness.engine.applySwap(try request(harness, guarded))
        #expect(plan.refusals.isEmpty, "\(plan.refusals)")
        #expect(await harness.send("Stock.put", #"{"item": {"id": "c", "qty": 0}}"#).status == 409)
    }

    /// The swap evaluates version 2's invariants over a slot larger than memory: a sum it keeps is read there,
    /// with turns held, and the first turn after the swap does not read the Map again.
    @Test func aSumTheSwapReadsIsKeptForTheNewVersionsFirstTurn() async throws {
        let harness = try await stock((0..<200).map { ("k\($0)", $0 % 5 + 1) }, cacheBytes: 2_048)
        defer { harness.close() }
        let summed = Self.v1.replacingOccurrences(of: "on put(item: Item)", with: "invariant positive { items.values().map(fn(i) -> i.qty).sum() > 0 }\n  on put(item: Item)")
        let plan = try await harness.engine.applySwap(try request(harness, summed))
        #expect(plan.refusals.isEmpty, "\(plan.refusals)")
        let scans = harness.engine.cache.scans
        try await put(harness, "k0", 7)
        try await put(harness, "new", 1)
        #expect(harness.engine.cache.scans == scans, "\(harness.engine.cache.scans - scans) turns read the whole Map")
    }
}
